"""Store use-cases over a unit of work: a buyer's arrival, the pickup handover.

Each is one transaction started by the caller. The order is loaded for update
through the Order aggregate's repository (so an arrival, a handover, a cancel
and the missed-pickup sweep of one order serialize); the handover moves each
ready pickup with `fulfillment_service.update_fulfillment` (the lifecycle
table, the payment capture at the first handover, the order's events), then
writes the store's own event to the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from domain.auth import Principal, require_roles
from domain.authz import Scope, check_at_own_store, has_scope
from domain.errors import NotFound
from domain.models import OutboxEvent
from domain.order.fulfillment import FulfillmentStatus
from domain.order.fulfillment_service import (
    FULFILLMENT_ROLES,
    FulfillmentUnitOfWork,
    update_fulfillment,
)
from domain.order.model import Order
from domain.order.payments import PaymentGateway
from domain.store.pickup import (
    MAX_BAY_LENGTH,
    MAX_NOTE_LENGTH,
    PICKUP_METHOD,
    Arrival,
    PickupPart,
    check_pickup_code,
    clean_text,
    open_pickup,
    pickup_arrived,
    pickup_handed_over,
    ready_pickups,
)


class StoreRepository(Protocol):
    async def add_arrival(
        self,
        order_id: uuid.UUID,
        fulfillment_id: uuid.UUID,
        location_id: uuid.UUID,
        bay: str | None,
        note: str | None,
        now: datetime,
    ) -> Arrival: ...


class StoreUnitOfWork(FulfillmentUnitOfWork, Protocol):
    @property
    def store(self) -> StoreRepository: ...
    async def add_event(self, event: OutboxEvent) -> int: ...


def pickup_parts(order: Order) -> list[PickupPart]:
    return [
        PickupPart(f.id, order.id, order.number, f.location_id, f.status)
        for f in order.fulfillments
        if f.method == PICKUP_METHOD
    ]


async def record_arrival(
    uow: StoreUnitOfWork,
    order_id: uuid.UUID,
    bay: str | None,
    note: str | None,
    now: datetime,
) -> Arrival:
    """pickupArrival: the caller may already read the order (checked by the caller: the
    buyer, a guest holding the cart token, or the ORDERS scope)."""
    bay = clean_text(bay, MAX_BAY_LENGTH, "bay")
    note = clean_text(note, MAX_NOTE_LENGTH, "note")
    order = await uow.orders_for_update.get_for_update(order_id)
    if order is None:  # pragma: no cover - the caller read it; an order is never deleted
        raise NotFound("Order", ["order_id"])
    part = open_pickup(pickup_parts(order))
    arrival = await uow.store.add_arrival(order.id, part.id, part.location_id, bay, note, now)
    await uow.add_event(pickup_arrived(arrival, order.number))
    return arrival


async def hand_over_pickup(
    uow: StoreUnitOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    secret: str,
    order_id: uuid.UUID,
    code: str,
    now: datetime,
) -> list[PickupPart]:
    """pickupHandover: staff with the ORDERS scope (and a fulfillment role) check the
    buyer's code and mark every ready pickup of the order PICKED_UP. Anyone without the
    scope is answered as for an order that does not exist."""
    if not has_scope(principal, Scope.ORDERS):
        raise NotFound("Order", ["order_id"])
    require_roles(principal, *FULFILLMENT_ROLES)
    order = await uow.orders_for_update.get_for_update(order_id)
    if order is None:
        raise NotFound("Order", ["order_id"])
    ready = ready_pickups(pickup_parts(order))
    for part in ready:  # a key bound to a store hands over that store's pickups only
        check_at_own_store(principal, part.location_id)
    check_pickup_code(secret, order.id, code)
    for part in ready:
        await update_fulfillment(
            uow, principal, payments, part.id, FulfillmentStatus.PICKED_UP, None, now
        )
        await uow.add_event(pickup_handed_over(part))
    return ready
