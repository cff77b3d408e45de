"""The fulfillment lifecycle table, order status derivation and BOPIS promises."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError, ErrorCode
from domain.order.fulfillment import (
    CANCELLABLE,
    TRANSITIONS,
    Method,
    OrderStatus,
    add_opening_time,
    allowed,
    order_status,
    pickup_deadline,
    pickup_ready_at,
    transition,
)
from domain.order.fulfillment import (
    FulfillmentStatus as S,
)

TERMINAL = {S.DELIVERED, S.PICKED_UP, S.CANCELLED}


@given(st.sampled_from(list(Method)), st.lists(st.sampled_from(list(S)), max_size=12))
def test_random_walks_only_take_legal_steps(method: Method, targets: list[S]) -> None:
    current = S.PENDING
    for target in targets:
        if allowed(method, current, target):
            assert transition(method, current, target) is target
            current = target
        else:
            with pytest.raises(DomainError) as caught:
                transition(method, current, target)
            assert caught.value.code is ErrorCode.INVALID_TRANSITION
    if current in TERMINAL:
        assert not any(allowed(method, current, t) for t in S)


def test_happy_paths() -> None:
    for method, path in [
        (Method.SHIP, [S.ALLOCATED, S.PICKING, S.PACKED, S.SHIPPED, S.DELIVERED]),
        (Method.PICKUP, [S.ALLOCATED, S.PICKING, S.READY_FOR_PICKUP, S.PICKED_UP]),
    ]:
        current = S.PENDING
        for target in path:
            current = transition(method, current, target)
        assert current in TERMINAL


def test_method_specific_statuses() -> None:
    assert not allowed(Method.SHIP, S.PICKING, S.READY_FOR_PICKUP)
    assert not allowed(Method.PICKUP, S.PICKING, S.PACKED)
    assert allowed(Method.PICKUP, S.READY_FOR_PICKUP, S.CANCELLED)  # missed pickup
    assert not allowed(Method.SHIP, S.SHIPPED, S.CANCELLED)
    assert CANCELLABLE == {s for s in S if S.CANCELLED in TRANSITIONS[s]}


def test_order_status_is_derived() -> None:
    assert order_status([S.PENDING, S.PENDING]) is OrderStatus.UNFULFILLED
    assert order_status([S.PICKING, S.PENDING]) is OrderStatus.IN_PROGRESS
    assert order_status([S.SHIPPED, S.PENDING]) is OrderStatus.PARTIALLY_FULFILLED
    assert order_status([S.DELIVERED, S.PICKING]) is OrderStatus.PARTIALLY_FULFILLED
    assert order_status([S.DELIVERED, S.PICKED_UP, S.CANCELLED]) is OrderStatus.FULFILLED
    assert order_status([S.CANCELLED]) is OrderStatus.CANCELLED
    assert order_status([]) is OrderStatus.CANCELLED
    assert order_status([S.DELIVERED], on_hold=True) is OrderStatus.ON_HOLD


HOURS = {d: (time(9), time(18)) for d in range(6)}  # closed on Sunday


def test_pickup_promise_counts_opening_hours() -> None:
    monday_10 = datetime(2026, 11, 23, 10, 0)
    assert pickup_ready_at(monday_10, HOURS) == datetime(2026, 11, 23, 12, 0)
    monday_17 = datetime(2026, 11, 23, 17, 0)
    assert pickup_ready_at(monday_17, HOURS) == datetime(2026, 11, 24, 10, 0)
    before_open = datetime(2026, 11, 23, 7, 0)
    assert pickup_ready_at(before_open, HOURS) == datetime(2026, 11, 23, 11, 0)
    saturday_17 = datetime(2026, 11, 28, 17, 30)
    assert pickup_ready_at(saturday_17, HOURS) == datetime(2026, 11, 30, 10, 30)
    assert pickup_ready_at(monday_10, {}) is None
    ready = datetime(2026, 11, 23, 12, 0)
    assert pickup_deadline(ready) == ready + timedelta(days=7)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    st.integers(1, 600),
)
def test_promise_consumes_exactly_the_opening_time(now: datetime, minutes: int) -> None:
    amount = timedelta(minutes=minutes)
    end = add_opening_time(now, HOURS, amount)
    assert end is not None and end > now
    # walk minute by minute is too slow; sum open time per day instead
    open_time = timedelta()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= end:
        window = HOURS.get(day.weekday())
        if window:
            start = max(now, day.replace(hour=window[0].hour))
            stop = min(end, day.replace(hour=window[1].hour))
            if stop > start:
                open_time += stop - start
        day += timedelta(days=1)
    assert open_time == amount
