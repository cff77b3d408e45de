"""Fulfillment updates from a WMS / 3PL (`ucg.fulfillment.updates.v1`), applied.

The message is parsed by `events.parse_fulfillment_update`; this applies it
with the same use-case staff call (`update_fulfillment`), so the lifecycle
table, the order status, the outbox events and the capture on hand-over are
the same whichever side reports the move. Deduplication by event id is the
consumer's job (same transaction), not this module's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.auth import Principal, require_roles
from domain.errors import DomainError, ErrorCode, NotFound
from domain.order.events import FulfillmentUpdate
from domain.order.fulfillment import (
    FulfillmentStatus,
    can_transition,
    check_not_held,
    check_working_target,
)
from domain.order.fulfillment_service import (
    FULFILLMENT_ROLES,
    PickupDeadlineRepository,
    update_fulfillment,
)
from domain.order.model import Fulfillment, OrderRepository
from domain.order.payments import PaymentGateway
from domain.order.routing import FulfillmentMethod
from domain.order.settlement import PaymentRepository


class InboundFulfillmentUnitOfWork(Protocol):
    @property
    def orders_for_update(self) -> OrderRepository: ...
    @property
    def aftersale(self) -> PickupDeadlineRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...


def fulfillments_to_move(
    fulfillments: Sequence[Fulfillment], target: FulfillmentStatus
) -> list[uuid.UUID]:
    """An update naming only the order applies to each of its fulfillments that is at
    `target` already (tracking may still change) or may move there; one that may not
    (say, a cancelled one, or one held for review: ON_HOLD goes to no working status)
    is left alone.
    None at all is an INVALID_TRANSITION, as is a target outside `WORKING_TARGETS`."""
    check_working_target(target)
    chosen = [
        f.id
        for f in fulfillments
        if f.status is target or can_transition(f.status, target, FulfillmentMethod(f.method))
    ]
    if not chosen:
        found = ", ".join(f.status.value for f in fulfillments) or "none"
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"No fulfillment of the order can go to {target}; their statuses: {found}.",
            ["status"],
        )
    return chosen


async def apply_fulfillment_update(
    uow: InboundFulfillmentUnitOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    update: FulfillmentUpdate,
    now: datetime,
) -> None:
    """Apply one update; a refusal (unknown fulfillment or order, illegal move) raises
    a DomainError, and nothing of the update is written."""
    require_roles(principal, *FULFILLMENT_ROLES)
    if update.fulfillment_id is not None:
        if update.order_id is not None:
            found = await uow.orders_for_update.get_for_update_by_fulfillment(update.fulfillment_id)
            if found is None:
                raise NotFound("Fulfillment", ["fulfillment_id"])
            if found.id != update.order_id:
                raise DomainError(
                    ErrorCode.INVALID,
                    "fulfillmentId is not a fulfillment of orderId.",
                    ["fulfillment_id"],
                )
        await update_fulfillment(
            uow, principal, payments, update.fulfillment_id, update.status, update.tracking, now
        )
        return
    assert update.order_id is not None  # the parser requires one of the two
    # Locked before reading the fulfillments, so the choice below still holds when
    # update_fulfillment takes the same lock again (same transaction).
    order = await uow.orders_for_update.get_for_update(update.order_id)
    if order is None:
        raise NotFound("Order", ["order_id"])
    check_not_held(order.on_hold)
    for f in fulfillments_to_move(order.fulfillments, update.status):
        await update_fulfillment(uow, principal, payments, f, update.status, update.tracking, now)
