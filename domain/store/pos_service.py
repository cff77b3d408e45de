"""posSaleComplete: a carry-out sale at a store's till, in one transaction.

In order, under a transaction lock on the idempotency key: a replay of the key answers
the first sale (IDEMPOTENCY_CONFLICT if the input differs); the store, the customer (by
id or by email / phone / loyalty card lookup, or anonymous), the prices on the POS
channel, the tenders against the total (TENDER_SHORT), the store's on-hand taken line by
line with a conditional decrement (OUT_OF_STOCK names the line, no oversell), the cards
authorized and captured through the payment port, then the order (an ordinary order:
its lines, one fulfillment at the store already PICKED_UP, a captured payment per
tender), the loyalty points and the order's outbox event. A declined card or any error
rolls everything back and refunds what was already captured of this sale's cards.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from domain.auth import Principal, Role, require_roles
from domain.cart.discounts import DiscountDefinition, evaluate_codes, normalize_code
from domain.cart.pricing import LineToPrice, price_cart
from domain.customer.identity import IdentityKind
from domain.customer.points import earn_points
from domain.customer.ports import CustomerUnitOfWork
from domain.customer.services import lookup_customer
from domain.errors import DomainError, ErrorCode, NotFound
from domain.order.aftersale import OrderTotals
from domain.order.fulfillment import FulfillmentStatus
from domain.order.model import Order, OrderRepository
from domain.order.payments import Captured, PaymentAmount, PaymentFailure, PaymentGateway
from domain.order.placement import NewFulfillment, NewLine, NewPayment, Placement
from domain.order.routing import FulfillmentMethod
from domain.store.pos import (
    AppliedTender,
    PosLine,
    PosSale,
    PricedPosLine,
    Tender,
    TenderKind,
    check_lines,
    check_tenders,
    pos_request_hash,
    receipt_number,
    settle_tenders,
)

STORE_KINDS = ("STORE", "DARK_STORE")
DEFAULT_CHANNEL = "POS"


class PosRepository(Protocol):
    async def store(self, location_id: uuid.UUID) -> tuple[str, str] | None: ...
    async def channel(self, code: str) -> tuple[uuid.UUID, str] | None: ...
    async def prices(
        self, skus: Sequence[str], channel_id: uuid.UUID, currency: str
    ) -> dict[str, tuple[uuid.UUID, int]]: ...
    async def lock_key(self, key: str) -> None: ...
    async def lock_discounts(self, codes: Sequence[str]) -> None: ...
    async def discount_definitions(
        self, codes: Sequence[str], customer_id: uuid.UUID | None
    ) -> dict[str, DiscountDefinition]: ...
    async def redeem_discounts(
        self, codes: Sequence[str], customer_id: uuid.UUID | None, order_id: uuid.UUID
    ) -> None: ...
    async def order_by_key(self, key: str) -> tuple[uuid.UUID, int, str, int] | None: ...
    async def earned_points(self, order_id: uuid.UUID) -> int: ...
    async def take_on_hand(self, sku: str, location_id: uuid.UUID, quantity: int) -> bool: ...


class PosUnitOfWork(CustomerUnitOfWork, Protocol):
    @property
    def pos(self) -> PosRepository: ...
    @property
    def orders_for_update(self) -> OrderRepository: ...


async def resolve_customer(
    uow: PosUnitOfWork,
    principal: Principal | None,
    customer_id: uuid.UUID | None,
    lookup: tuple[IdentityKind, str] | None,
) -> uuid.UUID | None:
    if customer_id is not None:
        customer = await uow.customers.get(customer_id)
        if customer is None or customer.erased_at is not None:
            raise NotFound("Customer", ["customer", "id"])
        return customer.merged_into or customer.id
    if lookup is not None:
        found = await lookup_customer(uow, principal, lookup[0], lookup[1])
        if found is None:
            raise NotFound("Customer", ["customer", "value"])
        return found.id
    return None


async def _price(
    uow: PosUnitOfWork, lines: Sequence[PosLine], channel: tuple[uuid.UUID, str]
) -> list[PricedPosLine]:
    prices = await uow.pos.prices([line.sku for line in lines], channel[0], channel[1])
    priced = []
    for index, line in enumerate(lines):
        offer = prices.get(line.sku)
        if offer is None:
            raise DomainError(
                ErrorCode.VARIANT_UNAVAILABLE,
                "This SKU is not for sale on the POS channel.",
                ["lines", str(index), "sku"],
            )
        priced.append(PricedPosLine(offer[0], line.sku, line.quantity, offer[1]))
    return priced


MAX_CODES = 5


async def _discount(
    uow: PosUnitOfWork,
    priced: list[PricedPosLine],
    codes: Sequence[str],
    customer: uuid.UUID | None,
    channel: tuple[uuid.UUID, str],
    now: datetime,
) -> tuple[list[PricedPosLine], list[str]]:
    """The discount codes (the store's own, restricted to the POS channel, and the
    omnichannel ones) as a cart prices them; a code that does not apply is INVALID on
    its index, so the till sees why before taking money."""
    if not codes:
        return priced, []
    await uow.pos.lock_discounts(codes)
    definitions = await uow.pos.discount_definitions(codes, customer)
    evaluations = evaluate_codes(
        codes,
        definitions,
        now=now,
        channel_id=channel[0],
        currency_code=channel[1],
        subtotal_minor=sum(line.unit_price_minor * line.quantity for line in priced),
    )
    applied = []
    for index, evaluation in enumerate(evaluations):
        if evaluation.applied is None:
            reason = evaluation.rejection.value if evaluation.rejection else "NOT_APPLICABLE"
            raise DomainError(
                ErrorCode.INVALID,
                f"The code does not apply ({reason}).",
                ["discount_codes", str(index)],
            )
        applied.append(evaluation.applied)
    cost = price_cart(
        [LineToPrice(line.quantity, line.unit_price_minor) for line in priced], applied
    )
    discounted = [
        replace(line, discount_minor=c.discount_minor if c is not None else 0)
        for line, c in zip(priced, cost.lines, strict=True)
    ]
    return discounted, [a.code for a in applied]


async def _charge(
    payments: PaymentGateway,
    key: str,
    tenders: Sequence[Tender],
    applied: Sequence[int],
    currency: str,
    captured: list[Captured],
) -> list[AppliedTender]:
    """Authorize and capture each card tender; `captured` collects them for a refund."""
    out = []
    for index, (tender, pays) in enumerate(zip(tenders, applied, strict=True)):
        if tender.kind is TenderKind.CASH:
            out.append(AppliedTender(tender.kind, tender.amount_minor, pays, "cash"))
            continue
        amount = PaymentAmount(pays, currency)
        field = ["tenders", str(index)]
        auth = await payments.authorize(amount, tender.card_token or "", f"pos:{key}:{index}")
        if isinstance(auth, PaymentFailure):
            raise auth.to_domain_error(field)
        capture = await payments.capture(
            auth.authorization_id, amount, f"pos-capture:{key}:{index}"
        )
        if isinstance(capture, PaymentFailure):
            await payments.void(auth.authorization_id, f"pos-void:{key}:{index}")
            raise capture.to_domain_error(field)
        captured.append(capture)
        out.append(AppliedTender(tender.kind, tender.amount_minor, pays, auth.authorization_id))
    return out


async def refund_captured(payments: PaymentGateway, key: str, captured: Sequence[Captured]) -> None:
    """Give back what a rolled-back sale captured (idempotent per capture)."""
    for capture in captured:
        await payments.refund(
            capture.authorization_id, capture.amount, f"pos-refund:{key}:{capture.capture_id}"
        )


async def complete_sale(
    uow: PosUnitOfWork,
    payments: PaymentGateway,
    principal: Principal | None,
    *,
    location_id: uuid.UUID,
    lines: Sequence[PosLine],
    tenders: Sequence[Tender],
    customer_id: uuid.UUID | None,
    customer_lookup: tuple[IdentityKind, str] | None,
    idempotency_key: str,
    captured: list[Captured],
    discount_codes: Sequence[str] = (),
    now: datetime | None = None,
) -> PosSale:
    """In the caller's transaction. The caller refunds `captured` if it rolls back."""
    caller = require_roles(principal, Role.POS, Role.STORE_ASSOCIATE)
    if not 1 <= len(idempotency_key) <= 200:
        raise DomainError(ErrorCode.INVALID, "idempotencyKey is 1-200 chars.", ["idempotency_key"])
    check_lines(lines)
    check_tenders(tenders)
    codes = list(dict.fromkeys(normalize_code(code) for code in discount_codes))
    if len(codes) > MAX_CODES:
        raise DomainError(ErrorCode.INVALID, f"At most {MAX_CODES} codes.", ["discount_codes"])
    key = f"pos:{idempotency_key}"
    await uow.pos.lock_key(key)
    store = await uow.pos.store(location_id)
    if store is None or store[1] not in STORE_KINDS:
        raise NotFound("Location", ["location_id"])
    customer = await resolve_customer(uow, caller, customer_id, customer_lookup)
    request = pos_request_hash(location_id, lines, tenders, customer, codes)
    earlier = await uow.pos.order_by_key(key)
    channel = await uow.pos.channel(caller.channel or DEFAULT_CHANNEL)
    if channel is None:
        raise DomainError(ErrorCode.INVALID, "There is no POS channel.", ["location_id"])
    if earlier is not None:
        if earlier[2] != request:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                "This idempotencyKey was used with different input.",
                ["idempotency_key"],
            )
        applied, change = settle_tenders(earlier[3], tenders)
        return PosSale(
            order_id=earlier[0],
            order_number=earlier[1],
            receipt_number=receipt_number(store[0], earlier[1]),
            location_id=location_id,
            customer_id=customer,
            currency_code=channel[1],
            total_minor=earlier[3],
            change_minor=change,
            points_earned=await uow.pos.earned_points(earlier[0]),
            tenders=tuple(
                AppliedTender(t.kind, t.amount_minor, pays, "")
                for t, pays in zip(tenders, applied, strict=True)
            ),
        )
    moment = now or datetime.now(UTC)
    priced = await _price(uow, lines, channel)
    priced, applied_codes = await _discount(uow, priced, codes, customer, channel, moment)
    total = sum(line.total_minor for line in priced)
    applied, change = settle_tenders(total, tenders)
    for index, line in enumerate(priced):
        if not await uow.pos.take_on_hand(line.sku, location_id, line.quantity):
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                "Not that many units on this store's shelf.",
                ["lines", str(index), "quantity"],
            )
    # One key per attempt: a failed attempt refunds its captures, so a retry must not
    # replay them (a crash between capture and commit is left to reconciliation).
    attempt = f"{idempotency_key}:{uuid.uuid4().hex}"
    paid = await _charge(payments, attempt, tenders, applied, channel[1], captured)
    discount = sum(line.discount_minor for line in priced)
    # An ordinary order: its lines, one fulfillment at the store already PICKED_UP
    # (carried out), a captured payment per tender that pays something.
    order, _ = Order.place(
        number=await uow.orders_for_update.next_number(),
        customer_id=customer,
        channel_id=channel[0],
        currency_code=channel[1],
        lines=[
            NewLine(
                line.variant_id, line.sku, line.quantity, line.unit_price_minor, line.discount_minor
            )
            for line in priced
        ],
        fulfillments=[
            NewFulfillment(
                FulfillmentMethod.PICKUP.value,
                location_id,
                FulfillmentStatus.PICKED_UP,
                [(index, line.quantity) for index, line in enumerate(priced)],
                promised_at=moment,
            )
        ],
        payments=[
            NewPayment(
                "cash" if t.kind is TenderKind.CASH else "card",
                t.reference,
                t.applied_minor,
                captured=True,
            )
            for t in paid
            if t.applied_minor > 0
        ],
        totals=OrderTotals(total + discount, discount, 0, 0, total),
        placement=Placement(FulfillmentMethod.PICKUP.value, key),
        request_hash=request,
    )
    order_id, number = order.id, order.number
    await uow.orders_for_update.add(order)
    await uow.pos.redeem_discounts(applied_codes, customer, order_id)
    points = 0
    if customer is not None and total > 0:
        points = await earn_points(uow, customer, order_id, total, channel[1])
    await uow.orders_for_update.save(order, moment)  # its order_created event
    return PosSale(
        order_id=order_id,
        order_number=number,
        receipt_number=receipt_number(store[0], number),
        location_id=location_id,
        customer_id=customer,
        currency_code=channel[1],
        total_minor=total,
        change_minor=change,
        points_earned=points,
        tenders=tuple(paid),
    )
