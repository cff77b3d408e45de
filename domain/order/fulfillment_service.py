"""fulfillmentUpdate: staff and store associates move a fulfillment through its lifecycle.

One transaction: the Order aggregate is loaded for update (so two updates of
one order's fulfillments serialize), `Order.move` checks the move against the
state-machine table (`fulfillment.transition`) and re-derives the order status,
the save writes it and its events to the outbox, and the payment is captured when the first fulfillment is handed
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
from datetime import datetime
from typing import Protocol

from domain.auth import Principal, Role, require_roles
from domain.errors import DomainError, ErrorCode, NotFound
from domain.order.events import Tracking
from domain.order.fulfillment import (
    HANDED_OVER,
    FulfillmentStatus,
    check_not_held,
    check_working_target,
    pickup_deadline,
    transition,
)
from domain.order.hours import OpeningHours
from domain.order.model import Order, OrderRepository
from domain.order.payments import PaymentGateway
from domain.order.routing import FulfillmentMethod
from domain.order.settlement import PaymentRepository, capture_owed

FULFILLMENT_ROLES = (Role.STORE_ASSOCIATE, Role.SERVICE)


class PickupDeadlineRepository(Protocol):
    async def location_hours(self, location_id: uuid.UUID) -> OpeningHours | None: ...


class FulfillmentUnitOfWork(Protocol):
    @property
    def orders_for_update(self) -> OrderRepository: ...
    @property
    def aftersale(self) -> PickupDeadlineRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...


async def update_fulfillment(
    uow: FulfillmentUnitOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    fulfillment_id: uuid.UUID,
    target: FulfillmentStatus,
    tracking: Tracking | None,
    now: datetime,
) -> Order:
    """Move one fulfillment; returns its order as saved (`order.fulfillment(id)` is the
    fulfillment after the move, as GraphQL `Fulfillment` shows it)."""
    require_roles(principal, *FULFILLMENT_ROLES)
    check_working_target(target)
    order = await uow.orders_for_update.get_for_update_by_fulfillment(fulfillment_id)
    part = None if order is None else order.fulfillment(fulfillment_id)
    if order is None or part is None:
        raise NotFound("Fulfillment", ["id"])
    previous = part.status
    check_not_held(order.on_hold, previous)
    tracking_text = None if tracking is None else f"{tracking.carrier} {tracking.number}"
    if previous is not target or (tracking is not None and tracking_text != part.tracking):
        deadline = None
        if previous is not target:
            transition(previous, target, FulfillmentMethod(part.method))
            if target is FulfillmentStatus.READY_FOR_PICKUP:
                # None: the store does not open again within the horizon.
                deadline = pickup_deadline(
                    await uow.aftersale.location_hours(part.location_id), now
                )
        order.move(fulfillment_id, target, tracking=tracking, pickup_deadline=deadline)
        await uow.orders_for_update.save(order, now)
        if previous is not target and target in HANDED_OVER:
            await capture_owed(uow, payments, order, ["id"])
    return order


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
