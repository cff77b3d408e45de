"""The fulfillment state machine, the derived order status, opening hours and BOPIS times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, ErrorCode
from domain.order.fulfillment import (
    HANDED_OVER,
    TERMINAL,
    TRANSITIONS,
    WORKING_TARGETS,
    FulfillmentStatus,
    OrderStatus,
    StockEffect,
    allowed_targets,
    can_transition,
    cancellation_stock_effect,
    check_not_held,
    check_working_target,
    derive_order_status,
    pickup_deadline,
    pickup_expired,
    pickup_ready_by,
    transition,
)
from domain.order.hours import OpeningHours, add_opening_time, close_of_business_after
from domain.order.routing import FulfillmentMethod

S = FulfillmentStatus
M = FulfillmentMethod
PARIS = ZoneInfo("Europe/Paris")
# Mon-Sat 09:00-20:00 Paris, closed on Sunday.
SHOP = OpeningHours(((time(9), time(20)),) * 6 + (None,), PARIS)


def reachable(start: FulfillmentStatus, method: FulfillmentMethod | None) -> set[FulfillmentStatus]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in allowed_targets(todo.pop(), method):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_table_covers_every_status_and_has_the_issue_paths() -> None:
    assert set(TRANSITIONS) == set(S)
    for a, b in [
        (S.PENDING, S.ALLOCATED),
        (S.ALLOCATED, S.PICKING),
        (S.PICKING, S.PACKED),
        (S.PACKED, S.SHIPPED),
        (S.SHIPPED, S.DELIVERED),
        (S.PICKING, S.READY_FOR_PICKUP),
        (S.READY_FOR_PICKUP, S.PICKED_UP),
        (S.READY_FOR_PICKUP, S.CANCELLED),
        (S.PENDING, S.CANCELLED),
    ]:
        assert can_transition(a, b)
    assert TERMINAL == {S.DELIVERED, S.PICKED_UP, S.CANCELLED}
    # Every status can still end somewhere final.
    for status in S:
        assert reachable(status, None) & TERMINAL


def test_pickup_and_delivery_paths_stay_apart() -> None:
    assert S.SHIPPED not in reachable(S.PENDING, M.PICKUP)
    assert S.PICKED_UP in reachable(S.PENDING, M.PICKUP)
    for method in (M.SHIP, M.SHIP_FROM_STORE, M.SAME_DAY):
        assert S.READY_FOR_PICKUP not in reachable(S.PENDING, method)
        assert S.DELIVERED in reachable(S.PENDING, method)
    with pytest.raises(DomainError) as caught:
        transition(S.PACKED, S.READY_FOR_PICKUP, M.SHIP)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION


def test_illegal_transition_is_a_typed_error_naming_the_allowed_moves() -> None:
    with pytest.raises(DomainError) as caught:
        transition(S.DELIVERED, S.CANCELLED)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    assert caught.value.field == ["status"]
    assert "none (final)" in caught.value.message
    with pytest.raises(DomainError) as caught:
        transition(S.SHIPPED, S.CANCELLED)
    assert "DELIVERED, DELIVERY_FAILED" in caught.value.message
    with pytest.raises(DomainError):
        transition(S.PENDING, S.PENDING)  # staying put is not a transition


@settings(max_examples=300)
@given(
    st.sampled_from([None, *M]),
    st.lists(st.sampled_from(list(S)), max_size=30),
)
def test_random_sequences_follow_the_table(
    method: FulfillmentMethod | None, attempts: list[FulfillmentStatus]
) -> None:
    status = S.PENDING
    history = [status]
    for target in attempts:
        legal = target in TRANSITIONS[status] and not (
            (method is M.PICKUP and target in {S.SHIPPED, S.DELIVERY_FAILED, S.DELIVERED})
            or (method not in (None, M.PICKUP) and target in {S.READY_FOR_PICKUP, S.PICKED_UP})
        )
        if legal:
            status = transition(status, target, method)
            history.append(status)
        else:
            with pytest.raises(DomainError) as caught:
                transition(status, target, method)
            assert caught.value.code is ErrorCode.INVALID_TRANSITION
    # Invariants of any legal history:
    assert all(s not in TERMINAL for s in history[:-1]), "nothing leaves a final state"
    if S.CANCELLED in history:
        assert not (set(history) & {S.DELIVERED, S.PICKED_UP})
    first_handover = next((i for i, s in enumerate(history) if s in HANDED_OVER), None)
    if first_handover is not None:
        assert S.CANCELLED not in history[first_handover:], "no cancel after hand-over"
        assert S.ALLOCATED in history[:first_handover], "stock allocated before hand-over"


def test_cancel_effect_release_before_picking_restock_after() -> None:
    assert cancellation_stock_effect(S.PENDING) is StockEffect.RELEASE
    assert cancellation_stock_effect(S.ALLOCATED) is StockEffect.RELEASE
    assert cancellation_stock_effect(S.PICKING) is StockEffect.RESTOCK
    assert cancellation_stock_effect(S.READY_FOR_PICKUP) is StockEffect.RESTOCK
    for status in S:
        if can_transition(status, S.CANCELLED):
            cancellation_stock_effect(status)  # defined for every cancellable status
        else:
            with pytest.raises(DomainError) as caught:
                cancellation_stock_effect(status)
            assert caught.value.code is ErrorCode.NOT_CANCELLABLE


@pytest.mark.parametrize(
    ("statuses", "on_hold", "expected"),
    [
        ([], False, OrderStatus.UNFULFILLED),
        ([], True, OrderStatus.ON_HOLD),
        ([S.PENDING, S.ALLOCATED], False, OrderStatus.UNFULFILLED),
        ([S.PENDING], True, OrderStatus.ON_HOLD),
        ([S.ON_HOLD, S.PENDING], False, OrderStatus.ON_HOLD),
        ([S.PICKING, S.PENDING], False, OrderStatus.IN_PROGRESS),
        ([S.READY_FOR_PICKUP], False, OrderStatus.READY_FOR_PICKUP),
        ([S.READY_FOR_PICKUP, S.CANCELLED], False, OrderStatus.READY_FOR_PICKUP),
        ([S.READY_FOR_PICKUP, S.PACKED], False, OrderStatus.IN_PROGRESS),
        ([S.SHIPPED, S.PICKING], False, OrderStatus.PARTIALLY_FULFILLED),
        ([S.SHIPPED, S.DELIVERED], False, OrderStatus.FULFILLED),
        ([S.DELIVERY_FAILED], False, OrderStatus.FULFILLED),
        ([S.DELIVERED, S.PICKED_UP, S.CANCELLED], False, OrderStatus.COMPLETED),
        ([S.CANCELLED, S.CANCELLED], False, OrderStatus.CANCELLED),
        ([S.CANCELLED], True, OrderStatus.CANCELLED),
    ],
)
def test_order_status_is_derived_from_fulfillments(
    statuses: list[FulfillmentStatus], on_hold: bool, expected: OrderStatus
) -> None:
    assert derive_order_status(statuses, on_hold=on_hold) is expected
    assert derive_order_status(reversed(statuses), on_hold=on_hold) is expected


@given(st.lists(st.sampled_from(list(S)), min_size=1, max_size=6))
def test_derived_status_is_consistent(statuses: list[FulfillmentStatus]) -> None:
    result = derive_order_status(statuses)
    live = [s for s in statuses if s is not S.CANCELLED]
    if result is OrderStatus.CANCELLED:
        assert not live
    if result is OrderStatus.COMPLETED:
        assert live and all(s in {S.DELIVERED, S.PICKED_UP} for s in live)
    if result in (OrderStatus.FULFILLED, OrderStatus.COMPLETED):
        assert all(s in HANDED_OVER for s in live)
    if result is OrderStatus.PARTIALLY_FULFILLED:
        assert any(s in HANDED_OVER for s in live) and not all(s in HANDED_OVER for s in live)


# -- opening hours and BOPIS ----------------------------------------------------


def paris(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS)


def test_opening_hours_validation_and_queries() -> None:
    with pytest.raises(DomainError):
        OpeningHours(((time(9), time(20)),) * 6)
    with pytest.raises(DomainError):
        OpeningHours(((time(20), time(9)),) * 7)
    assert SHOP.is_open(paris(2026, 11, 23, 10))
    assert not SHOP.is_open(paris(2026, 11, 23, 21))
    assert not SHOP.is_open(paris(2026, 11, 29, 12))  # Sunday
    assert SHOP.closes_on(paris(2026, 11, 29, 12)) is None
    assert SHOP.closes_on(paris(2026, 11, 23, 8)) == paris(2026, 11, 23, 20)
    assert SHOP.local_time(datetime(2026, 11, 23, 9, tzinfo=UTC)) == time(10)
    always = OpeningHours.always()
    assert always.is_open(datetime(2026, 11, 29, 3, tzinfo=UTC))


def test_bopis_ready_within_two_opening_hours() -> None:
    # Monday 10:00: ready at 12:00 the same day.
    assert pickup_ready_by(SHOP, paris(2026, 11, 23, 10)) == paris(2026, 11, 23, 12)
    # Monday 19:30: 30 minutes today, 90 minutes on Tuesday morning.
    assert pickup_ready_by(SHOP, paris(2026, 11, 23, 19, 30)) == paris(2026, 11, 24, 10, 30)
    # Saturday 19:00: Sunday is closed, so Monday 10:00.
    assert pickup_ready_by(SHOP, paris(2026, 11, 28, 19)) == paris(2026, 11, 30, 10)
    # Before opening: 2 hours after 09:00.
    assert pickup_ready_by(SHOP, paris(2026, 11, 23, 7)) == paris(2026, 11, 23, 11)
    # Always open when hours are unknown.
    now = datetime(2026, 11, 23, 23, tzinfo=UTC)
    assert pickup_ready_by(None, now) == now + timedelta(hours=2)
    assert pickup_ready_by(OpeningHours((None,) * 7), now) is None


def test_opening_time_is_counted_in_real_time_across_dst() -> None:
    # 2026-10-25 Paris leaves summer time at 03:00 -> 02:00; a 24h store that day
    # is open 25 real hours, so 25 hours of opening time end at the next midnight.
    hours = OpeningHours.always(PARIS)
    start = paris(2026, 10, 25, 0)
    end = add_opening_time(hours, start, timedelta(hours=25))
    assert end == datetime(2026, 10, 25, 23, tzinfo=UTC)  # 2026-10-26 00:00 Paris (CET)
    assert end == start.astimezone(UTC) + timedelta(hours=25)
    with pytest.raises(DomainError):
        add_opening_time(hours, datetime(2026, 1, 1), timedelta(hours=1))


@given(
    st.integers(0, 14 * 24 * 60),
    st.integers(0, 10 * 60),
)
def test_added_opening_time_ends_while_open_and_is_monotonic(start_min: int, minutes: int) -> None:
    start = paris(2026, 11, 23, 0) + timedelta(minutes=start_min)
    end = add_opening_time(SHOP, start, timedelta(minutes=minutes))
    assert end is not None and end >= start
    later = add_opening_time(SHOP, start, timedelta(minutes=minutes + 1))
    assert later is not None and later > end
    if minutes > 0:
        interval = SHOP.interval_on(SHOP.local_date(end))
        assert interval is not None and interval[0] < end <= interval[1]


def test_pickup_deadline_and_expiry() -> None:
    ready = paris(2026, 11, 23, 12)  # Monday
    deadline = pickup_deadline(SHOP, ready)  # held 3 days: Thursday closing
    assert deadline == paris(2026, 11, 26, 20)
    # Ready on a Thursday: the third day is Sunday (closed) -> Monday closing.
    assert pickup_deadline(SHOP, paris(2026, 11, 26, 12)) == paris(2026, 11, 30, 20)
    assert pickup_deadline(None, ready, hold_days=2) == ready + timedelta(days=2)
    assert pickup_deadline(OpeningHours((None,) * 7), ready) is None
    assert close_of_business_after(SHOP, ready, 0) == paris(2026, 11, 23, 20)
    assert not pickup_expired(S.READY_FOR_PICKUP, deadline, deadline - timedelta(seconds=1))
    assert pickup_expired(S.READY_FOR_PICKUP, deadline, deadline)
    assert not pickup_expired(S.PICKED_UP, deadline, deadline + timedelta(days=9))
    assert not pickup_expired(S.READY_FOR_PICKUP, None, deadline)
    # An expired pickup is cancelled and its goods restocked.
    assert transition(S.READY_FOR_PICKUP, S.CANCELLED, M.PICKUP) is S.CANCELLED
    assert cancellation_stock_effect(S.READY_FOR_PICKUP) is StockEffect.RESTOCK


# What fulfillmentUpdate (staff or WMS) may set ----------------------------


def test_updates_set_only_working_statuses_and_point_to_the_mutation_that_owns_the_rest() -> None:
    assert WORKING_TARGETS == {
        S.PICKING,
        S.PACKED,
        S.SHIPPED,
        S.DELIVERY_FAILED,
        S.DELIVERED,
        S.READY_FOR_PICKUP,
        S.PICKED_UP,
    }
    for target in WORKING_TARGETS:
        check_working_target(target)
    for target, owner in [
        (S.CANCELLED, "orderCancel"),
        (S.PENDING, "orderReview"),
        (S.ALLOCATED, "orderReview"),
        (S.ON_HOLD, "orderReview"),
    ]:
        with pytest.raises(DomainError) as refused:
            check_working_target(target)
        assert refused.value.code is ErrorCode.INVALID_TRANSITION
        assert refused.value.field == ["status"]
        assert owner in refused.value.message


def test_a_held_order_or_fulfillment_takes_no_update() -> None:
    check_not_held(False, S.ALLOCATED)
    check_not_held(False)
    for on_hold, current in [(True, S.ALLOCATED), (False, S.ON_HOLD), (True, None)]:
        with pytest.raises(DomainError) as refused:
            check_not_held(on_hold, current)
        assert refused.value.code is ErrorCode.INVALID_TRANSITION
        assert "orderReview" in refused.value.message
