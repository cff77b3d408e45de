"""fulfillmentUpdate: staff and store associates move a fulfillment through its lifecycle.

One transaction: the order row is locked (so two updates of one order's
fulfillments serialize), the move is checked against the state-machine table
(`fulfillment.transition`), the order status is re-derived, events go to the
outbox, and the payment is captured when the first fulfillment is handed
over (SHIPPED or PICKED_UP): what is owed, `settlement.capture_owed`. Setting the
current status again changes nothing.
Only the working statuses may be set (`fulfillment.WORKING_TARGETS`): holds and
releases are orderReview's, cancelling is orderCancel's (restock, payment, reason);
and nothing moves while the order is held for review (`check_not_held`), else
shipping a suspected fraud would capture its payment before the review.
A pickup that becomes READY_FOR_PICKUP gets its pickup deadline (after it the
missed-pickup sweeper cancels it: `cancel_service.cancel_missed_pickup`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from domain.auth import Principal, Role, require_roles
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import OutboxEvent
from domain.order.events import Tracking, fulfillment_status_changed, order_status_changed
from domain.order.fulfillment import (
    HANDED_OVER,
    FulfillmentStatus,
    OrderStatus,
    check_not_held,
    check_working_target,
    derive_order_status,
    pickup_deadline,
    transition,
)
from domain.order.hours import OpeningHours
from domain.order.payments import PaymentGateway
from domain.order.routing import FulfillmentMethod
from domain.order.settlement import PaymentRepository, capture_owed

FULFILLMENT_ROLES = (Role.STORE_ASSOCIATE, Role.SERVICE)


@dataclass(frozen=True)
class FulfillmentRecord:
    id: uuid.UUID
    order_id: uuid.UUID
    method: str
    location_id: uuid.UUID
    status: str
    tracking: str | None
    created_at: datetime
    promised_at: datetime | None = None
    pickup_deadline: datetime | None = None


@dataclass(frozen=True)
class OrderHead:
    id: uuid.UUID
    number: int
    customer_id: uuid.UUID | None
    status: str
    on_hold: bool


class FulfillmentRepository(Protocol):
    async def fulfillment(self, fulfillment_id: uuid.UUID) -> FulfillmentRecord | None: ...
    async def lock_order(self, order_id: uuid.UUID) -> OrderHead | None: ...
    async def set_fulfillment(
        self, fulfillment_id: uuid.UUID, status: str, tracking: str | None, now: datetime
    ) -> FulfillmentRecord: ...
    async def fulfillment_statuses(self, order_id: uuid.UUID) -> list[str]: ...
    async def set_order_status(self, order_id: uuid.UUID, status: str, now: datetime) -> None: ...


class PickupDeadlineRepository(Protocol):
    async def location_hours(self, location_id: uuid.UUID) -> OpeningHours | None: ...
    async def set_pickup_deadline(self, fulfillment_id: uuid.UUID, deadline: datetime) -> None: ...


class FulfillmentUnitOfWork(Protocol):
    @property
    def orders(self) -> FulfillmentRepository: ...
    @property
    def aftersale(self) -> PickupDeadlineRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...
    async def add_event(self, event: OutboxEvent) -> int: ...


async def update_fulfillment(
    uow: FulfillmentUnitOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    fulfillment_id: uuid.UUID,
    target: FulfillmentStatus,
    tracking: Tracking | None,
    now: datetime,
) -> FulfillmentRecord:
    require_roles(principal, *FULFILLMENT_ROLES)
    check_working_target(target)
    found = await uow.orders.fulfillment(fulfillment_id)
    if found is None:
        raise NotFound("Fulfillment", ["id"])
    order = await uow.orders.lock_order(found.order_id)
    current = await uow.orders.fulfillment(fulfillment_id)  # re-read under the order lock
    if order is None or current is None:
        raise NotFound("Fulfillment", ["id"])
    previous = FulfillmentStatus(current.status)
    check_not_held(order.on_hold, previous)
    tracking_text = None if tracking is None else f"{tracking.carrier} {tracking.number}"
    if previous is target and (tracking is None or tracking_text == current.tracking):
        return current
    if previous is not target:
        transition(previous, target, FulfillmentMethod(current.method))
    updated = await uow.orders.set_fulfillment(
        fulfillment_id, target.value, tracking_text or current.tracking, now
    )
    if previous is target:
        return updated
    if target is FulfillmentStatus.READY_FOR_PICKUP:
        hours = await uow.aftersale.location_hours(current.location_id)
        deadline = pickup_deadline(hours, now)
        if deadline is not None:  # None: the store does not open again within the horizon
            await uow.aftersale.set_pickup_deadline(fulfillment_id, deadline)
            updated = replace(updated, pickup_deadline=deadline)
    await uow.add_event(
        fulfillment_status_changed(order.id, fulfillment_id, previous, target, tracking)
    )
    statuses = [FulfillmentStatus(s) for s in await uow.orders.fulfillment_statuses(order.id)]
    status = derive_order_status(statuses, on_hold=order.on_hold)
    if status.value != order.status:
        await uow.orders.set_order_status(order.id, status.value, now)
        await uow.add_event(
            order_status_changed(
                order.id, order.customer_id, _order_status(order.status), status, order.number
            )
        )
    if target in HANDED_OVER:
        await capture_owed(uow, payments, order.id, ["id"])
    return updated


def _order_status(value: str) -> OrderStatus | None:
    try:
        return OrderStatus(value)
    except ValueError:
        return None


def parse_tracking(carrier: str | None, number: str | None) -> Tracking | None:
    if carrier is None and number is None:
        return None
    if not carrier or not number or len(carrier) > 100 or len(number) > 100:
        raise DomainError(
            ErrorCode.INVALID,
            "Tracking needs a carrier and a number, each 1-100 characters.",
            ["tracking"],
        )
    return Tracking(carrier, number)
