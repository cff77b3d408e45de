"""Fulfillment routing: which locations serve an order, and by when.

`route()` is pure and deterministic: the same lines, locations, stock and
`now` give the same plan whatever order they are passed in. "Cannot serve" is
a result (`Unroutable`), not an exception; malformed input is a DomainError.
The rules are written out in docs/ORDERS.md.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from itertools import combinations

from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import LocationKind
from domain.order.hours import OpeningHours, add_opening_time

EARTH_RADIUS_KM = 6371.0088


class FulfillmentMethod(StrEnum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"
    SHIP_FROM_STORE = "SHIP_FROM_STORE"
    SAME_DAY = "SAME_DAY"


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.latitude <= 90.0 and -180.0 <= self.longitude <= 180.0):
            raise DomainError(ErrorCode.INVALID, "Coordinates are out of range.")


def haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in km on a spherical Earth (mean radius)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class RoutingLocation:
    """A location as routing sees it: where it is and what it can do."""

    id: uuid.UUID
    kind: LocationKind
    point: GeoPoint | None
    ships: bool = False
    pickup: bool = False
    same_day_radius_km: float = 0.0
    # Local wall-clock time (in the opening hours' zone, UTC without hours)
    # after which same-day orders are no longer accepted.
    same_day_cutoff: time | None = None
    hours: OpeningHours | None = None  # None: always open
    active: bool = True


@dataclass(frozen=True)
class RoutingLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class RoutingPolicy:
    pickup_preparation: timedelta = timedelta(hours=2)  # of opening time
    ship_handling: timedelta = timedelta(hours=24)  # of opening time, until dispatch
    km_per_transit_day: float = 800.0
    unknown_distance_transit_days: int = 3
    same_day_delivery: timedelta = timedelta(hours=3)  # of opening time, same local day
    # Exhaustive search over sets of locations stops after this many subsets;
    # a greedy cover finishes the job (one location is always searched exactly).
    max_exact_subsets: int = 20_000
    max_alternatives: int = 5


@dataclass(frozen=True)
class Shipment:
    location_id: uuid.UUID
    lines: tuple[RoutingLine, ...]
    distance_km: float | None  # from the location to the buyer; None when unknown
    promised_at: datetime  # PICKUP: ready by; SHIP*/SAME_DAY: delivered by


@dataclass(frozen=True)
class RoutingPlan:
    method: FulfillmentMethod
    shipments: tuple[Shipment, ...]

    @property
    def is_split(self) -> bool:
        return len(self.shipments) > 1


class UnroutableReason(StrEnum):
    OUT_OF_STOCK = "OUT_OF_STOCK"  # eligible locations exist, their stock is short
    NO_ELIGIBLE_LOCATION = "NO_ELIGIBLE_LOCATION"  # nobody offers this method here/now


@dataclass(frozen=True)
class UnservedLine:
    sku: str
    requested: int
    available: int  # what the method could offer for this sku (< requested)


@dataclass(frozen=True)
class Unroutable:
    method: FulfillmentMethod
    reason: UnroutableReason
    lines: tuple[UnservedLine, ...]
    # PICKUP only: other pickup locations that hold everything, nearest first.
    alternatives: tuple[uuid.UUID, ...] = ()

    def to_domain_error(self, fields: Mapping[str, list[str]] | None = None) -> DomainError:
        """The user error for checkout: OUT_OF_STOCK naming the first short line (its
        input path from `fields`, by sku) or FULFILLMENT_UNAVAILABLE."""
        if self.reason is UnroutableReason.NO_ELIGIBLE_LOCATION:
            return DomainError(
                ErrorCode.FULFILLMENT_UNAVAILABLE,
                f"No location offers {self.method} for this address, store or time.",
                ["fulfillment", "method"],
            )
        first = self.lines[0]
        skus = ", ".join(line.sku for line in self.lines)
        return DomainError(
            ErrorCode.OUT_OF_STOCK,
            f"Not enough stock for {skus} ({first.sku}: {first.available} of "
            f"{first.requested} available for {self.method}).",
            (fields or {}).get(first.sku, ["lines", first.sku]),
        )


RoutingResult = RoutingPlan | Unroutable

StockMap = Mapping[tuple[str, uuid.UUID], int]


@dataclass(frozen=True)
class _Candidate:
    location: RoutingLocation
    distance: float  # math.inf when unknown
    promised_at: datetime

    @property
    def key(self) -> tuple[float, uuid.UUID]:
        return (self.distance, self.location.id)


def merge_lines(lines: Iterable[RoutingLine]) -> dict[str, int]:
    """Quantities per sku (duplicate skus add up), validated, sorted by sku."""
    merged: dict[str, int] = {}
    for index, line in enumerate(lines):
        if not line.sku:
            raise DomainError(ErrorCode.INVALID, "A line has no sku.", ["lines", str(index)])
        if line.quantity <= 0:
            raise DomainError(
                ErrorCode.INVALID, "Quantities must be positive.", ["lines", str(index), "quantity"]
            )
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    if not merged:
        raise DomainError(ErrorCode.INVALID, "There is nothing to fulfill.", ["lines"])
    return dict(sorted(merged.items()))


def is_capable(location: RoutingLocation, method: FulfillmentMethod) -> bool:
    """The static capability rule (same-day also needs radius, cut-off and hours)."""
    if not location.active:
        return False
    if method is FulfillmentMethod.SHIP:
        return location.ships and location.kind is LocationKind.WAREHOUSE
    if method is FulfillmentMethod.SHIP_FROM_STORE:
        return location.ships and location.kind is LocationKind.STORE
    if method is FulfillmentMethod.PICKUP:
        return location.pickup
    return (
        location.kind in (LocationKind.STORE, LocationKind.DARK_STORE)
        and location.same_day_radius_km > 0
        and location.same_day_cutoff is not None
        and location.point is not None
    )


def _distance(location: RoutingLocation, reference: GeoPoint | None) -> float:
    if location.point is None or reference is None:
        return math.inf
    return haversine_km(location.point, reference)


def _promise(
    location: RoutingLocation,
    method: FulfillmentMethod,
    distance: float,
    now: datetime,
    policy: RoutingPolicy,
) -> datetime | None:
    hours = location.hours
    if method is FulfillmentMethod.PICKUP:
        return add_opening_time(hours, now, policy.pickup_preparation)
    if method is FulfillmentMethod.SAME_DAY:
        if distance > location.same_day_radius_km:
            return None
        zone = hours.tz if hours is not None else UTC
        cutoff = location.same_day_cutoff
        local_now = now.astimezone(zone)
        if cutoff is None or local_now.time() >= cutoff:
            return None
        promised = add_opening_time(hours, now, policy.same_day_delivery)
        if promised is None or promised.astimezone(zone).date() != local_now.date():
            return None
        return promised
    dispatch = add_opening_time(hours, now, policy.ship_handling)
    if dispatch is None:
        return None
    if math.isinf(distance):
        days = policy.unknown_distance_transit_days
    else:
        days = max(1, math.ceil(distance / policy.km_per_transit_day))
    return dispatch + timedelta(days=days)


def _candidates(
    locations: Sequence[RoutingLocation],
    method: FulfillmentMethod,
    reference: GeoPoint | None,
    now: datetime,
    policy: RoutingPolicy,
) -> list[_Candidate]:
    found = []
    for location in locations:
        if not is_capable(location, method):
            continue
        distance = _distance(location, reference)
        promised = _promise(location, method, distance, now, policy)
        if promised is not None:
            found.append(_Candidate(location, distance, promised))
    return sorted(found, key=lambda c: c.key)


def _available(stock: StockMap, sku: str, location_id: uuid.UUID) -> int:
    return max(0, stock.get((sku, location_id), 0))


def _covers(stock: StockMap, wanted: Mapping[str, int], group: Sequence[_Candidate]) -> bool:
    return all(
        sum(_available(stock, sku, c.location.id) for c in group) >= qty
        for sku, qty in wanted.items()
    )


def _shipment(candidate: _Candidate, lines: Mapping[str, int]) -> Shipment:
    distance = None if math.isinf(candidate.distance) else candidate.distance
    return Shipment(
        location_id=candidate.location.id,
        lines=tuple(RoutingLine(sku, qty) for sku, qty in sorted(lines.items())),
        distance_km=distance,
        promised_at=candidate.promised_at,
    )


def route(
    lines: Iterable[RoutingLine],
    method: FulfillmentMethod,
    locations: Iterable[RoutingLocation],
    stock: StockMap,
    now: datetime,
    *,
    destination: GeoPoint | None = None,
    location_id: uuid.UUID | None = None,
    policy: RoutingPolicy | None = None,
) -> RoutingResult:
    """Plan the shipments of an order, or say which lines cannot be served.

    `destination` is the buyer's address (required for SAME_DAY; PICKUP needs it
    or `location_id`). `location_id` pins the order to one location (the
    chosen pickup store, or a store associate shipping from their own store).
    """
    policy = policy or RoutingPolicy()
    if now.tzinfo is None:
        raise DomainError(ErrorCode.INVALID, "`now` must be timezone-aware.")
    wanted = merge_lines(lines)
    by_id: dict[uuid.UUID, RoutingLocation] = {}
    for location in locations:
        if location.id in by_id:
            raise DomainError(ErrorCode.INVALID, f"Location {location.id} is listed twice.")
        by_id[location.id] = location
    ordered = [by_id[key] for key in sorted(by_id)]

    if method is FulfillmentMethod.SAME_DAY and destination is None:
        raise DomainError(
            ErrorCode.INVALID, "Same-day delivery needs a delivery address.", _ADDRESS
        )
    pinned: RoutingLocation | None = None
    if location_id is not None:
        pinned = by_id.get(location_id)
        if pinned is None or not pinned.active:
            raise NotFound("Location", _LOCATION)
    elif method is FulfillmentMethod.PICKUP and destination is None:
        raise DomainError(
            ErrorCode.INVALID, "Pickup needs a store (locationId) or an address.", _LOCATION
        )

    reference = destination
    if reference is None and pinned is not None:
        reference = pinned.point
    candidates = _candidates(ordered, method, reference, now, policy)
    if pinned is not None:
        pool = [c for c in candidates if c.location.id == pinned.id]
    else:
        pool = candidates
    if not pool:
        return Unroutable(
            method,
            UnroutableReason.NO_ELIGIBLE_LOCATION,
            tuple(UnservedLine(sku, qty, 0) for sku, qty in wanted.items()),
        )
    if method is FulfillmentMethod.PICKUP:
        return _route_single(method, wanted, pool, candidates, stock, policy)
    return _route_split(method, wanted, pool, stock, policy)


_ADDRESS = ["fulfillment", "address"]
_LOCATION = ["fulfillment", "location_id"]


def _route_single(
    method: FulfillmentMethod,
    wanted: Mapping[str, int],
    pool: Sequence[_Candidate],
    everyone: Sequence[_Candidate],
    stock: StockMap,
    policy: RoutingPolicy,
) -> RoutingResult:
    """One location must hold everything (a buyer collects from one place)."""
    for candidate in pool:  # nearest first, then by id
        if _covers(stock, wanted, [candidate]):
            return RoutingPlan(method, (_shipment(candidate, wanted),))

    # Report the shortfall of the location that covers the most lines, then
    # the most units, then the nearest.
    def covered(c: _Candidate) -> tuple[int, int]:
        held = {sku: _available(stock, sku, c.location.id) for sku in wanted}
        lines = sum(held[sku] >= q for sku, q in wanted.items())
        return lines, sum(min(held[sku], q) for sku, q in wanted.items())

    best = min(pool, key=lambda c: (tuple(-n for n in covered(c)), c.key))
    short = tuple(
        UnservedLine(sku, qty, _available(stock, sku, best.location.id))
        for sku, qty in wanted.items()
        if _available(stock, sku, best.location.id) < qty
    )
    pool_ids = {c.location.id for c in pool}
    alternatives = tuple(
        c.location.id
        for c in everyone
        if c.location.id not in pool_ids and _covers(stock, wanted, [c])
    )[: policy.max_alternatives]
    return Unroutable(method, UnroutableReason.OUT_OF_STOCK, short, alternatives)


def _route_split(
    method: FulfillmentMethod,
    wanted: Mapping[str, int],
    pool: Sequence[_Candidate],
    stock: StockMap,
    policy: RoutingPolicy,
) -> RoutingResult:
    totals = {sku: sum(_available(stock, sku, c.location.id) for c in pool) for sku in wanted}
    short = tuple(
        UnservedLine(sku, qty, totals[sku]) for sku, qty in wanted.items() if totals[sku] < qty
    )
    if short:
        return Unroutable(method, UnroutableReason.OUT_OF_STOCK, short)
    relevant = [c for c in pool if any(_available(stock, sku, c.location.id) > 0 for sku in wanted)]
    chosen = _fewest_then_nearest(wanted, relevant, stock, policy.max_exact_subsets)
    shipments = []
    remaining = dict(wanted)
    for candidate in sorted(chosen, key=lambda c: c.key):
        taken: dict[str, int] = {}
        for sku, qty in remaining.items():
            take = min(qty, _available(stock, sku, candidate.location.id))
            if take > 0:
                taken[sku] = take
        for sku, take in taken.items():
            remaining[sku] -= take
        if taken:
            shipments.append(_shipment(candidate, taken))
    return RoutingPlan(method, tuple(shipments))


def _fewest_then_nearest(
    wanted: Mapping[str, int], relevant: Sequence[_Candidate], stock: StockMap, budget: int
) -> Sequence[_Candidate]:
    """The smallest set of locations that covers `wanted`; ties: least total distance, ids.

    Exhaustive by set size while the number of subsets stays within `budget`
    (size 1 always); beyond, a greedy cover (most units first, then nearest).
    """
    quantities = tuple(wanted.values())
    held = {
        c.location.id: tuple(_available(stock, sku, c.location.id) for sku in wanted)
        for c in relevant
    }

    def covers(group: tuple[_Candidate, ...]) -> bool:
        return all(
            sum(held[c.location.id][i] for c in group) >= qty for i, qty in enumerate(quantities)
        )

    spent = 0
    for size in range(1, len(relevant) + 1):
        count = math.comb(len(relevant), size)
        if size > 1 and spent + count > budget:
            break
        spent += count
        best: tuple[_Candidate, ...] | None = None
        best_key: tuple[float, tuple[uuid.UUID, ...]] | None = None
        for group in combinations(relevant, size):
            if not covers(group):
                continue
            key = (sum(c.distance for c in group), tuple(sorted(c.location.id for c in group)))
            if best_key is None or key < best_key:
                best, best_key = group, key
        if best is not None:
            return best
    return _greedy_cover(wanted, relevant, stock)


def _greedy_cover(
    wanted: Mapping[str, int], relevant: Sequence[_Candidate], stock: StockMap
) -> list[_Candidate]:
    remaining = dict(wanted)
    chosen: list[_Candidate] = []
    left = list(relevant)
    while any(qty > 0 for qty in remaining.values()):

        def gain(c: _Candidate) -> int:
            return sum(
                min(qty, _available(stock, sku, c.location.id)) for sku, qty in remaining.items()
            )

        pick = min(left, key=lambda c: (-gain(c), c.key))
        left.remove(pick)
        chosen.append(pick)
        for sku in remaining:
            remaining[sku] -= min(remaining[sku], _available(stock, sku, pick.location.id))
    return chosen
