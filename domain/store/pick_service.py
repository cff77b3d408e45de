"""storeWorkLinePick over a unit of work: one line of a store's pick list, in one transaction.

Under the order's lock (the Order aggregate loaded for update): the fulfillment
must be open work of the store (`picking.check_in_pick_list`) and the line in it
and not picked yet. The first pick moves ALLOCATED -> PICKING; a short pick
cancels the missing units from this fulfillment with reason STOCK_ISSUE and
settles them (void before capture, refund after) and reverses their points, as
orderCancel does, but puts no stock back: the units were not on the shelf (count
it with inventorySet). When every line is picked the fulfillment moves to
READY_FOR_PICKUP (pickup: its deadline set, the readiness clock stops) or PACKED.
Every move goes through `update_fulfillment` (the lifecycle table and the
order's events); the store's own event is written in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.auth import Principal, require_roles
from domain.authz import Scope, has_scope
from domain.errors import NotFound
from domain.models import OutboxEvent
from domain.order.aftersale import LineQuantity
from domain.order.cancel_service import AfterSaleRepository, CancelUnitOfWork
from domain.order.cancellation import CancelReason, order_cancelled
from domain.order.fulfillment import FulfillmentStatus
from domain.order.fulfillment_service import (
    FULFILLMENT_ROLES,
    FulfillmentUnitOfWork,
    PickupDeadlineRepository,
    update_fulfillment,
)
from domain.order.order_points import reverse_order_points
from domain.order.payments import PaymentGateway
from domain.order.settlement import give_back
from domain.store.picking import (
    LinePick,
    check_in_pick_list,
    completion_target,
    plan_pick,
    work_line_picked,
)


class PickRepository(Protocol):
    async def picked_lines(self, fulfillment_id: uuid.UUID) -> Mapping[uuid.UUID, int]: ...
    async def add_pick(self, fulfillment_id: uuid.UUID, pick: LinePick, now: datetime) -> None: ...


class AfterSaleAndHours(AfterSaleRepository, PickupDeadlineRepository, Protocol): ...


class PickUnitOfWork(CancelUnitOfWork, FulfillmentUnitOfWork, Protocol):
    @property
    def aftersale(self) -> AfterSaleAndHours: ...
    @property
    def picks(self) -> PickRepository: ...
    async def add_event(self, event: OutboxEvent) -> int: ...


@dataclass(frozen=True)
class PickResult:
    order_id: uuid.UUID
    fulfillment_id: uuid.UUID
    pick: LinePick
    status: FulfillmentStatus
    refunded_minor: int


async def pick_line(
    uow: PickUnitOfWork,
    principal: Principal | None,
    gateway: PaymentGateway,
    location_id: uuid.UUID,
    fulfillment_id: uuid.UUID,
    line_id: uuid.UUID,
    picked: int,
    now: datetime,
) -> PickResult:
    if not has_scope(principal, Scope.ORDERS):
        raise NotFound("Fulfillment", ["fulfillment_id"])
    require_roles(principal, *FULFILLMENT_ROLES)
    order = await uow.orders_for_update.get_for_update_by_fulfillment(fulfillment_id)
    part = None if order is None else order.fulfillment(fulfillment_id)
    if order is None or part is None:
        raise NotFound("Fulfillment", ["fulfillment_id"])
    check_in_pick_list(part.method, part.status, part.location_id == location_id)
    done = await uow.picks.picked_lines(fulfillment_id)
    line = next((s for s in order.lines if s.id == line_id), None)
    pick = plan_pick(
        line_id,
        "" if line is None else line.sku,
        part.lines.get(line_id),
        line_id in done,
        picked,
    )
    if part.status is FulfillmentStatus.ALLOCATED:
        await update_fulfillment(
            uow, principal, gateway, fulfillment_id, FulfillmentStatus.PICKING, None, now
        )
    await uow.picks.add_pick(fulfillment_id, pick, now)
    refunded = 0
    if pick.short:
        refunded = await _cancel_short(uow, gateway, fulfillment_id, pick, now)
    order = await uow.orders_for_update.get_for_update_by_fulfillment(fulfillment_id)
    assert order is not None
    part = order.fulfillment(fulfillment_id)
    assert part is not None
    status = part.status
    if status is FulfillmentStatus.PICKING and set(part.lines) <= {*done, line_id}:
        status = completion_target(part.method)
        await update_fulfillment(uow, principal, gateway, fulfillment_id, status, None, now)
    await uow.add_event(
        work_line_picked(
            pick,
            order_id=order.id,
            order_number=order.number,
            fulfillment_id=fulfillment_id,
            location_id=location_id,
            status=status,
        )
    )
    return PickResult(order.id, fulfillment_id, pick, status, refunded)


async def _cancel_short(
    uow: PickUnitOfWork,
    gateway: PaymentGateway,
    fulfillment_id: uuid.UUID,
    pick: LinePick,
    now: datetime,
) -> int:
    order = await uow.orders_for_update.get_for_update_by_fulfillment(fulfillment_id)
    assert order is not None
    reason = CancelReason.STOCK_ISSUE
    plan, _cuts, _ = order.cancel(
        [LineQuantity(pick.line_id, pick.short)], reason=reason.value, only=fulfillment_id
    )
    await uow.orders_for_update.save(order, now)
    amount = plan.amount_minor
    if plan.whole_order:
        amount = max(amount, order.owed_minor())
    key = f"short-pick:{fulfillment_id}:{pick.line_id}"
    settled = await give_back(uow, gateway, order.id, amount, key)
    await reverse_order_points(uow, order.customer_id, order.id, key)
    await uow.add_event(
        order_cancelled(order, plan, reason, settled.refunded_minor, settled.voided, amount)
    )
    return settled.refunded_minor
