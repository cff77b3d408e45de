"""Routing rules, as properties over random stores, stock and orders."""

from __future__ import annotations

import random
from datetime import datetime, time

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.models import LocationKind
from domain.order.fulfillment import Method
from domain.order.routing import Line, Point, RoutingLocation, distance_km, route

NOW = datetime(2026, 11, 23, 10, 0)  # a Monday
HOURS = {d: (time(9), time(18)) for d in range(7)}
CENTRE = Point(52.37, 4.89)
SKUS = ["A", "B", "C"]


def loc(i: int, kind: LocationKind, lat: float, lon: float, **kw: object) -> RoutingLocation:
    return RoutingLocation(
        id=f"L{i:02d}",
        kind=kind,
        point=Point(lat, lon),
        opening_hours=HOURS,
        **kw,  # type: ignore[arg-type]
    )


locations_st = st.lists(
    st.builds(
        lambda i, kind, dlat, dlon, radius: loc(
            i,
            kind,
            52.37 + dlat,
            4.89 + dlon,
            pickup=kind is LocationKind.STORE,
            same_day_radius_km=radius,
            same_day_cutoff=time(16),
        ),
        st.integers(0, 99),
        st.sampled_from(list(LocationKind)),
        st.floats(-0.1, 0.1),
        st.floats(-0.1, 0.1),
        st.sampled_from([0.0, 5.0, 20.0]),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda x: x.id,
)
lines_st = st.lists(
    st.builds(Line, st.sampled_from(SKUS), st.integers(1, 6)), min_size=1, max_size=4
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple:
    locations = draw(locations_st)
    stock = {(sku, x.id): draw(st.integers(0, 8)) for sku in SKUS for x in locations}
    lines = draw(lines_st)
    method = draw(st.sampled_from(list(Method)))
    store = draw(st.sampled_from([None, *[x.id for x in locations]]))
    return locations, stock, lines, method, store


def wanted(lines: list[Line]) -> dict[str, int]:
    total: dict[str, int] = {}
    for line in lines:
        total[line.sku] = total.get(line.sku, 0) + line.quantity
    return total


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_plan_invariants(scenario: tuple) -> None:
    locations, stock, lines, method, store = scenario
    plan = route(lines, method, locations, stock, NOW, destination=CENTRE, store_id=store)
    by_id = {x.id: x for x in locations}
    served: dict[str, int] = {}
    for shipment in plan.shipments:
        location = by_id[shipment.location_id]
        for line in shipment.lines:
            # never more than the location has
            assert 0 < line.quantity <= stock[(line.sku, location.id)]
            served[line.sku] = served.get(line.sku, 0) + line.quantity
        # capabilities
        if method is Method.SHIP:
            assert location.kind is LocationKind.WAREHOUSE
        if method in (Method.PICKUP, Method.SHIP_FROM_STORE):
            assert location.kind is LocationKind.STORE
        if method is Method.SAME_DAY:
            assert location.kind is not LocationKind.WAREHOUSE
            assert distance_km(location.point, CENTRE) <= location.same_day_radius_km
    # every unit is either served or named as unserved
    unserved = {line.sku: line.quantity for line in plan.unserved}
    for sku, quantity in wanted(lines).items():
        assert served.get(sku, 0) + unserved.get(sku, 0) == quantity
    if method is Method.PICKUP:
        assert len(plan.shipments) <= 1
    # one location that can serve everything alone means one shipment, never a split
    if any(
        route(lines, method, [one], stock, NOW, destination=CENTRE, store_id=store).complete
        for one in locations
    ):
        assert plan.complete and len(plan.shipments) == 1
    # deterministic, whatever the input order
    shuffled = list(locations)
    random.Random(1).shuffle(shuffled)
    again = route(lines[::-1], method, shuffled, stock, NOW, destination=CENTRE, store_id=store)
    assert again == plan


def test_pickup_prefers_chosen_store_then_nearest_with_everything() -> None:
    dam = loc(1, LocationKind.STORE, 52.373, 4.893, pickup=True)
    zuid = loc(2, LocationKind.STORE, 52.338, 4.873, pickup=True)
    oost = loc(3, LocationKind.STORE, 52.360, 4.929, pickup=True)
    stock = {("A", "L01"): 1, ("A", "L02"): 5, ("A", "L03"): 5}
    plan = route([Line("A", 1)], Method.PICKUP, [dam, zuid, oost], stock, NOW, store_id="L01")
    assert [s.location_id for s in plan.shipments] == ["L01"]
    assert plan.shipments[0].promised_at == datetime(2026, 11, 23, 12, 0)
    # the chosen store lacks stock: the nearest store to it that has everything
    plan = route([Line("A", 2)], Method.PICKUP, [dam, zuid, oost], stock, NOW, store_id="L01")
    nearest = min((zuid, oost), key=lambda x: distance_km(x.point, dam.point))
    assert [s.location_id for s in plan.shipments] == [nearest.id]
    # nobody has everything: pickup is never split, the line is unserved
    plan = route([Line("A", 20)], Method.PICKUP, [dam, zuid], stock, NOW, store_id="L01")
    assert plan.shipments == () and plan.unserved == (Line("A", 20),)


def test_ship_splits_only_when_needed_and_minimises_shipments() -> None:
    near = loc(1, LocationKind.WAREHOUSE, 52.38, 4.90)
    mid = loc(2, LocationKind.WAREHOUSE, 52.45, 4.90)
    far = loc(3, LocationKind.WAREHOUSE, 52.60, 4.90)
    stock = {
        ("A", "L01"): 2,
        ("B", "L01"): 0,
        ("A", "L02"): 0,
        ("B", "L02"): 3,
        ("A", "L03"): 5,
        ("B", "L03"): 5,
    }
    plan = route(
        [Line("A", 2), Line("B", 1)], Method.SHIP, [near, mid, far], stock, NOW, destination=CENTRE
    )
    # the far warehouse alone beats two nearer shipments
    assert [s.location_id for s in plan.shipments] == ["L03"]
    stock[("A", "L03")] = 0
    plan = route(
        [Line("A", 2), Line("B", 1)], Method.SHIP, [near, mid, far], stock, NOW, destination=CENTRE
    )
    assert sorted(s.location_id for s in plan.shipments) == ["L01", "L02"]
    assert plan.complete


def test_same_day_respects_radius_and_cutoff() -> None:
    dark = loc(
        1, LocationKind.DARK_STORE, 52.368, 4.904, same_day_radius_km=5, same_day_cutoff=time(16)
    )
    stock = {("A", "L01"): 3}
    plan = route([Line("A", 1)], Method.SAME_DAY, [dark], stock, NOW, destination=CENTRE)
    assert plan.complete and plan.shipments[0].location_id == "L01"
    late = NOW.replace(hour=17)
    assert not route(
        [Line("A", 1)], Method.SAME_DAY, [dark], stock, late, destination=CENTRE
    ).complete
    far_away = Point(51.9, 4.5)
    assert not route(
        [Line("A", 1)], Method.SAME_DAY, [dark], stock, NOW, destination=far_away
    ).complete
    assert not route([Line("A", 1)], Method.SAME_DAY, [dark], stock, NOW).complete


def test_empty_order_is_an_empty_complete_plan() -> None:
    plan = route([], Method.SHIP, [], {}, NOW)
    assert plan.shipments == () and plan.complete
