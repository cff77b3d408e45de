"""Stock rules: availability, adjustments, location ranking, distances, offers."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalog.rules import to_minor_units
from domain.catalog.search import prefix_tsquery
from domain.errors import DomainError, ErrorCode
from domain.inventory.rules import (
    MAX_QUANTITY,
    Capabilities,
    ReservationLine,
    available,
    haversine_km,
    new_on_hand,
    offer,
    rank_locations,
    serves_channel,
    validate_lines,
    validate_point,
    validate_ttl,
)

units = st.integers(min_value=0, max_value=10_000)


@given(units, units, units)
def test_available_is_never_negative_and_exact_when_positive(
    on_hand: int, reserved: int, safety: int
) -> None:
    value = available(on_hand, reserved, safety)
    assert value >= 0
    if on_hand - reserved - safety >= 0:
        assert value == on_hand - reserved - safety


@given(units, units, st.integers(min_value=-20_000, max_value=20_000))
def test_adjustment_never_goes_below_reserved(on_hand: int, reserved: int, delta: int) -> None:
    try:
        result = new_on_hand(on_hand, reserved, delta=delta, set_to=None)
    except DomainError as error:
        assert error.code is ErrorCode.INVALID
        assert delta == 0 or on_hand + delta < max(0, reserved) or on_hand + delta < 0
    else:
        assert result == on_hand + delta and result >= reserved and result >= 0


@given(units, units, units)
def test_count_sets_exactly_or_refuses(on_hand: int, reserved: int, counted: int) -> None:
    try:
        assert new_on_hand(on_hand, reserved, delta=None, set_to=counted) == counted
    except DomainError as error:
        assert counted < reserved and error.field == ["on_hand"]


def test_adjustment_needs_exactly_one_of_delta_and_count() -> None:
    for delta, count in [(None, None), (1, 1)]:
        with pytest.raises(DomainError):
            new_on_hand(1, 0, delta=delta, set_to=count)
    with pytest.raises(DomainError):
        new_on_hand(0, 0, delta=None, set_to=MAX_QUANTITY + 1)
    with pytest.raises(DomainError):
        new_on_hand(MAX_QUANTITY, 0, delta=1, set_to=None)


locations = st.lists(st.uuids(), min_size=1, max_size=6, unique=True)


@given(locations, st.data())
def test_ranking_puts_full_coverage_first(
    location_ids: list[uuid.UUID], data: st.DataObject
) -> None:
    lines = [ReservationLine("A", 2), ReservationLine("B", 1)]
    stock = {
        loc: {"A": data.draw(st.integers(0, 5)), "B": data.draw(st.integers(0, 3))}
        for loc in location_ids
    }
    ranked = rank_locations(lines, stock)
    assert sorted(ranked) == sorted(location_ids)

    def covers(loc: uuid.UUID) -> bool:
        return all(stock[loc][line.sku] >= line.quantity for line in lines)

    flags = [covers(loc) for loc in ranked]
    assert flags == sorted(flags, reverse=True)  # every full-coverage location comes first


def test_ranking_prefers_nearest_among_equals() -> None:
    near, far = uuid.uuid4(), uuid.uuid4()
    stock = {near: {"A": 1}, far: {"A": 9}}
    lines = [ReservationLine("A", 1)]
    assert rank_locations(lines, stock, {near: 1.0, far: 9.0}) == [near, far]
    assert rank_locations(lines, stock) == [far, near]  # without distances: most left over


def test_line_validation() -> None:
    validate_lines([ReservationLine("A", 1)])
    for lines, field in [
        ([], ["lines"]),
        ([ReservationLine("A", 0)], ["lines", "0", "quantity"]),
        ([ReservationLine("A", 1), ReservationLine("A", 1)], ["lines", "1", "sku"]),
    ]:
        with pytest.raises(DomainError) as raised:
            validate_lines(lines)
        assert raised.value.field == field
    with pytest.raises(DomainError):
        validate_ttl(0)
    validate_ttl(1)


coords = st.tuples(st.floats(-89, 89), st.floats(-179, 179))


@given(coords, coords)
def test_distance_is_symmetric_and_bounded(a: tuple[float, float], b: tuple[float, float]) -> None:
    d = haversine_km(*a, *b)
    assert d >= 0 and abs(d - haversine_km(*b, *a)) < 1e-6 and d <= 20_016
    assert haversine_km(*a, *a) < 1e-6


def test_known_distance_dam_to_zuidas() -> None:
    assert 3.5 < haversine_km(52.3731, 4.8926, 52.3383, 4.8730) < 4.5


def test_point_validation() -> None:
    validate_point(0, 0, 5)
    for args in [(91, 0, None), (0, 181, None), (0, 0, 0), (0, 0, 30_000)]:
        with pytest.raises(DomainError):
            validate_point(*args)


@given(
    st.integers(-5, 50),
    st.floats(0, 50),
    st.floats(0, 20) | st.none(),
    st.booleans(),
    st.booleans(),
)
def test_offer_needs_stock_and_radius(
    units_available: int, radius: float, distance: float | None, ships: bool, pickup: bool
) -> None:
    result = offer(
        "A", uuid.uuid4(), units_available, Capabilities(ships, pickup, radius), distance
    )
    assert result.available >= 0
    if units_available <= 0:
        assert not (result.can_ship or result.can_pickup or result.can_same_day)
    if result.can_same_day:
        assert distance is not None and distance <= radius
    assert result.can_pickup == (units_available > 0 and pickup)


def test_channel_rule() -> None:
    warehouse = Capabilities(True, False, 0)
    store = Capabilities(True, True, 0)
    assert serves_channel("WEB", warehouse) and serves_channel(None, warehouse)
    assert not serves_channel("POS", warehouse) and serves_channel("POS", store)
    assert not serves_channel("WEB", Capabilities(False, False, 0))


@given(st.text())
def test_search_text_always_becomes_a_safe_query(text: str) -> None:
    query = prefix_tsquery(text)
    if query is not None:
        for term in query.split(" & "):
            assert term.endswith(":*") and term[:-2].isalnum()


def test_search_terms() -> None:
    assert prefix_tsquery("Linen  SHIRT!") == "linen:* & shirt:*"
    assert prefix_tsquery("'&|!") is None


@given(st.integers(0, 10**9))
def test_minor_units_round_trip(minor: int) -> None:
    text = f"{minor // 100}.{minor % 100:02d}"
    assert to_minor_units(text, "EUR", ["amount"]) == minor
    assert to_minor_units(str(minor), "JPY", ["amount"]) == minor


def test_minor_units_refusals() -> None:
    for amount, currency in [
        ("-0.01", "EUR"),
        ("1.001", "EUR"),
        ("1.5", "JPY"),
        ("x", "EUR"),
        ("NaN", "EUR"),
        ("1e20", "EUR"),
    ]:
        with pytest.raises(DomainError):
            to_minor_units(amount, currency, ["amount"])
