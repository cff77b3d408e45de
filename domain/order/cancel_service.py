"""orderCancel, orderReview and the missed-pickup cancellation, over a unit of work.

Each is ONE transaction, started by the caller: the order row is locked first
(so a cancel, a fulfillment update and a sweep of one order serialize), then
stock goes back on the shelf at each fulfillment's location (a CANCELLED
ledger movement and a stock event: the units were SOLD at checkout, so a
release and a restock are both an on-hand increase), fulfillments shrink or
become CANCELLED, the lines' cancelled quantities grow, the order status is
re-derived, and the payment is settled with `settlement.give_back` (void
before capture, refund after). A failure anywhere, the payment service's
included, rolls all of it back.

Retries: with an idempotency key, a repeat returns the first result (stored
in `idempotency_keys`, scope "order-cancel") and settles nothing twice; the
payment service's own keys derive from it as a second guard.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from domain.auth import Principal, require_roles
from domain.errors import DomainError, ErrorCode, NotFound
from domain.inventory.rules import MovementReason
from domain.inventory.services import record_stock_change
from domain.order.aftersale import CancellationPlan, LineQuantity, plan_cancellation
from domain.order.cancellation import (
    REVIEW_ROLES,
    CancelReason,
    Cut,
    OrderState,
    ReviewDecision,
    check_may_cancel,
    check_reason,
    order_cancelled,
    plan_cuts,
    remaining_units,
    request_hash,
)
from domain.order.events import fulfillment_status_changed, order_status_changed
from domain.order.fulfillment import (
    FulfillmentStatus,
    OrderStatus,
    derive_order_status,
    pickup_expired,
    transition,
)
from domain.order.idempotency import check_key
from domain.order.order_points import PointsUnitOfWork, reverse_order_points
from domain.order.payments import PaymentGateway
from domain.order.routing import FulfillmentMethod
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
    async def lock_order_state(self, order_id: uuid.UUID) -> OrderState | None: ...
    async def order_id_of_fulfillment(self, fulfillment_id: uuid.UUID) -> uuid.UUID | None: ...
    async def claim_key(
        self, scope: str, key: str, request_hash: str
    ) -> tuple[str, dict[str, object]] | None: ...
    async def save_response(self, scope: str, key: str, response: dict[str, object]) -> None: ...
    async def set_fulfillment_lines(
        self, fulfillment_id: uuid.UUID, lines: Mapping[uuid.UUID, int]
    ) -> None: ...
    async def set_fulfillment_status(
        self, fulfillment_id: uuid.UUID, status: str, now: datetime
    ) -> None: ...
    async def add_cancelled_quantity(self, line_id: uuid.UUID, quantity: int) -> None: ...
    async def set_order_status(
        self, order_id: uuid.UUID, status: str, now: datetime, cancel_reason: str | None
    ) -> None: ...
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
) -> CancelResult:
    """orderCancel: `lines=None` cancels every unit not yet handed over."""
    check_key(idempotency_key)
    check_reason(principal, reason)
    state = await uow.aftersale.lock_order_state(order_id)
    if state is None:
        raise NotFound("Order", ["orderId"])
    check_may_cancel(principal, state)
    if idempotency_key is not None:
        fingerprint = request_hash(order_id, lines, reason)
        earlier = await uow.aftersale.claim_key(IDEMPOTENCY_SCOPE, idempotency_key, fingerprint)
        if earlier is not None:
            if earlier[0] != fingerprint:
                raise DomainError(
                    ErrorCode.IDEMPOTENCY_CONFLICT,
                    "This idempotencyKey was used with different input.",
                    ["idempotencyKey"],
                )
            return CancelResult.from_dict(earlier[1])
    plan = plan_cancellation(state.order_lines(), lines, state.shipping_minor)
    key = f"cancel:{idempotency_key or uuid.uuid4()}"
    result = await _apply(uow, gateway, state, plan, None, reason, now, key)
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
    state = await uow.aftersale.lock_order_state(order_id)
    if state is None:
        raise NotFound("Order", ["orderId"])
    if not state.on_hold:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"Order {state.number} is not on hold for review.",
            ["orderId"],
        )
    await uow.aftersale.record_review(order_id, decision.value, note, reviewer.id, now)
    state = replace(state, on_hold=False)
    if decision is ReviewDecision.REJECT:
        plan = plan_cancellation(state.order_lines(), None, state.shipping_minor)
        return await _apply(
            uow, gateway, state, plan, None, CancelReason.FRAUD, now, f"review:{order_id}"
        )
    statuses = []
    for part in state.fulfillments:
        status = part.status
        if status is FulfillmentStatus.ON_HOLD:
            # The table's path: ON_HOLD -> PENDING (approved) -> ALLOCATED (released to
            # the location's pick queue, where an order that was never held starts).
            for target in (FulfillmentStatus.PENDING, FulfillmentStatus.ALLOCATED):
                transition(status, target, FulfillmentMethod(part.method))
                await uow.add_event(fulfillment_status_changed(state.id, part.id, status, target))
                status = target
            await uow.aftersale.set_fulfillment_status(part.id, status.value, now)
        statuses.append(status)
    await _set_order_status(uow, state, statuses, now, None)
    return None


async def cancel_missed_pickup(
    uow: CancelUnitOfWork, gateway: PaymentGateway, fulfillment_id: uuid.UUID, now: datetime
) -> CancelResult | None:
    """The sweeper's cancel of one ready pickup past its deadline; None if it no longer is
    (collected, already cancelled, or the deadline moved) when read under the order lock."""
    order_id = await uow.aftersale.order_id_of_fulfillment(fulfillment_id)
    state = None if order_id is None else await uow.aftersale.lock_order_state(order_id)
    part = None
    if state is not None:
        part = next((f for f in state.fulfillments if f.id == fulfillment_id), None)
    if state is None or part is None or not pickup_expired(part.status, part.pickup_deadline, now):
        return None
    requested = [LineQuantity(line_id, units) for line_id, units in sorted(part.lines.items())]
    plan = plan_cancellation(state.order_lines(), requested, state.shipping_minor)
    return await _apply(
        uow,
        gateway,
        state,
        plan,
        part.id,
        CancelReason.MISSED_PICKUP,
        now,
        f"missed-pickup:{fulfillment_id}",
    )


async def _apply(
    uow: CancelUnitOfWork,
    gateway: PaymentGateway,
    state: OrderState,
    plan: CancellationPlan,
    only: uuid.UUID | None,
    reason: CancelReason,
    now: datetime,
    key: str,
) -> CancelResult:
    cuts = plan_cuts(plan, state.fulfillments, only)
    await _restock(uow, state.id, cuts)
    statuses = []
    for part in state.fulfillments:
        status = part.status
        if any(cut.fulfillment_id == part.id for cut in cuts):
            left = remaining_units(part, cuts)
            if left:
                await uow.aftersale.set_fulfillment_lines(part.id, left)
            else:
                # Emptied: the fulfillment keeps its lines as a record of what it held.
                status = transition(
                    part.status, FulfillmentStatus.CANCELLED, FulfillmentMethod(part.method)
                )
                await uow.aftersale.set_fulfillment_status(part.id, status.value, now)
                await uow.add_event(
                    fulfillment_status_changed(state.id, part.id, part.status, status)
                )
        statuses.append(status)
    for line in plan.lines:
        await uow.aftersale.add_cancelled_quantity(line.line_id, line.quantity)
    await _set_order_status(uow, state, statuses, now, reason)
    amount = plan.amount_minor
    if plan.whole_order:
        # Nothing is left to fulfill: nothing stays owed. The tax on shipping is in
        # the order total but in no line's total, so the plan alone would leave it.
        amount = max(amount, await _owed(uow.payments, state.id))
    settled = await give_back(uow, gateway, state.id, amount, key)
    await reverse_order_points(uow, state.customer_id, state.id, key)
    await uow.add_event(
        order_cancelled(state, plan, reason, settled.refunded_minor, settled.voided, amount)
    )
    return CancelResult(state.id, amount, settled.refunded_minor, settled.voided)


async def _owed(payments: PaymentRepository, order_id: uuid.UUID) -> int:
    return sum(
        p.owed_minor for p in await payments.payments_for_update(order_id) if p.status != "VOIDED"
    )


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


async def _set_order_status(
    uow: CancelUnitOfWork,
    state: OrderState,
    statuses: Sequence[FulfillmentStatus],
    now: datetime,
    reason: CancelReason | None,
) -> None:
    status = derive_order_status(statuses, on_hold=state.on_hold)
    if status.value == state.status:
        return
    cancel_reason = reason.value if status is OrderStatus.CANCELLED and reason else None
    await uow.aftersale.set_order_status(state.id, status.value, now, cancel_reason)
    previous = OrderStatus(state.status) if state.status in OrderStatus.__members__ else None
    await uow.add_event(
        order_status_changed(state.id, state.customer_id, previous, status, state.number)
    )
