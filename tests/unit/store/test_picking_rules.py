"""Store pick list rules (domain/store/picking.py), without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.errors import DomainError, ErrorCode
from domain.order.fulfillment import FulfillmentStatus as S
from domain.store.activity import ActivityKind, activity_from_store_event
from domain.store.picking import (
    LinePick,
    check_in_pick_list,
    completion_target,
    plan_pick,
    work_line_picked,
)

LINE = uuid.uuid4()


def test_only_open_work_of_a_store_method_at_this_store_is_on_the_list() -> None:
    for method in ("PICKUP", "SHIP_FROM_STORE", "SAME_DAY"):
        for status in (S.ALLOCATED, S.PICKING):
            check_in_pick_list(method, status, True)
    for method, status, here in (
        ("SHIP", S.ALLOCATED, True),
        ("PICKUP", S.READY_FOR_PICKUP, True),
        ("PICKUP", S.CANCELLED, True),
        ("PICKUP", S.ON_HOLD, True),
        ("PICKUP", S.ALLOCATED, False),
    ):
        with pytest.raises(DomainError) as caught:
            check_in_pick_list(method, status, here)
        assert (caught.value.code, caught.value.field) == (
            ErrorCode.NOT_IN_PICK_LIST,
            ["fulfillment_id"],
        )


def test_a_line_is_picked_once_within_its_units() -> None:
    assert plan_pick(LINE, "A", 3, False, 3) == LinePick(LINE, "A", 3, 3)
    assert plan_pick(LINE, "A", 3, False, 0).short == 3
    for units, already, picked, code, field in (
        (None, False, 1, ErrorCode.NOT_IN_PICK_LIST, ["line_id"]),
        (3, True, 1, ErrorCode.NOT_IN_PICK_LIST, ["line_id"]),
        (3, False, 4, ErrorCode.INVALID_QUANTITY, ["picked_quantity"]),
        (3, False, -1, ErrorCode.INVALID_QUANTITY, ["picked_quantity"]),
    ):
        with pytest.raises(DomainError) as caught:
            plan_pick(LINE, "A", units, already, picked)
        assert (caught.value.code, caught.value.field) == (code, field)


def test_a_picked_fulfillment_moves_to_its_methods_next_step() -> None:
    assert completion_target("PICKUP") is S.READY_FOR_PICKUP
    assert completion_target("SHIP_FROM_STORE") is S.PACKED
    assert completion_target("SAME_DAY") is S.PACKED


def test_the_pick_event_is_the_stores_and_becomes_its_activity() -> None:
    store, order, part = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event = work_line_picked(
        LinePick(LINE, "A", 3, 1),
        order_id=order,
        order_number=7,
        fulfillment_id=part,
        location_id=store,
        status=S.PICKING,
    )
    assert event.aggregate_id == str(store)
    activity = activity_from_store_event(uuid.uuid4(), event.type, datetime.now(UTC), event.data)
    assert activity.kind is ActivityKind.WORK_LINE_PICKED
    assert (activity.line_id, activity.picked_quantity, activity.short_quantity) == (LINE, 1, 2)
    assert activity.fulfillment_status == "PICKING"
