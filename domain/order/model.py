"""The Order aggregate: an order with its lines, fulfillments and payments.

One consistency boundary, loaded for update (the order row locked) by one
repository (`ports.OrderRepository`) and saved by it. Its behaviour changes it
in memory and returns the domain events of the change; the repository's save
writes the change and those events to the outbox in the same transaction.

- `Order.place(...)`: the one factory of a new order (checkout, the endless aisle,
  the till), with its `order_created` event; the repository's `add` writes it;
- `move(fulfillment, status)`: one fulfillment through its lifecycle (the table
  of `fulfillment.TRANSITIONS`), the order status re-derived;
- `cancel(lines)`: units taken out of the least advanced fulfillments
  (`Cut`s: which location gets which units back), emptied fulfillments
  CANCELLED, the lines' cancelled quantities up;
- `release_hold()`: the review's APPROVE, held fulfillments released;
- `request_return(lines, reason, now)`: what a return request may take back (the
  after-sale rules over the lines), those units requested from then on;
- `receive_return(lines)`: the lines' returned quantities up;
- `capture_owed()`: the payments whose owed amount is still to be captured.

The order status is never set by hand: it is derived from the fulfillments
(`fulfillment.derive_order_status`) after every change.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from domain.errors import DomainError, ErrorCode
from domain.models import OutboxEvent
from domain.order import aftersale
from domain.order.events import (
    Tracking,
    fulfillment_status_changed,
    order_created,
    order_status_changed,
)
from domain.order.fulfillment import (
    FulfillmentStatus,
    OrderStatus,
    derive_order_status,
    transition,
)
from domain.order.order_parts import Cut as Cut
from domain.order.order_parts import Fulfillment as Fulfillment
from domain.order.order_parts import OrderLine as OrderLine
from domain.order.order_parts import plan_cuts as plan_cuts
from domain.order.order_parts import remaining_units as remaining_units
from domain.order.order_record import OrderRecord
from domain.order.placement import NewFulfillment, NewLine, NewPayment, Placement, new_parts
from domain.order.routing import FulfillmentMethod
from domain.order.settlement import PaymentState, PaymentStatus


@dataclass
class Order:
    id: uuid.UUID
    number: int
    customer_id: uuid.UUID | None
    channel_code: str | None
    status: OrderStatus
    on_hold: bool
    currency_code: str
    shipping_minor: int
    lines: tuple[OrderLine, ...]
    fulfillments: tuple[Fulfillment, ...]
    payments: tuple[PaymentState, ...] = ()
    cancel_reason: str | None = None  # set when the whole order became CANCELLED
    cart_id: uuid.UUID | None = None  # the cart it was checked out from (a guest's bearer)
    channel_id: uuid.UUID | None = None
    # The amounts charged at checkout (total = subtotal - discount + tax + shipping).
    subtotal_minor: int = 0
    discount_minor: int = 0
    tax_minor: int = 0
    total_minor: int = 0
    risk_score: int = 0
    risk_reasons: tuple[Mapping[str, object], ...] = ()
    request_hash: str | None = None  # of the request that placed it (idempotent replays)
    created_at: datetime | None = None  # set by the database when the order is added
    cancelled_at: datetime | None = None
    # Only on an order just placed (`Order.place`): what its row records about the sale.
    placement: Placement | None = field(default=None, compare=False, repr=False)
    # Events of the changes not saved yet (the repository's save writes them).
    events: list[OutboxEvent] = field(default_factory=list, compare=False, repr=False)

    # Placing --------------------------------------------------------------

    @classmethod
    def place(
        cls,
        *,
        number: int,
        customer_id: uuid.UUID | None,
        channel_id: uuid.UUID,
        currency_code: str,
        lines: Sequence[NewLine],
        fulfillments: Sequence[NewFulfillment],
        payments: Sequence[NewPayment],
        totals: aftersale.OrderTotals,
        placement: Placement,
        request_hash: str | None,
        on_hold: bool = False,
        cart_id: uuid.UUID | None = None,
        risk_score: int = 0,
        risk_reasons: Sequence[Mapping[str, object]] = (),
    ) -> tuple[Order, list[OutboxEvent]]:
        """A new order with its lines, fulfillments and payments (ids given here, the
        number by the caller from the order number sequence), its status derived from
        the fulfillments, and its `order_created` event (pending, as every change's)."""
        made, parts, paid = new_parts(lines, fulfillments, payments, currency_code)
        status = derive_order_status((p.status for p in parts), on_hold=on_hold)
        order = cls(
            id=uuid.uuid4(),
            number=number,
            customer_id=customer_id,
            channel_code=None,
            status=status,
            on_hold=on_hold,
            currency_code=currency_code,
            shipping_minor=totals.shipping_minor,
            lines=made,
            fulfillments=parts,
            payments=paid,
            cart_id=cart_id,
            channel_id=channel_id,
            subtotal_minor=totals.subtotal_minor,
            discount_minor=totals.discount_minor,
            tax_minor=totals.tax_minor,
            total_minor=totals.total_minor,
            risk_score=risk_score,
            risk_reasons=tuple(risk_reasons),
            request_hash=request_hash,
            placement=placement,
        )
        event = order_created(
            order.id, number, customer_id, channel_id, currency_code, totals.total_minor, status
        )
        return order, order._record([event])

    # Reading --------------------------------------------------------------

    def record(self) -> OrderRecord:
        """The order's read projection (GraphQL `Order`, listings: domain/order/order_record.py)."""
        if self.created_at is None:
            raise RuntimeError("record() of an order not added yet")
        return OrderRecord(
            id=self.id,
            number=self.number,
            customer_id=self.customer_id,
            status=self.status,
            currency_code=self.currency_code,
            total_minor=self.total_minor,
            created_at=self.created_at,
            subtotal_minor=self.subtotal_minor,
            discount_minor=self.discount_minor,
            tax_minor=self.tax_minor,
            shipping_minor=self.shipping_minor,
            on_hold=self.on_hold,
            risk_score=self.risk_score,
            risk_reasons=self.risk_reasons,
            cancelled_at=self.cancelled_at,
            cancel_reason=self.cancel_reason,
            cart_id=self.cart_id,
        )

    def fulfillment(self, fulfillment_id: uuid.UUID) -> Fulfillment | None:
        return next((f for f in self.fulfillments if f.id == fulfillment_id), None)

    def derived_status(self) -> OrderStatus:
        return derive_order_status((f.status for f in self.fulfillments), on_hold=self.on_hold)

    def totals(self) -> aftersale.OrderTotals:
        return aftersale.order_totals(self.lines, self.shipping_minor)

    def owed_minor(self) -> int:
        """What the buyer still owes over every payment not voided."""
        return sum(p.owed_minor for p in self.payments if p.status is not PaymentStatus.VOIDED)

    # Behaviour ------------------------------------------------------------

    def move(
        self,
        fulfillment_id: uuid.UUID,
        target: FulfillmentStatus,
        *,
        tracking: Tracking | None = None,
        pickup_deadline: datetime | None = None,
    ) -> list[OutboxEvent]:
        """Move one fulfillment to `target` (a legal move for its method), with the new
        tracking and pickup deadline if given; the same status again only updates the
        tracking, with no event."""
        part = self._part(fulfillment_id)
        text = None if tracking is None else f"{tracking.carrier} {tracking.number}"
        if part.status is target:
            if text is not None:
                self._put(replace(part, tracking=text))
            return []
        status = transition(part.status, target, FulfillmentMethod(part.method))
        self._put(
            replace(
                part,
                status=status,
                tracking=text or part.tracking,
                pickup_deadline=pickup_deadline or part.pickup_deadline,
            )
        )
        events = [fulfillment_status_changed(self.id, part.id, part.status, status, tracking)]
        return self._record(events + self._restatus(None))

    def cancel(
        self,
        lines: Sequence[aftersale.LineQuantity] | None,
        *,
        reason: str,
        only: uuid.UUID | None = None,
    ) -> tuple[aftersale.CancellationPlan, list[Cut], list[OutboxEvent]]:
        """Cancel units (`lines=None`: every unit not yet handed over), from the least
        advanced fulfillments (or from `only`). Returns the plan (what the buyer no
        longer owes), the cuts (where stock goes back) and the events."""
        plan = aftersale.plan_cancellation(
            self.lines, self.fulfillments, lines, self.shipping_minor
        )
        cuts = plan_cuts(plan, self.fulfillments, only)
        events: list[OutboxEvent] = []
        for part in self.fulfillments:
            if not any(cut.fulfillment_id == part.id for cut in cuts):
                continue
            left = remaining_units(part, cuts)
            if left:
                self._put(replace(part, lines=left))
                continue
            # Emptied: the fulfillment keeps its lines as a record of what it held.
            status = transition(
                part.status, FulfillmentStatus.CANCELLED, FulfillmentMethod(part.method)
            )
            self._put(replace(part, status=status))
            events.append(fulfillment_status_changed(self.id, part.id, part.status, status))
        given = {line.line_id: line.quantity for line in plan.lines}
        self.lines = tuple(
            replace(line, cancelled_quantity=line.cancelled_quantity + given[line.id])
            if line.id in given
            else line
            for line in self.lines
        )
        return plan, cuts, self._record(events + self._restatus(reason))

    def release_hold(self) -> list[OutboxEvent]:
        """orderReview APPROVE: the review flag off; each ON_HOLD fulfillment takes the
        table's path ON_HOLD -> PENDING (approved) -> ALLOCATED (released to the
        location's pick queue, where an order never held starts)."""
        self.on_hold = False
        events: list[OutboxEvent] = []
        for part in self.fulfillments:
            if part.status is not FulfillmentStatus.ON_HOLD:
                continue
            status: FulfillmentStatus = part.status
            for target in (FulfillmentStatus.PENDING, FulfillmentStatus.ALLOCATED):
                transition(status, target, FulfillmentMethod(part.method))
                events.append(fulfillment_status_changed(self.id, part.id, status, target))
                status = target
            self._put(replace(part, status=status))
        return self._record(events + self._restatus(None))

    def request_return(
        self,
        lines: Sequence[aftersale.LineQuantity],
        reason: aftersale.ReturnReason,
        now: datetime,
    ) -> aftersale.ReturnPlan:
        """What a return request may take back (delivered or picked up, not returned nor
        asked for already, within the return window of the delivery) and the money per
        line; the asked-for units count as requested from now on. The request's own
        record (and event) is the return repository's."""
        plan = aftersale.plan_return(self.lines, self.fulfillments, lines, reason, now)
        asked = {line.line_id: line.quantity for line in plan.lines}
        self.lines = tuple(
            replace(line, requested_quantity=line.requested_quantity + asked[line.id])
            if line.id in asked
            else line
            for line in self.lines
        )
        return plan

    def receive_return(self, lines: Mapping[uuid.UUID, int]) -> list[OutboxEvent]:
        """Units of a return received back: the lines' returned quantities grow (the
        return was planned against what was delivered) and they are no longer only
        requested. Its events are the return's."""
        self.lines = tuple(
            replace(
                line,
                returned_quantity=line.returned_quantity + lines[line.id],
                requested_quantity=max(0, line.requested_quantity - lines[line.id]),
            )
            if line.id in lines
            else line
            for line in self.lines
        )
        return []

    def capture_owed(self) -> list[PaymentState]:
        """The payments with an owed amount still to capture (at the first handover):
        what is owed, not what was authorized, so a line cancelled before is never
        charged."""
        return [
            p for p in self.payments if p.status is PaymentStatus.AUTHORIZED and p.owed_minor > 0
        ]

    def pull_events(self) -> list[OutboxEvent]:
        """The events not saved yet, in the order they happened (and forget them)."""
        events, self.events = self.events, []
        return events

    # Internals ------------------------------------------------------------

    def _part(self, fulfillment_id: uuid.UUID) -> Fulfillment:
        part = self.fulfillment(fulfillment_id)
        if part is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such fulfillment in this order.", ["id"])
        return part

    def _put(self, part: Fulfillment) -> None:
        self.fulfillments = tuple(part if f.id == part.id else f for f in self.fulfillments)

    def _record(self, events: list[OutboxEvent]) -> list[OutboxEvent]:
        self.events.extend(events)
        return events

    def _restatus(self, reason: str | None) -> list[OutboxEvent]:
        status = self.derived_status()
        if status is self.status:
            return []
        previous, self.status = self.status, status
        if status is OrderStatus.CANCELLED and reason is not None:
            self.cancel_reason = reason
        return [order_status_changed(self.id, self.customer_id, previous, status, self.number)]


class OrderRepository(Protocol):
    """Loads an order for update (its row locked) and saves it with its events; adds a
    new one (`Order.place`) with its lines, fulfillments and payments."""

    async def get_for_update(self, order_id: uuid.UUID) -> Order | None: ...
    async def get_for_update_by_fulfillment(self, fulfillment_id: uuid.UUID) -> Order | None: ...
    async def get_by_idempotency_key(self, key: str) -> Order | None: ...
    async def next_number(self) -> int: ...
    async def add(self, order: Order) -> None: ...
    async def save(self, order: Order, now: datetime) -> None: ...
