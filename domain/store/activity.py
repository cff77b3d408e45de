"""What a store's staff see live (the storeActivity subscription), from the events. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.auth import Principal
from domain.authz import Scope, has_scope
from domain.errors import DomainError, ErrorCode
from domain.store.picking import WORK_LINE_PICKED
from domain.store.pickup import PICKUP_ARRIVED, PICKUP_HANDED_OVER

ORDER_CREATED = "ucg.order.created.v1"
STORE_EVENT_TYPES = (PICKUP_ARRIVED, PICKUP_HANDED_OVER, WORK_LINE_PICKED)


class ActivityKind(StrEnum):
    PICKUP_ORDER_PLACED = "PICKUP_ORDER_PLACED"
    PICKUP_ARRIVED = "PICKUP_ARRIVED"
    PICKUP_HANDED_OVER = "PICKUP_HANDED_OVER"
    WORK_LINE_PICKED = "WORK_LINE_PICKED"


_KIND_OF = {
    PICKUP_ARRIVED: ActivityKind.PICKUP_ARRIVED,
    PICKUP_HANDED_OVER: ActivityKind.PICKUP_HANDED_OVER,
    WORK_LINE_PICKED: ActivityKind.WORK_LINE_PICKED,
}


@dataclass(frozen=True)
class StoreActivity:
    event_id: uuid.UUID
    kind: ActivityKind
    location_id: uuid.UUID
    order_id: uuid.UUID
    order_number: int
    fulfillment_id: uuid.UUID
    occurred_at: datetime
    arrival_id: uuid.UUID | None = None
    bay: str | None = None
    line_id: uuid.UUID | None = None
    sku: str | None = None
    picked_quantity: int | None = None
    short_quantity: int | None = None
    fulfillment_status: str | None = None


def check_may_watch_store(principal: Principal | None) -> None:
    """Store staff (and services) with the ORDERS scope; anyone else FORBIDDEN."""
    if principal is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Sign in or send an API key.")
    if not has_scope(principal, Scope.ORDERS):
        raise DomainError(ErrorCode.FORBIDDEN, "Only store staff may follow a store's activity.")


def activity_from_store_event(
    event_id: uuid.UUID, event_type: str, time: datetime, data: Mapping[str, Any]
) -> StoreActivity:
    arrival = data.get("arrivalId")
    line = data.get("lineId")
    return StoreActivity(
        event_id=event_id,
        kind=_KIND_OF[event_type],
        location_id=uuid.UUID(str(data["locationId"])),
        order_id=uuid.UUID(str(data["orderId"])),
        order_number=int(data["orderNumber"]),
        fulfillment_id=uuid.UUID(str(data["fulfillmentId"])),
        occurred_at=time,
        arrival_id=None if arrival is None else uuid.UUID(str(arrival)),
        bay=data.get("bay"),
        line_id=None if line is None else uuid.UUID(str(line)),
        sku=data.get("sku"),
        picked_quantity=data.get("pickedQuantity"),
        short_quantity=data.get("shortQuantity"),
        fulfillment_status=data.get("fulfillmentStatus"),
    )
