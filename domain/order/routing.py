"""Fulfillment routing: which locations serve an order, as a pure, deterministic function.

Rules (docs/ORDERS.md):
- PICKUP: the chosen store if it has everything, else the nearest pickup store that
  has everything; never split (a shopper collects from one store).
- SHIP_FROM_STORE: stores that ship, nearest first.
- SHIP: warehouses that ship, nearest first.
- SAME_DAY: dark stores and stores whose same-day radius reaches the buyer, before
  their cut-off.
A single location is used whenever one can serve everything; otherwise the fewest
shipments, then the least total distance, then the smallest location ids.
Whatever cannot be served is returned, line by line, never dropped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from domain.models import LocationKind
from domain.order.fulfillment import Method, OpeningHours, pickup_ready_at

EARTH_RADIUS_KM = 6371.0088
# Exact search over combinations stays small: the nearest candidates only.
MAX_CANDIDATES = 12
SHIP_LEAD = timedelta(days=2)
SHIP_FROM_STORE_LEAD = timedelta(days=1)
SAME_DAY_LEAD = timedelta(hours=3)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def distance_km(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class RoutingLocation:
    id: str
    kind: LocationKind
    point: Point
    ships: bool = True
    pickup: bool = False
    same_day_radius_km: float = 0.0
    same_day_cutoff: time | None = None
    opening_hours: OpeningHours = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    location_id: str
    lines: tuple[Line, ...]
    distance_km: float
    promised_at: datetime | None


@dataclass(frozen=True)
class RoutingPlan:
    shipments: tuple[Shipment, ...]
    unserved: tuple[Line, ...]

    @property
    def complete(self) -> bool:
        return not self.unserved


Stock = Mapping[tuple[str, str], int]


def _merge(lines: Sequence[Line]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return dict(sorted(wanted.items()))


def _candidates(
    method: Method,
    locations: Sequence[RoutingLocation],
    destination: Point | None,
    now: datetime,
) -> list[RoutingLocation]:
    def fits(loc: RoutingLocation) -> bool:
        if method is Method.SHIP:
            return loc.kind is LocationKind.WAREHOUSE and loc.ships
        if method is Method.SHIP_FROM_STORE:
            return loc.kind is LocationKind.STORE and loc.ships
        if method is Method.PICKUP:
            return loc.kind is LocationKind.STORE and loc.pickup
        if loc.kind is LocationKind.WAREHOUSE or destination is None:
            return False
        before_cutoff = loc.same_day_cutoff is None or now.time() < loc.same_day_cutoff
        in_radius = distance_km(loc.point, destination) <= loc.same_day_radius_km
        return before_cutoff and in_radius

    return [loc for loc in locations if fits(loc)]


def _allocate(
    wanted: Mapping[str, int], ordered: Sequence[RoutingLocation], stock: Stock
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Fill each sku from the locations in order; return (per location, left over)."""
    taken: dict[str, dict[str, int]] = {}
    left: dict[str, int] = {}
    for sku, quantity in wanted.items():
        need = quantity
        for loc in ordered:
            if need == 0:
                break
            have = max(0, stock.get((sku, loc.id), 0))
            take = min(have, need)
            if take:
                taken.setdefault(loc.id, {})[sku] = take
                need -= take
        if need:
            left[sku] = need
    return taken, left


def route(
    lines: Sequence[Line],
    method: Method,
    locations: Sequence[RoutingLocation],
    stock: Stock,
    now: datetime,
    *,
    destination: Point | None = None,
    store_id: str | None = None,
) -> RoutingPlan:
    wanted = _merge([line for line in lines if line.quantity > 0])
    origin = destination
    chosen = next((loc for loc in locations if loc.id == store_id), None)
    if method is Method.PICKUP and chosen is not None:
        origin = chosen.point

    def dist(loc: RoutingLocation) -> float:
        return distance_km(loc.point, origin) if origin is not None else 0.0

    candidates = sorted(
        _candidates(method, locations, destination, now),
        key=lambda loc: (loc.id != store_id, dist(loc), loc.id),
    )

    def covers(loc: RoutingLocation) -> bool:
        return all(stock.get((sku, loc.id), 0) >= q for sku, q in wanted.items())

    single = next((loc for loc in candidates if covers(loc)), None)
    if single is not None or not wanted:
        used: Sequence[RoutingLocation] = [single] if single else []
    elif method is Method.PICKUP:
        used = []  # no split for a pickup: one store or nothing
    else:
        used = _fewest_locations(wanted, candidates[:MAX_CANDIDATES], stock, dist)
    taken, left = _allocate(wanted, used, stock)
    if method is Method.PICKUP and not used:
        left = dict(wanted)
    shipments = tuple(
        Shipment(
            location_id=loc.id,
            lines=tuple(Line(sku, q) for sku, q in sorted(taken[loc.id].items())),
            distance_km=round(dist(loc), 3),
            promised_at=_promise(method, loc, now),
        )
        for loc in used
        if loc.id in taken
    )
    return RoutingPlan(shipments, tuple(Line(sku, q) for sku, q in sorted(left.items())))


def _fewest_locations(
    wanted: Mapping[str, int],
    candidates: Sequence[RoutingLocation],
    stock: Stock,
    dist: Callable[[RoutingLocation], float],
) -> list[RoutingLocation]:
    """The smallest set of candidates that covers everything, nearest first; or all of them."""
    for size in range(2, len(candidates) + 1):
        best: tuple[float, tuple[str, ...]] | None = None
        best_combo: tuple[RoutingLocation, ...] = ()
        for combo in itertools.combinations(candidates, size):
            _, left = _allocate(wanted, combo, stock)
            if left:
                continue
            key = (sum(dist(loc) for loc in combo), tuple(loc.id for loc in combo))
            if best is None or key < best:
                best, best_combo = key, combo
        if best is not None:
            return list(best_combo)
    return list(candidates)


def _promise(method: Method, loc: RoutingLocation, now: datetime) -> datetime | None:
    if method is Method.PICKUP:
        return pickup_ready_at(now, loc.opening_hours)
    if method is Method.SAME_DAY:
        return now + SAME_DAY_LEAD
    if method is Method.SHIP_FROM_STORE:
        return now + SHIP_FROM_STORE_LEAD
    return now + SHIP_LEAD
