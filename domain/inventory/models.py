"""Inventory records returned by the use-cases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ReservationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    COMMITTED = "COMMITTED"


@dataclass(frozen=True)
class ReservedLine:
    """Units of one SKU held at one location for a reservation."""

    sku: str
    location_id: uuid.UUID
    quantity: int


@dataclass
class Reservation:
    id: uuid.UUID
    status: ReservationStatus
    expires_at: datetime
    reference: str | None
    lines: list[ReservedLine] = field(default_factory=list)
    expired: bool = False
