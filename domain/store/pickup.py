"""Pickup handover rules: the buyer's pickup code, arrival input, store events. Pure.

The pickup code is derived, not stored (like cart tokens): six digits of an
HMAC of the order id under the API secret. Only the buyer is shown it
(`Order.pickupCode`); staff see an order without its code, so a code said at
the counter proves the person holds the buyer's app or email. Rotating the
secret changes every code.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.errors import DomainError, ErrorCode
from domain.events import ORDERS_TOPIC
from domain.models import OutboxEvent
from domain.order.fulfillment import TERMINAL, FulfillmentStatus

PICKUP_CODE_DIGITS = 6
MAX_BAY_LENGTH = 20
MAX_NOTE_LENGTH = 500
PICKUP_METHOD = "PICKUP"
PICKUP_ARRIVED = "ucg.store.pickup_arrived.v1"
PICKUP_HANDED_OVER = "ucg.store.pickup_handed_over.v1"
STORE_AGGREGATE = "Store"
_CODE_CONTEXT = b"ucg-pickup-code:v1:"


def pickup_code(secret: str, order_id: uuid.UUID) -> str:
    mac = hmac.new(secret.encode(), _CODE_CONTEXT + order_id.bytes, hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**PICKUP_CODE_DIGITS:0{PICKUP_CODE_DIGITS}d}"


def check_pickup_code(secret: str, order_id: uuid.UUID, given: str) -> None:
    """A wrong code is PICKUP_CODE_INVALID on `code` (compared in constant time)."""
    expected = pickup_code(secret, order_id)
    if len(given) > 32 or not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise DomainError(
            ErrorCode.PICKUP_CODE_INVALID,
            "This is not the order's pickup code; ask the buyer to show it again.",
            ["code"],
        )


@dataclass(frozen=True)
class PickupPart:
    """A pickup fulfillment of an order, as the store sees it."""

    id: uuid.UUID
    order_id: uuid.UUID
    order_number: int
    location_id: uuid.UUID
    status: FulfillmentStatus


@dataclass(frozen=True)
class Arrival:
    id: uuid.UUID
    order_id: uuid.UUID
    fulfillment_id: uuid.UUID
    location_id: uuid.UUID
    bay: str | None
    note: str | None
    arrived_at: datetime


def clean_text(value: str | None, limit: int, field: str) -> str | None:
    """Trimmed; empty is None; over `limit` characters (or with control characters) INVALID."""
    if value is None:
        return None
    text = value.strip()
    if len(text) > limit or any(ord(c) < 32 for c in text):
        raise DomainError(
            ErrorCode.INVALID,
            f"{field} is at most {limit} characters, on one line.",
            [field],
        )
    return text or None


def open_pickup(parts: Sequence[PickupPart]) -> PickupPart:
    """The pickup the buyer arrives for: the first not handed over nor cancelled.
    An order without one (shipped, or all collected) is INVALID_TRANSITION."""
    for part in parts:
        if part.status not in TERMINAL:
            return part
    if parts:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            "This order has nothing left to pick up (collected or cancelled).",
            ["order_id"],
        )
    raise DomainError(ErrorCode.INVALID_TRANSITION, "This order is not a pickup.", ["order_id"])


def ready_pickups(parts: Sequence[PickupPart]) -> list[PickupPart]:
    """The pickups a handover hands over; none ready is INVALID_TRANSITION."""
    ready = [p for p in parts if p.status is FulfillmentStatus.READY_FOR_PICKUP]
    if not ready:
        states = ", ".join(sorted({p.status.value for p in parts})) or "not a pickup"
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"Nothing of this order is READY_FOR_PICKUP ({states}).",
            ["order_id"],
        )
    return ready


def pickup_arrived(arrival: Arrival, order_number: int) -> OutboxEvent:
    """Keyed by the store: its staff subscription reads one ordered stream. The buyer's
    note stays in Postgres (free text may name someone); staff read it by the arrival id."""
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=PICKUP_ARRIVED,
        aggregate_type=STORE_AGGREGATE,
        aggregate_id=str(arrival.location_id),
        data={
            "arrivalId": str(arrival.id),
            "orderId": str(arrival.order_id),
            "orderNumber": order_number,
            "fulfillmentId": str(arrival.fulfillment_id),
            "locationId": str(arrival.location_id),
            "bay": arrival.bay,
        },
    )


def pickup_handed_over(part: PickupPart) -> OutboxEvent:
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=PICKUP_HANDED_OVER,
        aggregate_type=STORE_AGGREGATE,
        aggregate_id=str(part.location_id),
        data={
            "orderId": str(part.order_id),
            "orderNumber": part.order_number,
            "fulfillmentId": str(part.id),
            "locationId": str(part.location_id),
        },
    )
