"""orderCancel, orderReview and the missed-pickup cancellation, over a unit of work.

Each is ONE transaction, started by the caller: the Order aggregate is loaded
for update first (so a cancel, a fulfillment update and a sweep of one order
serialize); `Order.cancel` shrinks fulfillments or makes them CANCELLED, grows
the lines' cancelled quantities and re-derives the order status; stock goes
back on the shelf at each fulfillment's location (a CANCELLED ledger movement
and a stock event: the units were SOLD at checkout, so a release and a restock
are both an on-hand increase); the order is saved with its events; and the
payment is settled with `settlement.give_back` (void
before capture, refund after). A failure anywhere, the payment service's
included, rolls all of it back.

Retries: with an idempotency key, a repeat returns the first result (stored
in `idempotency_keys`, scope "order-cancel") and settles nothing twice; the
payment service's own keys derive from it as a second guard.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.auth import Principal, require_roles
from domain.errors import DomainError, ErrorCode, NotFound
from domain.inventory.rules import MovementReason
from domain.inventory.services import record_stock_change
from domain.order.aftersale import LineQuantity
from domain.order.cancellation import (
    REVIEW_ROLES,
    CancelReason,
    ReviewDecision,
    check_may_cancel,
    check_reason,
    order_cancelled,
    request_hash,
)
from domain.order.fulfillment import pickup_expired
from domain.order.idempotency import check_key
from domain.order.model import Cut, Order, OrderRepository
from domain.order.order_points import PointsUnitOfWork, reverse_order_points
from domain.order.payments import PaymentGateway
from domain.order.settlement import PaymentRepository, give_back
from domain.ports import UnitOfWork

IDEMPOTENCY_SCOPE = "order-cancel"
MAX_NOTE_LENGTH = 1000


@dataclass(frozen=True)
class CancelResult:
    order_id: uuid.UUID
    amount_minor: int  # what the buyer no longer owes (lines, plus shipping on a whole cancel)
    refunded_minor: int  # refunded now from captured money
    voided: bool  # the uncaptured rest of the authorization was released now

    def as_dict(self) -> dict[str, object]:
        return {
            "orderId": str(self.order_id),
            "amountMinor": self.amount_minor,
            "refundedMinor": self.refunded_minor,
            "voided": self.voided,
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, object]) -> CancelResult:
        return cls(
            uuid.UUID(str(stored["orderId"])),
            int(str(stored["amountMinor"])),
            int(str(stored["refundedMinor"])),
            bool(stored["voided"]),
        )


class AfterSaleRepository(Protocol):
    async def claim_key(
        self, scope: str, key: str, request_hash: str
    ) -> tuple[str, dict[str, object]] | None: ...
    async def save_response(self, scope: str, key: str, response: dict[str, object]) -> None: ...
    async def record_review(
        self,
        order_id: uuid.UUID,
        decision: str,
        note: str | None,
        reviewer: uuid.UUID,
        now: datetime,
    ) -> None: ...


class CancelUnitOfWork(UnitOfWork, PointsUnitOfWork, Protocol):
    @property
    def orders_for_update(self) -> OrderRepository: ...
    @property
    def aftersale(self) -> AfterSaleRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...


async def cancel_order(
    uow: CancelUnitOfWork,
    principal: Principal | None,
    gateway: PaymentGateway,
    order_id: uuid.UUID,
    lines: Sequence[LineQuantity] | None,
    reason: CancelReason,
    idempotency_key: str | None,
    now: datetime,
    held_carts: frozenset[uuid.UUID] = frozenset(),
) -> CancelResult:
    """orderCancel: `lines=None` cancels every unit not yet handed over; `held_carts` are
    the carts whose tokens the caller presented (a guest order's bearer)."""
    check_key(idempotency_key)
    check_reason(principal, reason)
    order = await uow.orders_for_update.get_for_update(order_id)
    if order is None:
        raise NotFound("Order", ["order_id"])
    check_may_cancel(principal, order, held_carts)
    if idempotency_key is not None:
        fingerprint = request_hash(order_id, lines, reason)
        earlier = await uow.aftersale.claim_key(IDEMPOTENCY_SCOPE, idempotency_key, fingerprint)
        if earlier is not None:
            if earlier[0] != fingerprint:
                raise DomainError(
                    ErrorCode.IDEMPOTENCY_CONFLICT,
                    "This idempotencyKey was used with different input.",
                    ["idempotency_key"],
                )
            return CancelResult.from_dict(earlier[1])
    key = f"cancel:{idempotency_key or uuid.uuid4()}"
    result = await _apply(uow, gateway, order, lines, None, reason, now, key)
    if idempotency_key is not None:
        await uow.aftersale.save_response(IDEMPOTENCY_SCOPE, idempotency_key, result.as_dict())
    return result


async def review_order(
    uow: CancelUnitOfWork,
    principal: Principal | None,
    gateway: PaymentGateway,
    order_id: uuid.UUID,
    decision: ReviewDecision,
    note: str | None,
    now: datetime,
) -> CancelResult | None:
    """orderReview: APPROVE releases a held order to its locations; REJECT cancels it
    whole (reason FRAUD), giving the stock back and voiding the payment."""
    reviewer = require_roles(principal, *REVIEW_ROLES)
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise DomainError(
            ErrorCode.INVALID, f"A note is at most {MAX_NOTE_LENGTH} characters.", ["note"]
        )
    order = await uow.orders_for_update.get_for_update(order_id)
    if order is None:
        raise NotFound("Order", ["order_id"])
    if not order.on_hold:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"Order {order.number} is not on hold for review.",
            ["order_id"],
        )
    await uow.aftersale.record_review(order_id, decision.value, note, reviewer.id, now)
    if decision is ReviewDecision.REJECT:
        order.on_hold = False  # recorded with the review just now
        return await _apply(
            uow, gateway, order, None, None, CancelReason.FRAUD, now, f"review:{order_id}"
        )
    order.release_hold()
    await uow.orders_for_update.save(order, now)
    return None


