"""Fulfillment routing: properties over random stores, stock and orders, plus worked examples."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, ErrorCode
from domain.models import LocationKind
from domain.order.hours import OpeningHours
from domain.order.routing import (
    FulfillmentMethod,
    GeoPoint,
    RoutingLine,
    RoutingLocation,
    RoutingPlan,
    RoutingPolicy,
    Unroutable,
    UnroutableReason,
    UnservedLine,
    haversine_km,
    is_capable,
    route,
)

M = FulfillmentMethod
SKUS = ["SKU-A", "SKU-B", "SKU-C", "SKU-D"]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
PARIS = ZoneInfo("Europe/Paris")
SHOP_HOURS = OpeningHours(((time(9), time(20)),) * 6 + (None,), PARIS)


def lid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def loc(
    n: int,
    kind: LocationKind = LocationKind.STORE,
    lat: float = 48.85,
    lon: float = 2.35,
    **caps: object,
) -> RoutingLocation:
    return RoutingLocation(lid(n), kind, GeoPoint(lat, lon), **caps)  # type: ignore[arg-type]


# -- strategies ---------------------------------------------------------------

points = st.builds(
    GeoPoint,
    st.floats(48.0, 49.5, allow_nan=False),
    st.floats(1.5, 3.5, allow_nan=False),
)


mostly = st.integers(0, 3).map(bool)  # True three times in four


@st.composite
def locations(draw: st.DrawFn) -> list[RoutingLocation]:
    count = draw(st.integers(1, 7))
    found = []
    for n in range(1, count + 1):
        found.append(
            RoutingLocation(
                id=lid(draw(st.integers(1, 10_000)) * 10 + n),
                kind=draw(st.sampled_from(list(LocationKind))),
                point=draw(st.none() | points) if draw(st.integers(0, 9)) == 0 else draw(points),
                ships=draw(mostly),
                pickup=draw(mostly),
                same_day_radius_km=draw(st.sampled_from([0.0, 50.0, 150.0, 300.0])),
                same_day_cutoff=draw(st.sampled_from([None, time(12), time(16), time(23)])),
                hours=draw(st.none() | st.just(SHOP_HOURS)),
                active=draw(st.integers(0, 9)) > 0,
            )
        )
    return found


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    locs = draw(locations())
    lines = draw(
        st.lists(
            st.builds(RoutingLine, st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=4
        )
    )
    stock = {
        (sku, location.id): draw(st.integers(-1, 8))
        for sku in SKUS
        for location in locs
        if draw(mostly)
    }
    method = draw(st.sampled_from(list(M)))
    destination = draw(st.none() | points)
    if method is M.SAME_DAY and destination is None:
        destination = draw(points)
    location_id = None
    if method is M.PICKUP and (destination is None or draw(st.booleans())):
        location_id = draw(st.sampled_from([x.id for x in locs if x.active] or [None]))
        if location_id is None:
            destination = draw(points)
    now = NOW + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
    return {
        "lines": lines,
        "method": method,
        "locations": locs,
        "stock": stock,
        "now": now,
        "destination": destination,
        "location_id": location_id,
    }


@st.composite
def split_scenarios(draw: st.DrawFn) -> dict[str, object]:
    """Every location can ship, each holds little: plans often need several locations."""
    method = draw(st.sampled_from([M.SHIP, M.SHIP_FROM_STORE]))
    kind = LocationKind.WAREHOUSE if method is M.SHIP else LocationKind.STORE
    ids = draw(st.lists(st.integers(1, 50), min_size=2, max_size=6, unique=True))
    locs = [RoutingLocation(lid(n), kind, draw(points), ships=True) for n in ids]
    return {
        "lines": draw(
            st.lists(
                st.builds(RoutingLine, st.sampled_from(SKUS), st.integers(1, 4)),
                min_size=1,
                max_size=4,
            )
        ),
        "method": method,
        "locations": locs,
        "stock": {(sku, x.id): draw(st.integers(0, 3)) for sku in SKUS for x in locs},
        "now": NOW,
        "destination": draw(st.none() | points),
        "location_id": None,
    }


any_scenario = scenarios() | split_scenarios()


def run(s: dict[str, object], **overrides: object) -> Plan | Unroutable:
    kwargs = {**s, **overrides}
    return route(**kwargs)  # type: ignore[arg-type]


Plan = RoutingPlan


def wanted_of(s: dict[str, object]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for line in s["lines"]:  # type: ignore[attr-defined]
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return wanted


def avail(s: dict[str, object], sku: str, location_id: uuid.UUID) -> int:
    return max(0, s["stock"].get((sku, location_id), 0))  # type: ignore[attr-defined]


def eligible_ids(s: dict[str, object]) -> list[uuid.UUID]:
    """Locations that may serve this method here and now (routing pinned to each)."""
    found = []
    for location in s["locations"]:  # type: ignore[attr-defined]
        if not location.active:
            continue
        pinned = run(s, location_id=location.id)
        if not (
            isinstance(pinned, Unroutable)
            and pinned.reason is UnroutableReason.NO_ELIGIBLE_LOCATION
        ):
            found.append(location.id)
    return found


# -- properties ---------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(any_scenario)
def test_plan_never_oversells_and_covers_every_line(s: dict[str, object]) -> None:
    result = run(s)
    wanted = wanted_of(s)
    by_id = {x.id: x for x in s["locations"]}  # type: ignore[attr-defined]
    if isinstance(result, Unroutable):
        assert result.lines, "an unroutable result must name the lines it cannot serve"
        for line in result.lines:
            assert wanted[line.sku] == line.requested
            assert 0 <= line.available < line.requested
        return
    covered: dict[str, int] = {}
    seen: set[uuid.UUID] = set()
    assert result.shipments
    for shipment in result.shipments:
        assert shipment.location_id not in seen, "one shipment per location"
        seen.add(shipment.location_id)
        assert shipment.lines, "no empty shipment"
        location = by_id[shipment.location_id]
        assert is_capable(location, result.method), "capabilities respected"
        for line in shipment.lines:
            assert 0 < line.quantity <= avail(s, line.sku, shipment.location_id)
            covered[line.sku] = covered.get(line.sku, 0) + line.quantity
    assert covered == wanted
    if s["location_id"] is not None:
        assert [x.location_id for x in result.shipments] == [s["location_id"]]


@settings(max_examples=150, deadline=None)
@given(any_scenario, st.randoms(use_true_random=False))
def test_plan_is_deterministic_whatever_the_input_order(
    s: dict[str, object], rnd: random.Random
) -> None:
    first = run(s)
    assert run(s) == first
    lines = list(s["lines"])  # type: ignore[call-overload]
    locs = list(s["locations"])  # type: ignore[call-overload]
    stock = list(s["stock"].items())  # type: ignore[attr-defined]
    rnd.shuffle(lines)
    rnd.shuffle(locs)
    rnd.shuffle(stock)
    # Splitting a line in two (same sku) is the same order.
    split = []
    for line in lines:
        if line.quantity > 1 and rnd.random() < 0.5:
            split += [RoutingLine(line.sku, 1), RoutingLine(line.sku, line.quantity - 1)]
        else:
            split.append(line)
    assert run(s, lines=split, locations=locs, stock=dict(stock)) == first


@settings(max_examples=150, deadline=None)
@given(any_scenario)
def test_fewest_shipments_and_never_split_when_one_location_suffices(
    s: dict[str, object],
) -> None:
    result = run(s)
    wanted = wanted_of(s)
    eligible = eligible_ids(s)
    if s["location_id"] is not None:
        eligible = [x for x in eligible if x == s["location_id"]]

    def covers(group: tuple[uuid.UUID, ...]) -> bool:
        return all(sum(avail(s, sku, x) for x in group) >= q for sku, q in wanted.items())

    if isinstance(result, Unroutable):
        if result.reason is UnroutableReason.NO_ELIGIBLE_LOCATION:
            assert not eligible
        elif result.method is not M.PICKUP:
            # Split methods: exactly the skus the eligible locations together lack.
            short = {
                sku for sku, q in wanted.items() if sum(avail(s, sku, x) for x in eligible) < q
            }
            assert {line.sku for line in result.lines} == short
        else:
            assert not any(covers((x,)) for x in eligible)
        return
    size = len(result.shipments)
    if result.method is M.PICKUP:
        assert size == 1
    for smaller in range(1, size):
        assert not any(covers(group) for group in combinations(eligible, smaller)), (
            f"{size} shipments where {smaller} would do"
        )


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_same_day_is_within_radius_before_cutoff_and_today(s: dict[str, object]) -> None:
    result = run(
        s, method=M.SAME_DAY, destination=s["destination"] or GeoPoint(48.8, 2.3), location_id=None
    )
    if isinstance(result, Unroutable):
        return
    by_id = {x.id: x for x in s["locations"]}  # type: ignore[attr-defined]
    now: datetime = s["now"]  # type: ignore[assignment]
    for shipment in result.shipments:
        location = by_id[shipment.location_id]
        assert location.kind in (LocationKind.STORE, LocationKind.DARK_STORE)
        assert shipment.distance_km is not None
        assert shipment.distance_km <= location.same_day_radius_km
        zone = location.hours.tz if location.hours else UTC
        assert now.astimezone(zone).time() < location.same_day_cutoff  # type: ignore[operator]
        assert shipment.promised_at.astimezone(zone).date() == now.astimezone(zone).date()


# -- worked examples ----------------------------------------------------------


def test_haversine_paris_london() -> None:
    paris, london = GeoPoint(48.8566, 2.3522), GeoPoint(51.5074, -0.1278)
    assert haversine_km(paris, london) == pytest.approx(343.5, abs=1.0)
    assert haversine_km(paris, paris) == 0.0
    assert haversine_km(GeoPoint(0, 0), GeoPoint(0, 180)) == pytest.approx(math.pi * 6371.0088)


def test_geopoint_rejects_out_of_range() -> None:
    with pytest.raises(DomainError) as caught:
        GeoPoint(91, 0)
    assert caught.value.code is ErrorCode.INVALID


def test_pickup_at_the_chosen_store_is_ready_within_two_opening_hours() -> None:
    store = loc(1, pickup=True, hours=SHOP_HOURS)
    result = route(
        [RoutingLine("SKU-A", 2)],
        M.PICKUP,
        [store],
        {("SKU-A", lid(1)): 2},
        NOW,
        location_id=lid(1),
    )
    assert isinstance(result, RoutingPlan)
    (shipment,) = result.shipments
    assert shipment.location_id == lid(1)
    assert shipment.promised_at == NOW + timedelta(hours=2)  # 11:00 Paris, open
    assert not result.is_split


def test_pickup_at_a_store_short_of_stock_names_lines_and_suggests_stores() -> None:
    chosen = loc(1, pickup=True)
    near = loc(2, lat=48.86, pickup=True)
    far = loc(3, lat=49.4, pickup=True)
    no_pickup = loc(4, lat=48.851, pickup=False)
    stock = {("SKU-A", lid(1)): 1, ("SKU-A", lid(2)): 3, ("SKU-A", lid(3)): 3, ("SKU-A", lid(4)): 9}
    result = route(
        [RoutingLine("SKU-A", 3)],
        M.PICKUP,
        [far, no_pickup, near, chosen],
        stock,
        NOW,
        location_id=lid(1),
    )
    assert isinstance(result, Unroutable)
    assert result.reason is UnroutableReason.OUT_OF_STOCK
    assert [(x.sku, x.requested, x.available) for x in result.lines] == [("SKU-A", 3, 1)]
    assert result.alternatives == (lid(2), lid(3))


def test_pickup_without_store_takes_the_nearest_store_that_has_everything() -> None:
    home = GeoPoint(48.85, 2.35)
    nearest_short = loc(1, lat=48.851, pickup=True)
    next_full = loc(2, lat=48.9, pickup=True)
    far_full = loc(3, lat=49.3, pickup=True)
    stock = {
        ("SKU-A", lid(1)): 5,
        ("SKU-A", lid(2)): 5,
        ("SKU-B", lid(2)): 1,
        ("SKU-A", lid(3)): 5,
        ("SKU-B", lid(3)): 1,
    }
    lines = [RoutingLine("SKU-A", 1), RoutingLine("SKU-B", 1)]
    result = route(
        lines, M.PICKUP, [far_full, next_full, nearest_short], stock, NOW, destination=home
    )
    assert isinstance(result, RoutingPlan)
    assert [x.location_id for x in result.shipments] == [lid(2)]


def test_pickup_nobody_has_everything_reports_the_best_store_shortfall() -> None:
    home = GeoPoint(48.85, 2.35)
    a = loc(1, lat=48.851, pickup=True)
    b = loc(2, lat=48.9, pickup=True)
    stock = {("SKU-A", lid(1)): 5, ("SKU-A", lid(2)): 5, ("SKU-B", lid(2)): 1}
    lines = [RoutingLine("SKU-A", 1), RoutingLine("SKU-B", 2), RoutingLine("SKU-C", 1)]
    result = route(lines, M.PICKUP, [a, b], stock, NOW, destination=home)
    assert isinstance(result, Unroutable)
    # Both cover SKU-A; store 2 holds more units (1 of B): its shortfall is reported.
    assert [(x.sku, x.available) for x in result.lines] == [("SKU-B", 1), ("SKU-C", 0)]
    assert result.alternatives == ()


def test_ship_uses_one_warehouse_when_one_can_and_the_nearest_of_them() -> None:
    home = GeoPoint(48.85, 2.35)
    lyon = loc(1, LocationKind.WAREHOUSE, 45.76, 4.83, ships=True)
    lille = loc(2, LocationKind.WAREHOUSE, 50.63, 3.06, ships=True)
    store = loc(3, LocationKind.STORE, 48.85, 2.35, ships=True)  # a store never serves SHIP
    stock = {("SKU-A", x): 10 for x in (lid(1), lid(2), lid(3))}
    result = route(
        [RoutingLine("SKU-A", 4)], M.SHIP, [lyon, lille, store], stock, NOW, destination=home
    )
    assert isinstance(result, RoutingPlan)
    (shipment,) = result.shipments
    assert shipment.location_id == lid(2)
    assert shipment.distance_km == pytest.approx(204, abs=3)
    assert shipment.promised_at == NOW + timedelta(hours=24) + timedelta(days=1)


def test_split_shipment_when_no_single_warehouse_has_everything() -> None:
    home = GeoPoint(48.85, 2.35)
    a = loc(1, LocationKind.WAREHOUSE, 45.76, 4.83, ships=True)
    b = loc(2, LocationKind.WAREHOUSE, 50.63, 3.06, ships=True)
    c = loc(3, LocationKind.WAREHOUSE, 43.3, 5.4, ships=True)
    stock = {("SKU-A", lid(1)): 2, ("SKU-A", lid(2)): 2, ("SKU-B", lid(3)): 1, ("SKU-A", lid(3)): 1}
    lines = [RoutingLine("SKU-A", 3), RoutingLine("SKU-B", 1)]
    result = route(lines, M.SHIP, [a, b, c], stock, NOW, destination=home)
    assert isinstance(result, RoutingPlan)
    assert result.is_split
    # Two shipments are needed (C alone lacks A); {B, C} is nearer than {A, C}.
    assert [x.location_id for x in result.shipments] == [lid(2), lid(3)]
    assert result.shipments[0].lines == (RoutingLine("SKU-A", 2),)
    assert result.shipments[1].lines == (RoutingLine("SKU-A", 1), RoutingLine("SKU-B", 1))


def test_split_ties_are_broken_by_location_id() -> None:
    same_place = dict(lat=48.85, lon=2.35, ships=True)
    locs = [loc(n, LocationKind.WAREHOUSE, **same_place) for n in (3, 1, 2)]  # type: ignore[arg-type]
    stock = {("SKU-A", lid(n)): 5 for n in (1, 2, 3)}
    result = route([RoutingLine("SKU-A", 5)], M.SHIP, locs, stock, NOW)
    assert isinstance(result, RoutingPlan)
    assert [x.location_id for x in result.shipments] == [lid(1)]
    assert result.shipments[0].distance_km is None  # no address: distance unknown
    assert result.shipments[0].promised_at == NOW + timedelta(hours=24, days=3)


def test_ship_from_store_takes_the_nearest_store_with_stock() -> None:
    home = GeoPoint(48.85, 2.35)
    near_empty = loc(1, lat=48.851, ships=True)
    mid = loc(2, lat=48.9, ships=True, hours=SHOP_HOURS)
    far = loc(3, lat=49.3, ships=True)
    warehouse = loc(4, LocationKind.WAREHOUSE, 48.85, 2.35, ships=True)
    stock = {("SKU-A", lid(2)): 1, ("SKU-A", lid(3)): 1, ("SKU-A", lid(4)): 9}
    result = route(
        [RoutingLine("SKU-A", 1)],
        M.SHIP_FROM_STORE,
        [far, mid, near_empty, warehouse],
        stock,
        NOW,
        destination=home,
    )
    assert isinstance(result, RoutingPlan)
    assert [x.location_id for x in result.shipments] == [lid(2)]
    # 24 opening hours from Mon 11:00 Paris: Mon 9h + Tue 11h + Wed 4h -> Wed 13:00 Paris, +1 day.
    assert result.shipments[0].promised_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_out_of_stock_names_exactly_the_short_lines() -> None:
    a = loc(1, LocationKind.WAREHOUSE, ships=True)
    b = loc(2, LocationKind.WAREHOUSE, ships=True)
    stock = {("SKU-A", lid(1)): 1, ("SKU-A", lid(2)): 1, ("SKU-B", lid(1)): 9}
    lines = [RoutingLine("SKU-A", 3), RoutingLine("SKU-B", 2)]
    result = route(lines, M.SHIP, [a, b], stock, NOW)
    assert isinstance(result, Unroutable)
    assert result.reason is UnroutableReason.OUT_OF_STOCK
    assert [(x.sku, x.requested, x.available) for x in result.lines] == [("SKU-A", 3, 2)]


def test_same_day_needs_radius_cutoff_and_same_local_day() -> None:
    home = GeoPoint(48.85, 2.35)
    dark = loc(
        1,
        LocationKind.DARK_STORE,
        48.86,
        2.36,
        same_day_radius_km=10.0,
        same_day_cutoff=time(16),
        hours=SHOP_HOURS,
    )
    too_far = loc(
        2, LocationKind.STORE, 49.4, 2.35, same_day_radius_km=10.0, same_day_cutoff=time(16)
    )
    stock = {("SKU-A", lid(1)): 1, ("SKU-A", lid(2)): 1}
    lines = [RoutingLine("SKU-A", 1)]
    ok = route(lines, M.SAME_DAY, [dark, too_far], stock, NOW, destination=home)
    assert isinstance(ok, RoutingPlan)
    assert [x.location_id for x in ok.shipments] == [lid(1)]
    assert ok.shipments[0].promised_at == NOW + timedelta(hours=3)
    after_cutoff = NOW.replace(hour=15, minute=30)  # 16:30 in Paris
    late = route(lines, M.SAME_DAY, [dark, too_far], stock, after_cutoff, destination=home)
    assert isinstance(late, Unroutable)
    assert late.reason is UnroutableReason.NO_ELIGIBLE_LOCATION
    assert [(x.sku, x.available) for x in late.lines] == [("SKU-A", 0)]
    # Before the cut-off but the 3-hour delivery would end after closing (20:00): not today.
    no_time = OpeningHours(((time(9), time(12)),) * 7, PARIS)
    short_day = loc(
        3,
        LocationKind.DARK_STORE,
        48.86,
        2.36,
        same_day_radius_km=10.0,
        same_day_cutoff=time(16),
        hours=no_time,
    )
    assert isinstance(
        route(lines, M.SAME_DAY, [short_day], {("SKU-A", lid(3)): 1}, NOW, destination=home),
        Unroutable,
    )
    with pytest.raises(DomainError) as caught:
        route(lines, M.SAME_DAY, [dark], stock, NOW)
    assert caught.value.field == ["fulfillment", "address"]


def test_greedy_fallback_beyond_the_exact_search_budget_still_covers() -> None:
    locs = [loc(n, LocationKind.WAREHOUSE, 48 + n / 100, 2.0, ships=True) for n in range(1, 9)]
    stock = {("SKU-A", lid(n)): 1 for n in range(1, 9)}
    stock[("SKU-A", lid(8))] = 3
    policy = RoutingPolicy(max_exact_subsets=10)
    result = route(
        [RoutingLine("SKU-A", 5)],
        M.SHIP,
        locs,
        stock,
        NOW,
        destination=GeoPoint(48, 2),
        policy=policy,
    )
    assert isinstance(result, RoutingPlan)
    assert sum(line.quantity for x in result.shipments for line in x.lines) == 5
    # Greedy takes the biggest first (3 units at 8), then the nearest ones.
    assert [x.location_id for x in result.shipments] == [lid(1), lid(2), lid(8)]


def test_bad_input_is_a_domain_error() -> None:
    a = loc(1, LocationKind.WAREHOUSE, ships=True)
    cases: list[tuple[dict[str, object], ErrorCode]] = [
        ({"lines": []}, ErrorCode.INVALID),
        ({"lines": [RoutingLine("", 1)]}, ErrorCode.INVALID),
        ({"lines": [RoutingLine("SKU-A", 0)]}, ErrorCode.INVALID),
        ({"now": datetime(2026, 1, 1)}, ErrorCode.INVALID),
        ({"locations": [a, a]}, ErrorCode.INVALID),
        ({"location_id": lid(99)}, ErrorCode.NOT_FOUND),
        ({"method": M.PICKUP}, ErrorCode.INVALID),
        ({"locations": [loc(1, active=False)], "location_id": lid(1)}, ErrorCode.NOT_FOUND),
    ]
    base: dict[str, object] = {
        "lines": [RoutingLine("SKU-A", 1)],
        "method": M.SHIP,
        "locations": [a],
        "stock": {},
        "now": NOW,
    }
    for override, code in cases:
        with pytest.raises(DomainError) as caught:
            route(**{**base, **override})  # type: ignore[arg-type]
        assert caught.value.code is code, override


def test_location_that_never_opens_cannot_promise() -> None:
    closed = OpeningHours((None,) * 7)
    store = loc(1, pickup=True, hours=closed)
    result = route(
        [RoutingLine("SKU-A", 1)],
        M.PICKUP,
        [store],
        {("SKU-A", lid(1)): 1},
        NOW,
        location_id=lid(1),
    )
    assert isinstance(result, Unroutable)
    assert result.reason is UnroutableReason.NO_ELIGIBLE_LOCATION
    shipper = loc(2, LocationKind.WAREHOUSE, ships=True, hours=closed)
    assert isinstance(
        route([RoutingLine("SKU-A", 1)], M.SHIP, [shipper], {("SKU-A", lid(2)): 1}, NOW), Unroutable
    )


def test_unroutable_maps_to_a_typed_user_error() -> None:
    short = Unroutable(
        M.SHIP,
        UnroutableReason.OUT_OF_STOCK,
        (UnservedLine("SKU-B", 3, 1), UnservedLine("SKU-C", 1, 0)),
    )
    error = short.to_domain_error({"SKU-B": ["input", "lines", "2"]})
    assert error.code is ErrorCode.OUT_OF_STOCK
    assert error.field == ["input", "lines", "2"]
    assert "SKU-B, SKU-C" in error.message and "1 of 3" in error.message
    assert short.to_domain_error().field == ["lines", "SKU-B"]
    nowhere = Unroutable(M.SAME_DAY, UnroutableReason.NO_ELIGIBLE_LOCATION, short.lines)
    assert nowhere.to_domain_error().code is ErrorCode.FULFILLMENT_UNAVAILABLE
