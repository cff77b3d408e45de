"""Pure stock rules: availability, adjustments, where to reserve, distances."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import DomainError, ErrorCode

MAX_QUANTITY = 1_000_000
EARTH_RADIUS_KM = 6371.0088


class MovementReason(StrEnum):
    RECEIVED = "RECEIVED"
    SOLD = "SOLD"
    RETURNED = "RETURNED"
    DAMAGED = "DAMAGED"
    CYCLE_COUNT = "CYCLE_COUNT"
    CORRECTION = "CORRECTION"
    TRANSFER = "TRANSFER"
    CANCELLED = "CANCELLED"  # sold units put back on the shelf by an order cancellation


def available(on_hand: int, reserved: int, safety_stock: int) -> int:
    """Units that may be promised now; never below 0 even when safety stock exceeds the rest."""
    return max(0, on_hand - reserved - safety_stock)


@dataclass(frozen=True)
class ReservationLine:
    """One line to reserve: `quantity` units of `sku`."""

    sku: str
    quantity: int


def validate_lines(lines: Sequence[ReservationLine]) -> None:
    if not lines:
        raise DomainError(ErrorCode.INVALID, "Reserve at least one line.", ["lines"])
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if not 0 < line.quantity <= MAX_QUANTITY:
            raise DomainError(
                ErrorCode.INVALID,
                f"Quantity must be between 1 and {MAX_QUANTITY}.",
                ["lines", str(i), "quantity"],
            )
        if line.sku in seen:
            raise DomainError(
                ErrorCode.INVALID, f"SKU {line.sku} appears twice.", ["lines", str(i), "sku"]
            )
        seen.add(line.sku)


def validate_ttl(ttl_seconds: float) -> None:
    if not 0 < ttl_seconds <= 7 * 24 * 3600:
        raise DomainError(ErrorCode.INVALID, "TTL must be between 0 and 7 days.", ["ttl"])


def rank_locations(
    lines: Sequence[ReservationLine],
    stock: Mapping[uuid.UUID, Mapping[str, int]],
    distance_km: Mapping[uuid.UUID, float] | None = None,
) -> list[uuid.UUID]:
    """Locations to try, best first, from a (possibly stale) snapshot of available units.

    A location that can serve every line comes before one that cannot (one parcel,
    one pickup); then the nearest (when distances are known); then the one with the
    most units left over, so small stores are not emptied first; then by id.
    The snapshot only orders the attempts: the conditional UPDATE decides.
    """

    def key(location_id: uuid.UUID) -> tuple[int, int, float, int, str]:
        units = stock[location_id]
        served = sum(1 for line in lines if units.get(line.sku, 0) >= line.quantity)
        spare = sum(units.get(line.sku, 0) - line.quantity for line in lines)
        distance = (distance_km or {}).get(location_id, math.inf)
        return (-(served == len(lines)), -served, distance, -spare, str(location_id))

    return sorted(stock, key=key)


def new_on_hand(on_hand: int, reserved: int, *, delta: int | None, set_to: int | None) -> int:
    """On-hand after an adjustment (delta) or a count (set_to); refuses to go below reserved."""
    if (delta is None) == (set_to is None):
        raise DomainError(ErrorCode.INVALID, "Give exactly one of delta and onHand.", ["delta"])
    if set_to is not None:
        if not 0 <= set_to <= MAX_QUANTITY:
            raise DomainError(
                ErrorCode.INVALID, f"onHand must be between 0 and {MAX_QUANTITY}.", ["on_hand"]
            )
        result = set_to
    else:
        assert delta is not None
        if delta == 0 or abs(delta) > MAX_QUANTITY:
            raise DomainError(
                ErrorCode.INVALID, f"delta must be non-zero and at most {MAX_QUANTITY}.", ["delta"]
            )
        result = on_hand + delta
    if result < 0:
        raise DomainError(ErrorCode.INVALID, "On-hand cannot go below 0.", ["delta"])
    if result < reserved:
        raise DomainError(
            ErrorCode.INVALID,
            f"On-hand cannot go below the {reserved} units reserved for checkouts.",
            ["on_hand" if set_to is not None else "delta"],
        )
    if result > MAX_QUANTITY:
        raise DomainError(ErrorCode.INVALID, f"On-hand cannot exceed {MAX_QUANTITY}.", ["delta"])
    return result


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def validate_point(lat: float, lon: float, radius_km: float | None) -> None:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError(ErrorCode.INVALID, "near must be a valid lat/lon.", ["near"])
    if radius_km is not None and not 0 < radius_km <= 20_000:
        raise DomainError(ErrorCode.INVALID, "radiusKm must be between 0 and 20000.", ["radius_km"])


def sellable_total(availables: Iterable[int]) -> int:
    """A variant's sellable units for a channel: the sum over the locations that serve it."""
    return sum(max(0, a) for a in availables)


def channel_sellable(
    channel_code: str | None, per_location: Iterable[tuple[int, bool, bool]]
) -> int:
    """A variant's sellable units on a channel from (available, can_ship, can_pickup) per
    active location: the sum over the locations that serve the channel."""
    return sellable_total(
        units
        for units, ships, pickup in per_location
        if serves_channel(channel_code, Capabilities(ships, pickup, 0.0))
    )


@dataclass(frozen=True)
class Capabilities:
    """What a location can do for a buyer."""

    can_ship: bool
    can_pickup: bool
    same_day_radius_km: float


@dataclass(frozen=True)
class Offer:
    """What one location can do for one SKU, seen from the buyer's point (if given)."""

    sku: str
    location_id: uuid.UUID
    available: int
    distance_km: float | None
    can_ship: bool
    can_pickup: bool
    can_same_day: bool


def offer(
    sku: str,
    location_id: uuid.UUID,
    units_available: int,
    capabilities: Capabilities,
    distance_km: float | None,
) -> Offer:
    """Pickup, ship and same-day need stock; same-day also needs the buyer inside the radius."""
    in_stock = units_available > 0
    return Offer(
        sku=sku,
        location_id=location_id,
        available=max(0, units_available),
        distance_km=distance_km,
        can_ship=in_stock and capabilities.can_ship,
        can_pickup=in_stock and capabilities.can_pickup,
        can_same_day=(
            in_stock
            and distance_km is not None
            and capabilities.same_day_radius_km > 0
            and distance_km <= capabilities.same_day_radius_km
        ),
    )


POS_CHANNEL = "POS"


def serves_channel(channel: str | None, capabilities: Capabilities) -> bool:
    """Which locations count toward a variant's sellable total on a channel.

    POS sells what is on store shelves (pickup locations); every other channel
    sells what can reach the buyer: shipped or picked up.
    """
    if channel == POS_CHANNEL:
        return capabilities.can_pickup
    return capabilities.can_ship or capabilities.can_pickup
