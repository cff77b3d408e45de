"""Reserve in store: rules of a customer's hold at a store (no payment, a TTL). Pure.

A hold is a reservation (domain/inventory: one conditional UPDATE per line, so no
oversell) at one store for one customer. Its status is read from the reservation:
ACTIVE until cancelled (CANCELLED) or past its TTL (EXPIRED; the reservation
sweeper then gives the units back, as for an abandoned checkout).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.auth import Principal, PrincipalKind
from domain.authz import Scope, has_scope
from domain.errors import DomainError, ErrorCode
from domain.events import ORDERS_TOPIC
from domain.models import OutboxEvent
from domain.store.pickup import STORE_AGGREGATE

HOLD_PLACED = "ucg.store.hold_placed.v1"
HOLD_CANCELLED = "ucg.store.hold_cancelled.v1"
MIN_TTL_MINUTES = 15
MAX_TTL_MINUTES = 7 * 24 * 60
DEFAULT_TTL_MINUTES = 24 * 60
HOLD_LOCATION_KINDS = frozenset({"STORE"})


class HoldStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    COLLECTED = "COLLECTED"


@dataclass(frozen=True)
class HoldLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class StoreHold:
    id: uuid.UUID
    reservation_id: uuid.UUID
    location_id: uuid.UUID
    customer_id: uuid.UUID
    reservation_status: str
    expires_at: datetime
    created_at: datetime
    cancelled_at: datetime | None
    lines: tuple[HoldLine, ...]

    def status(self, now: datetime) -> HoldStatus:
        if self.reservation_status == "RELEASED":
            return HoldStatus.CANCELLED
        if self.reservation_status == "COMMITTED":
            return HoldStatus.COLLECTED
        if self.reservation_status == "EXPIRED" or now >= self.expires_at:
            return HoldStatus.EXPIRED
        return HoldStatus.ACTIVE


def check_ttl(minutes: int) -> int:
    if not MIN_TTL_MINUTES <= minutes <= MAX_TTL_MINUTES:
        raise DomainError(
            ErrorCode.INVALID,
            f"ttlMinutes must be {MIN_TTL_MINUTES} to {MAX_TTL_MINUTES}.",
            ["ttl_minutes"],
        )
    return minutes


def hold_customer(principal: Principal | None, customer_id: uuid.UUID | None) -> uuid.UUID:
    """For whom: a customer holds for themself; staff with the ORDERS scope (associates,
    POS) for the customer they name. Anyone else: NOT_FOUND, as for no such customer."""
    if principal is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Sign in or send an API key.")
    if principal.kind is PrincipalKind.CUSTOMER:
        if customer_id is not None and customer_id != principal.id:
            raise DomainError(ErrorCode.NOT_FOUND, "Customer does not exist.", ["customer_id"])
        return principal.id
    if not has_scope(principal, Scope.ORDERS):
        raise DomainError(ErrorCode.NOT_FOUND, "Customer does not exist.", ["customer_id"])
    if customer_id is None:
        raise DomainError(ErrorCode.INVALID, "Name the customer to hold for.", ["customer_id"])
    return customer_id


def may_manage_hold(principal: Principal | None, hold: StoreHold) -> bool:
    if principal is None:
        return False
    if principal.kind is PrincipalKind.CUSTOMER:
        return principal.id == hold.customer_id
    return has_scope(principal, Scope.ORDERS)


def check_hold_location(kind: str | None) -> None:
    if kind is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Location does not exist.", ["location_id"])
    if kind not in HOLD_LOCATION_KINDS:
        raise DomainError(
            ErrorCode.FULFILLMENT_UNAVAILABLE,
            "Items can be held only at a store.",
            ["location_id"],
        )


def check_cancellable(hold: StoreHold, now: datetime) -> None:
    status = hold.status(now)
    if status is not HoldStatus.ACTIVE:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"The hold is {status}; nothing to cancel.", ["hold_id"]
        )


def hold_placed(hold: StoreHold) -> OutboxEvent:
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=HOLD_PLACED,
        aggregate_type=STORE_AGGREGATE,
        aggregate_id=str(hold.location_id),
        data={
            "holdId": str(hold.id),
            "reservationId": str(hold.reservation_id),
            "locationId": str(hold.location_id),
            "customerId": str(hold.customer_id),
            "expiresAt": hold.expires_at.isoformat(),
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in hold.lines],
        },
    )


def hold_cancelled(hold: StoreHold) -> OutboxEvent:
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=HOLD_CANCELLED,
        aggregate_type=STORE_AGGREGATE,
        aggregate_id=str(hold.location_id),
        data={
            "holdId": str(hold.id),
            "reservationId": str(hold.reservation_id),
            "locationId": str(hold.location_id),
            "customerId": str(hold.customer_id),
        },
    )
