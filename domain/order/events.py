"""Order events for the outbox, and the inbound fulfillment update from a WMS / 3PL.

Event payloads carry ids, statuses and amounts, never names, emails or
addresses (PII stays in Postgres). The outbox adds the per-aggregate
sequence number, so `status_changed` events of one order can be resumed
without gaps.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import DomainError, ErrorCode
from domain.ids import from_global_id
from domain.models import OutboxEvent
from domain.order.fulfillment import FulfillmentStatus, OrderStatus, check_working_target

ORDERS_TOPIC = "ucg.orders.v1"
ORDER_CREATED = "ucg.order.created.v1"
ORDER_STATUS_CHANGED = "ucg.order.status_changed.v1"
FULFILLMENT_STATUS_CHANGED = "ucg.fulfillment.status_changed.v1"


def order_created(
    order_id: uuid.UUID,
    number: int,
    customer_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    currency_code: str,
    total_minor: int,
    status: OrderStatus,
) -> OutboxEvent:
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=ORDER_CREATED,
        aggregate_type="Order",
        aggregate_id=str(order_id),
        data={
            "orderId": str(order_id),
            "number": number,
            "customerId": None if customer_id is None else str(customer_id),
            "channelId": None if channel_id is None else str(channel_id),
            "currencyCode": currency_code,
            "totalMinor": total_minor,
            "status": status.value,
        },
    )


def order_status_changed(
    order_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    previous: OrderStatus | None,
    status: OrderStatus,
    number: int | None = None,
) -> OutboxEvent:
    """`customerId` lets subscriptions check ownership on every delivery; no other PII."""
    if previous is status:
        raise DomainError(ErrorCode.INVALID, "A status change needs a different status.")
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=ORDER_STATUS_CHANGED,
        aggregate_type="Order",
        aggregate_id=str(order_id),
        data={
            "orderId": str(order_id),
            "customerId": None if customer_id is None else str(customer_id),
            "previousStatus": None if previous is None else previous.value,
            "status": status.value,
            **({} if number is None else {"orderNumber": number}),
        },
    )


def fulfillment_status_changed(
    order_id: uuid.UUID,
    fulfillment_id: uuid.UUID,
    previous: FulfillmentStatus,
    status: FulfillmentStatus,
    tracking: Tracking | None = None,
) -> OutboxEvent:
    """Keyed by the order, so one order's events (order and fulfillments) stay in order."""
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=FULFILLMENT_STATUS_CHANGED,
        aggregate_type="Order",
        aggregate_id=str(order_id),
        data={
            "orderId": str(order_id),
            "fulfillmentId": str(fulfillment_id),
            "previousStatus": previous.value,
            "status": status.value,
            "tracking": None if tracking is None else tracking.as_dict(),
        },
    )


@dataclass(frozen=True)
class Tracking:
    carrier: str
    number: str
    url: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"carrier": self.carrier, "number": self.number, "url": self.url}


@dataclass(frozen=True)
class FulfillmentUpdate:
    """One message of `ucg.fulfillment.updates.v1`, validated."""

    event_id: str
    fulfillment_id: uuid.UUID | None
    order_id: uuid.UUID | None
    status: FulfillmentStatus
    tracking: Tracking | None


def _uuid_or_gid(value: object, type_name: str, field: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise DomainError(
            ErrorCode.INVALID, f"The {field.replace('_', ' ')} must be a string id.", [field]
        )
    if value.startswith("gid://"):
        return from_global_id(value, type_name)[1]
    try:
        return uuid.UUID(value)
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID_ID, f"The {field.replace('_', ' ')} is not an id.", [field]
        ) from None


def _text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DomainError(ErrorCode.INVALID, f"{key} must be a non-empty string.", [key])
    return value.strip()


def parse_fulfillment_update(data: Mapping[str, object]) -> FulfillmentUpdate:
    """Validate an inbound update (the `data` of the message). A DomainError here is a
    poison message: the consumer sends it to the DLQ with the message as the reason.

    `{"eventId", "fulfillmentId" | "orderId", "status", "tracking"?: {"carrier",
    "number", "url"?}}`; ids as global ids or bare UUIDs. With only `orderId`,
    the update applies to the order's fulfillments that can make the move."""
    event_id = _text(data, "eventId")
    fulfillment_id = order_id = None
    if data.get("fulfillmentId") is not None:
        fulfillment_id = _uuid_or_gid(data["fulfillmentId"], "Fulfillment", "fulfillment_id")
    if data.get("orderId") is not None:
        order_id = _uuid_or_gid(data["orderId"], "Order", "order_id")
    if fulfillment_id is None and order_id is None:
        raise DomainError(
            ErrorCode.INVALID, "fulfillmentId or orderId is required.", ["fulfillment_id"]
        )
    raw_status = data.get("status")
    if not isinstance(raw_status, str) or raw_status not in FulfillmentStatus.__members__:
        raise DomainError(ErrorCode.INVALID, f"Unknown status {raw_status!r}.", ["status"])
    status = FulfillmentStatus(raw_status)
    check_working_target(status)  # a WMS neither holds, releases nor cancels (DLQ, with why)
    tracking = None
    raw_tracking = data.get("tracking")
    if raw_tracking is not None:
        if not isinstance(raw_tracking, Mapping):
            raise DomainError(ErrorCode.INVALID, "tracking must be an object.", ["tracking"])
        url = _text(raw_tracking, "url") if raw_tracking.get("url") is not None else None
        tracking = Tracking(_text(raw_tracking, "carrier"), _text(raw_tracking, "number"), url)
    return FulfillmentUpdate(event_id, fulfillment_id, order_id, status, tracking)
