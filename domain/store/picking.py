"""Store pick lists: what a store must pick, and the rules of one line's pick. Pure.

A store works the fulfillments it holds of the store methods (PICKUP,
SHIP_FROM_STORE, SAME_DAY) while they are ALLOCATED or PICKING, oldest promise
first. Each line is picked once: `picked` units found, the rest short. A short
pick cancels the missing units (with their refund) instead of leaving the order
stuck; once every line of the fulfillment is picked it moves on by itself: a
pickup to READY_FOR_PICKUP, a delivery to PACKED.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.errors import DomainError, ErrorCode
from domain.events import ORDERS_TOPIC
from domain.models import OutboxEvent
from domain.order.fulfillment import FulfillmentStatus
from domain.store.pickup import STORE_AGGREGATE

STORE_METHODS = frozenset({"PICKUP", "SHIP_FROM_STORE", "SAME_DAY"})
WORK_STATUSES = frozenset({FulfillmentStatus.ALLOCATED, FulfillmentStatus.PICKING})
WORK_LINE_PICKED = "ucg.store.work_line_picked.v1"


@dataclass(frozen=True)
class LinePick:
    line_id: uuid.UUID
    sku: str
    units: int  # of this line in the fulfillment when picked
    picked: int

    @property
    def short(self) -> int:
        return self.units - self.picked


def check_in_pick_list(method: str, status: FulfillmentStatus, location_matches: bool) -> None:
    """NOT_IN_PICK_LIST unless the fulfillment is open work of a store method here."""
    if method not in STORE_METHODS or status not in WORK_STATUSES or not location_matches:
        raise DomainError(
            ErrorCode.NOT_IN_PICK_LIST,
            f"This fulfillment is not in the store's pick list ({method}, {status}).",
            ["fulfillment_id"],
        )


def plan_pick(
    line_id: uuid.UUID, sku: str, units: int | None, already_picked: bool, picked: int
) -> LinePick:
    """One line's pick: the line must be in the fulfillment and not picked yet, and
    0 <= picked <= its units."""
    if units is None or already_picked:
        why = "was already picked" if already_picked else "is not in this fulfillment"
        raise DomainError(ErrorCode.NOT_IN_PICK_LIST, f"This line {why}.", ["line_id"])
    if not 0 <= picked <= units:
        raise DomainError(
            ErrorCode.INVALID_QUANTITY,
            f"pickedQuantity must be 0 to {units} (the line's units to pick).",
            ["picked_quantity"],
        )
    return LinePick(line_id, sku, units, picked)


def completion_target(method: str) -> FulfillmentStatus:
    """Where a fulfillment goes once every line is picked."""
    if method == "PICKUP":
        return FulfillmentStatus.READY_FOR_PICKUP
    return FulfillmentStatus.PACKED


def work_line_picked(
    pick: LinePick,
    *,
    order_id: uuid.UUID,
    order_number: int,
    fulfillment_id: uuid.UUID,
    location_id: uuid.UUID,
    status: FulfillmentStatus,
) -> OutboxEvent:
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=WORK_LINE_PICKED,
        aggregate_type=STORE_AGGREGATE,
        aggregate_id=str(location_id),
        data={
            "orderId": str(order_id),
            "orderNumber": order_number,
            "fulfillmentId": str(fulfillment_id),
            "locationId": str(location_id),
            "lineId": str(pick.line_id),
            "sku": pick.sku,
            "pickedQuantity": pick.picked,
            "shortQuantity": pick.short,
            "fulfillmentStatus": status.value,
        },
    )
