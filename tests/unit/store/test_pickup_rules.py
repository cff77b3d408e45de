"""Pickup handover rules (domain/store/pickup.py), without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.errors import DomainError, ErrorCode
from domain.order.fulfillment import FulfillmentStatus as S
from domain.store.activity import (
    ActivityKind,
    activity_from_store_event,
    check_may_watch_store,
)
from domain.store.pickup import (
    PICKUP_ARRIVED,
    Arrival,
    PickupPart,
    check_pickup_code,
    clean_text,
    open_pickup,
    pickup_arrived,
    pickup_code,
    ready_pickups,
)

ORDER = uuid.UUID("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f")


def part(status: S) -> PickupPart:
    return PickupPart(uuid.uuid4(), ORDER, 1042, uuid.uuid4(), status)


def test_the_code_is_six_digits_stable_per_order_and_secret() -> None:
    code = pickup_code("secret", ORDER)
    assert len(code) == 6 and code.isdigit()
    assert pickup_code("secret", ORDER) == code
    others = {pickup_code("secret", uuid.uuid4()) for _ in range(50)}
    assert len(others) > 40  # spread over the codes, not a constant
    assert pickup_code("rotated", ORDER) != code or pickup_code("rotated2", ORDER) != code


def test_only_the_orders_code_is_accepted() -> None:
    code = pickup_code("secret", ORDER)
    check_pickup_code("secret", ORDER, code)
    check_pickup_code("secret", ORDER, f" {code} ")
    for wrong in ("", "12345", code[::-1] if code[::-1] != code else "x", "9" * 40):
        with pytest.raises(DomainError) as caught:
            check_pickup_code("secret", ORDER, wrong)
        assert caught.value.code is ErrorCode.PICKUP_CODE_INVALID
        assert caught.value.field == ["code"]
    with pytest.raises(DomainError):
        check_pickup_code("secret", uuid.uuid4(), code)


def test_bay_and_note_are_trimmed_and_bounded() -> None:
    assert clean_text(None, 20, "bay") is None
    assert clean_text("   ", 20, "bay") is None
    assert clean_text(" 3 ", 20, "bay") == "3"
    for bad in ("x" * 21, "a\nb"):
        with pytest.raises(DomainError) as caught:
            clean_text(bad, 20, "bay")
        assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, ["bay"])


def test_an_arrival_is_for_the_first_open_pickup() -> None:
    done, live = part(S.PICKED_UP), part(S.ALLOCATED)
    assert open_pickup([done, live]) is live
    with pytest.raises(DomainError) as collected:
        open_pickup([done, part(S.CANCELLED)])
    assert collected.value.code is ErrorCode.INVALID_TRANSITION
    with pytest.raises(DomainError) as shipped:
        open_pickup([])
    assert "not a pickup" in shipped.value.message


def test_a_handover_takes_every_ready_pickup_and_needs_one() -> None:
    a, b, c = part(S.READY_FOR_PICKUP), part(S.PICKING), part(S.READY_FOR_PICKUP)
    assert ready_pickups([a, b, c]) == [a, c]
    with pytest.raises(DomainError) as caught:
        ready_pickups([b])
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    assert "PICKING" in caught.value.message


def test_the_arrival_event_is_keyed_by_the_store_and_carries_no_note() -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    arrival = Arrival(uuid.uuid4(), ORDER, uuid.uuid4(), uuid.uuid4(), "3", "blue van", now)
    event = pickup_arrived(arrival, 1042)
    assert (event.type, event.aggregate_type) == (PICKUP_ARRIVED, "Store")
    assert event.aggregate_id == str(arrival.location_id)
    assert "blue van" not in str(event.data)
    activity = activity_from_store_event(uuid.uuid4(), event.type, now, event.data)
    assert activity.kind is ActivityKind.PICKUP_ARRIVED
    assert (activity.order_id, activity.arrival_id, activity.bay) == (ORDER, arrival.id, "3")


def test_only_orders_scope_may_watch_a_store() -> None:
    check_may_watch_store(Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.POS})))
    customer = Principal(PrincipalKind.CUSTOMER, uuid.uuid4())
    merchandiser = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.MERCHANDISER}))
    for who, code in (
        (None, ErrorCode.UNAUTHENTICATED),
        (customer, ErrorCode.FORBIDDEN),
        (merchandiser, ErrorCode.FORBIDDEN),
    ):
        with pytest.raises(DomainError) as caught:
            check_may_watch_store(who)
        assert caught.value.code is code
