"""Checkout use-cases: orchestration over a unit of work (SQL in order_repository.py).

`begin_checkout` holds the cart's stock for a TTL (at the best locations, or
at the chosen pickup store) and returns the fulfillment options.
`complete_checkout` turns a cart into an order in ONE transaction: order,
lines (price snapshot), fulfillments (one per location the stock is held
at), committed stock, payment authorization, loyalty points, cart COMPLETED,
outbox events. Any failure rolls it all back. A declined payment is a
PAYMENT_DECLINED error; the caller then releases the checkout's reservation
in a separate transaction (`release_checkout`).

Idempotency: checkouts with the same key are serialized by a transaction
advisory lock; a replay returns the stored order (same input) or
IDEMPOTENCY_CONFLICT (different input). The unique index on
`orders.idempotency_key` is the backstop.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.auth import Principal
from domain.cart.models import CartStatus, VariantOffer
from domain.cart.ports import CartRepository
from domain.cart.validation import check_can_read
from domain.customer.points import earn_points
from domain.customer.ports import CustomerRepository
from domain.errors import DomainError, ErrorCode, NotFound
from domain.inventory.models import Reservation, ReservationStatus
from domain.inventory.rules import ReservationLine
from domain.inventory.services import commit_reservation, release_reservation, reserve
from domain.models import Cart, OutboxEvent
from domain.order.events import order_created
from domain.order.fulfillment import OrderStatus
from domain.order.payments import Authorized, PaymentAmount, PaymentGateway
from domain.order.routing import FulfillmentMethod as Method
from domain.ports import CatalogRepository, InventoryRepository

CHECKOUT_TTL = timedelta(minutes=15)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class OrderLineDraft:
    variant_id: uuid.UUID
    sku: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class OrderLineRecord:
    """A stored order line: the price snapshot taken at checkout."""

    id: uuid.UUID
    order_id: uuid.UUID
    sku: str
    quantity: int
    unit_price_minor: int
    total_minor: int
    currency_code: str
    cancelled_quantity: int = 0


@dataclass(frozen=True)
class PlacedOrder:
    id: uuid.UUID
    number: int
    request_hash: str | None
    status: str
    total_minor: int
    currency_code: str


@dataclass(frozen=True)
class FulfillmentChoice:
    method: Method
    location_id: uuid.UUID | None = None
    address: dict[str, Any] | None = None


@dataclass(frozen=True)
class CheckoutStarted:
    cart_id: uuid.UUID
    reservation_id: uuid.UUID
    expires_at: datetime
    total_minor: int
    currency_code: str


class OrderRepository(Protocol):
    async def lock_idempotency_key(self, key: str) -> None: ...
    async def order_by_idempotency_key(self, key: str) -> PlacedOrder | None: ...
    async def order_by_cart(self, cart_id: uuid.UUID) -> PlacedOrder | None: ...
    async def checkout_reservation(self, cart_id: uuid.UUID) -> uuid.UUID | None: ...
    async def save_checkout(
        self, cart_id: uuid.UUID, reservation_id: uuid.UUID, expires_at: datetime
    ) -> None: ...
    async def delete_checkout(self, cart_id: uuid.UUID) -> None: ...
    async def insert_order(
        self,
        *,
        cart_id: uuid.UUID,
        customer_id: uuid.UUID | None,
        channel_id: uuid.UUID,
        currency_code: str,
        total_minor: int,
        status: str,
        method: str,
        address: dict[str, Any] | None,
        idempotency_key: str,
        request_hash: str,
    ) -> PlacedOrder: ...
    async def insert_line(
        self, order_id: uuid.UUID, position: int, line: OrderLineDraft
    ) -> uuid.UUID: ...
    async def insert_fulfillment(
        self,
        order_id: uuid.UUID,
        method: str,
        location_id: uuid.UUID,
        status: str,
        lines: list[tuple[uuid.UUID, int]],
    ) -> uuid.UUID: ...
    async def insert_payment(
        self,
        order_id: uuid.UUID,
        provider: str,
        authorization_id: str,
        amount_minor: int,
        currency_code: str,
    ) -> None: ...


class CheckoutUnitOfWork(Protocol):
    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def inventory(self) -> InventoryRepository: ...
    @property
    def carts(self) -> CartRepository: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    async def add_event(self, event: OutboxEvent) -> int: ...


def request_hash(cart_id: uuid.UUID, choice: FulfillmentChoice, card_token: str) -> str:
    body = {
        "cart": str(cart_id),
        "method": choice.method.value,
        "location": None if choice.location_id is None else str(choice.location_id),
        "address": choice.address,
        "token": card_token,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


async def _open_cart(
    uow: CheckoutUnitOfWork, principal: Principal | None, cart_id: uuid.UUID, now: datetime
) -> Cart:
    cart: Cart | None = await uow.carts.cart_for_update(cart_id)
    if cart is None:
        raise NotFound("Cart", ["cartId"])
    check_can_read(principal, cart, now)
    if cart.status != CartStatus.ACTIVE:
        raise DomainError(ErrorCode.INVALID, "The cart is not active.", ["cartId"])
    return cart


async def _priced_lines(uow: CheckoutUnitOfWork, cart: Cart) -> list[OrderLineDraft]:
    lines = await uow.carts.lines(cart.id)
    if not lines:
        raise DomainError(ErrorCode.INVALID, "The cart is empty.", ["cartId"])
    offers: dict[uuid.UUID, VariantOffer] = await uow.carts.offers(
        [line.variant_id for line in lines], cart.channel_id, cart.currency_code
    )
    drafts = []
    for index, line in enumerate(lines):
        offer = offers.get(line.variant_id)
        if offer is None or not offer.product_active or offer.price_minor is None:
            raise DomainError(
                ErrorCode.INVALID,
                "This line is not for sale on the cart's channel and currency.",
                ["cart", "lines", str(index)],
            )
        drafts.append(OrderLineDraft(line.variant_id, offer.sku, line.quantity, offer.price_minor))
    return drafts


def _reservation_lines(drafts: list[OrderLineDraft]) -> list[ReservationLine]:
    return [ReservationLine(d.sku, d.quantity) for d in drafts]


def _pinned_location(choice: FulfillmentChoice) -> uuid.UUID | None:
    return choice.location_id if choice.method is Method.PICKUP else None


async def _hold(
    uow: CheckoutUnitOfWork,
    cart: Cart,
    drafts: list[OrderLineDraft],
    location_id: uuid.UUID | None,
    now: datetime,
) -> Reservation:
    try:
        return await reserve(
            uow,
            _reservation_lines(drafts),
            location_id=location_id,
            ttl_seconds=CHECKOUT_TTL.total_seconds(),
            reference=f"checkout:{cart.id}",
        )
    except DomainError as error:
        if error.code is ErrorCode.OUT_OF_STOCK and error.field and len(error.field) == 2:
            # reserve() names ["lines", i]; the buyer knows the cart's line.
            index = int(error.field[1])
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                f"Not enough stock of {drafts[index].sku} for {drafts[index].quantity} units.",
                ["cart", "lines", str(index)],
            ) from error
        raise


async def begin_checkout(
    uow: CheckoutUnitOfWork,
    principal: Principal | None,
    cart_id: uuid.UUID,
    now: datetime,
    *,
    location_id: uuid.UUID | None = None,
) -> CheckoutStarted:
    """Hold the cart's stock for CHECKOUT_TTL; a second call replaces the earlier hold."""
    cart = await _open_cart(uow, principal, cart_id, now)
    drafts = await _priced_lines(uow, cart)
    earlier = await uow.orders.checkout_reservation(cart.id)
    if earlier is not None:
        await _release_if_active(uow, earlier)
    reservation = await _hold(uow, cart, drafts, location_id, now)
    await uow.orders.save_checkout(cart.id, reservation.id, reservation.expires_at)
    return CheckoutStarted(
        cart.id,
        reservation.id,
        reservation.expires_at,
        sum(d.unit_price_minor * d.quantity for d in drafts),
        cart.currency_code,
    )