async def cancel_missed_pickup(
    uow: CancelUnitOfWork, gateway: PaymentGateway, fulfillment_id: uuid.UUID, now: datetime
) -> CancelResult | None:
    """The sweeper's cancel of one ready pickup past its deadline; None if it no longer is
    (collected, already cancelled, or the deadline moved) when read under the order lock."""
    order = await uow.orders_for_update.get_for_update_by_fulfillment(fulfillment_id)
    part = None if order is None else order.fulfillment(fulfillment_id)
    if order is None or part is None or not pickup_expired(part.status, part.pickup_deadline, now):
        return None
    requested = [LineQuantity(line_id, units) for line_id, units in sorted(part.lines.items())]
    return await _apply(
        uow,
        gateway,
        order,
        requested,
        part.id,
        CancelReason.MISSED_PICKUP,
        now,
        f"missed-pickup:{fulfillment_id}",
    )


async def _apply(
    uow: CancelUnitOfWork,
    gateway: PaymentGateway,
    order: Order,
    lines: Sequence[LineQuantity] | None,
    only: uuid.UUID | None,
    reason: CancelReason,
    now: datetime,
    key: str,
) -> CancelResult:
    plan, cuts, _ = order.cancel(lines, reason=reason.value, only=only)
    await _restock(uow, order.id, cuts)
    await uow.orders_for_update.save(order, now)
    amount = plan.amount_minor
    if plan.whole_order:
        # Nothing is left to fulfill: nothing stays owed. The tax on shipping is in
        # the order total but in no line's total, so the plan alone would leave it.
        amount = max(amount, order.owed_minor())
    settled = await give_back(uow, gateway, order.id, amount, key)
    await reverse_order_points(uow, order.customer_id, order.id, key)
    await uow.add_event(
        order_cancelled(order, plan, reason, settled.refunded_minor, settled.voided, amount)
    )
    return CancelResult(order.id, amount, settled.refunded_minor, settled.voided)


async def _restock(uow: CancelUnitOfWork, order_id: uuid.UUID, cuts: Sequence[Cut]) -> None:
    """Put the units back on hand where they were sold, in (sku, location) order: the
    order checkout locks stock rows in, so the two can never deadlock."""
    batch = uuid.uuid4()
    for index, cut in enumerate(sorted(cuts, key=lambda c: (c.sku, str(c.location_id)))):
        level = await uow.inventory.lock_stock_level(cut.sku, cut.location_id)
        if level is None:  # the variant was deleted since: nothing to put back on sale
            continue
        level = await uow.inventory.set_on_hand(
            cut.sku, cut.location_id, level.on_hand + cut.quantity
        )
        await uow.inventory.add_movement(
            cut.sku,
            cut.location_id,
            cut.quantity,
            MovementReason.CANCELLED,
            f"order:{order_id}",
            f"cancel:{batch}:{index}",
        )
        await record_stock_change(
            uow,
            level,
            cause=MovementReason.CANCELLED.value,
            delta_on_hand=cut.quantity,
            delta_reserved=0,
        )
