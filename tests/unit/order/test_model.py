"""The Order aggregate: its behaviour changes it in memory and returns the events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.errors import DomainError, ErrorCode
from domain.order import aftersale
from domain.order.aftersale import LineQuantity
from domain.order.events import (
    FULFILLMENT_STATUS_CHANGED,
    ORDER_STATUS_CHANGED,
    Tracking,
)
from domain.order.fulfillment import COMPLETED, OrderStatus, StockEffect
from domain.order.fulfillment import FulfillmentStatus as S
from domain.order.model import Fulfillment, Order, OrderLine
from domain.order.settlement import PaymentState, PaymentStatus

A, B = uuid.UUID(int=1), uuid.UUID(int=2)
F1, F2 = uuid.UUID(int=11), uuid.UUID(int=12)
HERE = uuid.UUID(int=21)
NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)


def line(line_id: uuid.UUID, quantity: int, price: int = 1000) -> OrderLine:
    return OrderLine(line_id, f"SKU-{line_id.int}", quantity, price, 0, 0, 0, 0)


def order(
    *parts: Fulfillment,
    status: OrderStatus = OrderStatus.UNFULFILLED,
    on_hold: bool = False,
    payments: tuple[PaymentState, ...] = (),
) -> Order:
    return Order(
        uuid.UUID(int=99),
        1001,
        None,
        "WEB",
        status,
        on_hold,
        "EUR",
        490,
        (line(A, 2), line(B, 1)),
        parts,
        payments,
    )


def part(
    fid: uuid.UUID, status: S, lines: dict[uuid.UUID, int], method: str = "SHIP"
) -> Fulfillment:
    return Fulfillment(fid, method, HERE, status, lines)


def kinds(events: list[object]) -> list[tuple[str, object]]:
    return [(e.type, e.data["status"]) for e in events]  # type: ignore[attr-defined]


def test_move_changes_the_fulfillment_rederives_the_status_and_returns_both_events() -> None:
    o = order(part(F1, S.ALLOCATED, {A: 2}), part(F2, S.ALLOCATED, {B: 1}))
    events = o.move(F1, S.PICKING, tracking=Tracking("DHL", "1"))
    assert kinds(events) == [
        (FULFILLMENT_STATUS_CHANGED, "PICKING"),
        (ORDER_STATUS_CHANGED, "IN_PROGRESS"),
    ]
    moved = o.fulfillment(F1)
    assert moved is not None and (moved.status, moved.tracking) == (S.PICKING, "DHL 1")
    assert o.status is OrderStatus.IN_PROGRESS
    # The second move leaves the order status where it is: one event only.
    second = o.move(F2, S.PICKING)
    assert kinds(second) == [(FULFILLMENT_STATUS_CHANGED, "PICKING")]
    assert o.pull_events() == events + second and o.events == []


def test_pending_events_are_pulled_once_in_order() -> None:
    o = order(part(F1, S.ALLOCATED, {A: 2, B: 1}))
    first = o.move(F1, S.PICKING)
    second = o.move(F1, S.PACKED)
    assert o.pull_events() == first + second
    assert o.pull_events() == []


def test_the_same_status_again_only_updates_the_tracking() -> None:
    o = order(part(F1, S.SHIPPED, {A: 2, B: 1}), status=OrderStatus.FULFILLED)
    assert o.move(F1, S.SHIPPED) == []
    assert o.move(F1, S.SHIPPED, tracking=Tracking("UPS", "2")) == []
    moved = o.fulfillment(F1)
    assert moved is not None and moved.tracking == "UPS 2" and o.events == []


def test_a_move_off_the_table_or_of_a_stranger_fulfillment_is_refused_unchanged() -> None:
    o = order(part(F1, S.ALLOCATED, {A: 2, B: 1}, method="PICKUP"))
    with pytest.raises(DomainError) as caught:
        o.move(F1, S.SHIPPED)  # a pickup is never shipped
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    with pytest.raises(DomainError) as missing:
        o.move(uuid.uuid4(), S.PICKING)
    assert (missing.value.code, missing.value.field) == (ErrorCode.NOT_FOUND, ["id"])
    assert o.fulfillment(F1) == part(F1, S.ALLOCATED, {A: 2, B: 1}, method="PICKUP")
    assert o.events == []


def test_a_ready_pickup_gets_its_deadline() -> None:
    o = order(part(F1, S.PICKING, {A: 2, B: 1}, method="PICKUP"), status=OrderStatus.IN_PROGRESS)
    o.move(F1, S.READY_FOR_PICKUP, pickup_deadline=NOW)
    ready = o.fulfillment(F1)
    assert ready is not None and ready.pickup_deadline == NOW
    assert o.status is OrderStatus.READY_FOR_PICKUP


def test_cancel_takes_from_the_least_advanced_fulfillment_and_empties_it() -> None:
    o = order(part(F1, S.PICKING, {A: 1}), part(F2, S.ALLOCATED, {A: 1, B: 1}))
    plan, cuts, events = o.cancel([LineQuantity(A, 1), LineQuantity(B, 1)], reason="OTHER")
    assert [(c.fulfillment_id, c.line_id, c.quantity, c.effect) for c in cuts] == [
        (F2, A, 1, StockEffect.RELEASE),
        (F2, B, 1, StockEffect.RELEASE),
    ]
    assert plan.amount_minor == 2000 and not plan.whole_order
    emptied = o.fulfillment(F2)
    assert emptied is not None and emptied.status is S.CANCELLED
    assert emptied.lines == {A: 1, B: 1}  # kept as a record of what it held
    assert [(ln.id, ln.cancelled_quantity) for ln in o.lines] == [(A, 1), (B, 1)]
    assert kinds(events) == [
        (FULFILLMENT_STATUS_CHANGED, "CANCELLED"),
        (ORDER_STATUS_CHANGED, "IN_PROGRESS"),
    ]
    assert o.cancel_reason is None  # the order itself is not cancelled


def test_a_partial_cut_shrinks_the_fulfillment_and_a_whole_cancel_records_the_reason() -> None:
    o = order(part(F1, S.ALLOCATED, {A: 2, B: 1}))
    _, cuts, events = o.cancel([LineQuantity(A, 1)], reason="OTHER")
    shrunk = o.fulfillment(F1)
    assert shrunk is not None and shrunk.lines == {A: 1, B: 1} and shrunk.status is S.ALLOCATED
    assert events == [] and len(cuts) == 1
    plan, _, events = o.cancel(None, reason="FRAUD")
    assert plan.whole_order and o.status is OrderStatus.CANCELLED
    assert o.cancel_reason == "FRAUD"
    assert kinds(events)[-1] == (ORDER_STATUS_CHANGED, "CANCELLED")


def test_cancel_only_one_fulfillment() -> None:
    o = order(part(F1, S.ALLOCATED, {A: 1}), part(F2, S.READY_FOR_PICKUP, {A: 1}, "PICKUP"))
    _, cuts, _ = o.cancel([LineQuantity(A, 1)], reason="MISSED_PICKUP", only=F2)
    assert [(c.fulfillment_id, c.effect) for c in cuts] == [(F2, StockEffect.RESTOCK)]


def test_release_hold_walks_held_fulfillments_to_allocated() -> None:
    o = order(
        part(F1, S.ON_HOLD, {A: 2}),
        part(F2, S.CANCELLED, {B: 1}),
        status=OrderStatus.ON_HOLD,
        on_hold=True,
    )
    events = o.release_hold()
    assert kinds(events) == [
        (FULFILLMENT_STATUS_CHANGED, "PENDING"),
        (FULFILLMENT_STATUS_CHANGED, "ALLOCATED"),
        (ORDER_STATUS_CHANGED, "UNFULFILLED"),
    ]
    assert not o.on_hold and [f.status for f in o.fulfillments] == [S.ALLOCATED, S.CANCELLED]


def test_receive_return_grows_the_returned_quantities() -> None:
    o = order(part(F1, S.DELIVERED, {A: 2, B: 1}), status=OrderStatus.COMPLETED)
    assert o.receive_return({A: 1}) == []
    assert [(ln.id, ln.returned_quantity) for ln in o.lines] == [(A, 1), (B, 0)]
    assert aftersale.units_in(o.fulfillments, COMPLETED)[A] == 2
    assert aftersale.returnable_units(o.lines, o.fulfillments)[A] == 1


def test_totals_owed_and_what_is_due_for_capture() -> None:
    owing = PaymentState(uuid.uuid4(), "a1", PaymentStatus.AUTHORIZED, "EUR", 3000, 2490, 0, 0)
    nothing = PaymentState(uuid.uuid4(), "a2", PaymentStatus.AUTHORIZED, "EUR", 100, 0, 0, 0)
    voided = PaymentState(uuid.uuid4(), "a3", PaymentStatus.VOIDED, "EUR", 500, 500, 0, 0)
    o = order(part(F1, S.ALLOCATED, {A: 2, B: 1}), payments=(owing, nothing, voided))
    assert o.totals().total_minor == 3000 + 490
    assert o.owed_minor() == 2490
    assert o.capture_owed() == [owing]
    assert o.derived_status() is OrderStatus.UNFULFILLED