async def _release_if_active(uow: CheckoutUnitOfWork, reservation_id: uuid.UUID) -> None:
    current = await uow.inventory.lock_reservation(reservation_id)
    if current is not None and current.status is ReservationStatus.ACTIVE:
        await release_reservation(uow, reservation_id)


def _fits(reservation: Reservation, drafts: list[OrderLineDraft], pinned: uuid.UUID | None) -> bool:
    """The held stock is exactly the cart's (and at the chosen store for a pickup)."""
    if reservation.status is not ReservationStatus.ACTIVE or reservation.expired:
        return False
    held: dict[str, int] = defaultdict(int)
    for line in reservation.lines:
        if pinned is not None and line.location_id != pinned:
            return False
        held[line.sku] += line.quantity
    wanted: dict[str, int] = defaultdict(int)
    for d in drafts:
        wanted[d.sku] += d.quantity
    return held == wanted


async def complete_checkout(
    uow: CheckoutUnitOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    *,
    cart_id: uuid.UUID,
    choice: FulfillmentChoice,
    card_token: str,
    idempotency_key: str,
    now: datetime,
    provider: str = "test",
) -> PlacedOrder:
    if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID,
            f"idempotencyKey must be 1-{MAX_KEY_LENGTH} characters.",
            ["idempotencyKey"],
        )
    if (
        choice.method in (Method.SHIP, Method.SHIP_FROM_STORE, Method.SAME_DAY)
        and not choice.address
    ):
        raise DomainError(
            ErrorCode.INVALID, "This method needs a delivery address.", ["fulfillment", "address"]
        )
    if choice.method is Method.PICKUP and choice.location_id is None:
        raise DomainError(
            ErrorCode.INVALID, "A pickup needs the store.", ["fulfillment", "locationId"]
        )
    fingerprint = request_hash(cart_id, choice, card_token)
    await uow.orders.lock_idempotency_key(idempotency_key)
    earlier = await uow.orders.order_by_idempotency_key(idempotency_key)
    if earlier is not None:
        if earlier.request_hash != fingerprint:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                "This idempotencyKey was used with different input.",
                ["idempotencyKey"],
            )
        return earlier
    cart = await _open_cart(uow, principal, cart_id, now)
    drafts = await _priced_lines(uow, cart)
    pinned = _pinned_location(choice)

    # The stock: the checkout's hold if it still fits, else a fresh conditional take.
    held_id = await uow.orders.checkout_reservation(cart.id)
    held = await uow.inventory.lock_reservation(held_id) if held_id is not None else None
    if held is None or not _fits(held, drafts, pinned):
        if held is not None and held.status is ReservationStatus.ACTIVE:
            await release_reservation(uow, held.id)
        held = await _hold(uow, cart, drafts, pinned, now)
    await commit_reservation(uow, held.id, source=f"checkout:{cart.id}")
    await uow.orders.delete_checkout(cart.id)

    total = sum(d.unit_price_minor * d.quantity for d in drafts)
    order = await uow.orders.insert_order(
        cart_id=cart.id,
        customer_id=cart.customer_id,
        channel_id=cart.channel_id,
        currency_code=cart.currency_code,
        total_minor=total,
        status=OrderStatus.UNFULFILLED.value,
        method=choice.method.value,
        address=choice.address,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
    )
    line_ids = [await uow.orders.insert_line(order.id, i, d) for i, d in enumerate(drafts)]
    # One fulfillment per location holding stock; a line may be split across locations.
    by_location: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    remaining = {i: d.quantity for i, d in enumerate(drafts)}
    for reserved in held.lines:
        quantity = reserved.quantity
        for i, d in enumerate(drafts):
            if quantity == 0:
                break
            if d.sku != reserved.sku or remaining[i] == 0:
                continue
            take = min(quantity, remaining[i])
            by_location[reserved.location_id].append((line_ids[i], take))
            remaining[i] -= take
            quantity -= take
    for location_id in sorted(by_location, key=str):
        await uow.orders.insert_fulfillment(
            order.id, choice.method.value, location_id, "ALLOCATED", by_location[location_id]
        )

    # Last external step: a decline raises and everything above rolls back.
    result = await payments.authorize(
        PaymentAmount(total, cart.currency_code), card_token, f"checkout:{idempotency_key}"
    )
    if not isinstance(result, Authorized):
        raise result.to_domain_error(["payment", "token"])
    try:
        await uow.orders.insert_payment(
            order.id, provider, result.authorization_id, total, cart.currency_code
        )
        if cart.customer_id is not None:
            await earn_points(uow, cart.customer_id, order.id, total, cart.currency_code)
        await uow.carts.update_cart(cart.id, status=CartStatus.COMPLETED.value, updated_at=now)
        await uow.add_event(
            order_created(
                order.id,
                order.number,
                cart.customer_id,
                cart.channel_id,
                cart.currency_code,
                total,
                OrderStatus.UNFULFILLED,
            )
        )
    except BaseException:
        # The transaction rolls back: give the authorization back too (best effort).
        await payments.void(result.authorization_id, f"void:{idempotency_key}")
        raise
    return order


async def release_checkout(uow: CheckoutUnitOfWork, cart_id: uuid.UUID) -> None:
    """After a failed checkoutComplete: give the checkout's held stock back."""
    held_id = await uow.orders.checkout_reservation(cart_id)
    if held_id is not None:
        await _release_if_active(uow, held_id)
        await uow.orders.delete_checkout(cart_id)
