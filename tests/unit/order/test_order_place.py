"""Order.place, the one factory of new orders (checkout, endless aisle, the till), and
Order.request_return, the return rules over the loaded aggregate."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError, ErrorCode
from domain.order.aftersale import LineQuantity, OrderTotals, ReturnReason
from domain.order.events import ORDER_CREATED
from domain.order.fulfillment import FulfillmentStatus as S
from domain.order.fulfillment import OrderStatus
from domain.order.model import Order
from domain.order.placement import NewFulfillment, NewLine, NewPayment, Placement

CHANNEL, CUSTOMER, CART = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
STORE, DEPOT = uuid.UUID(int=21), uuid.UUID(int=22)
V1, V2 = uuid.UUID(int=31), uuid.UUID(int=32)
NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
LINES = [NewLine(V1, "SKU-1", 3, 1000, 300, 0), NewLine(V2, "SKU-2", 1, 500, 0, 95)]
TOTALS = OrderTotals(3500, 300, 95, 490, 3785)


def place(
    fulfillments: list[NewFulfillment],
    *,
    on_hold: bool = False,
    payments: tuple[NewPayment, ...] = (NewPayment("test", "auth_1", 3785),),
) -> tuple[Order, list[object]]:
    order, events = Order.place(
        number=1042,
        customer_id=CUSTOMER,
        channel_id=CHANNEL,
        currency_code="EUR",
        lines=LINES,
        fulfillments=fulfillments,
        payments=payments,
        totals=TOTALS,
        placement=Placement("SHIP", "key-1", shipping_address={"city": "Utrecht"}),
        request_hash="hash-1",
        on_hold=on_hold,
        cart_id=CART,
        risk_score=40,
        risk_reasons=[{"code": "NEW_ACCOUNT", "points": 40, "detail": "today"}],
    )
    return order, list(events)


def split(status: S = S.ALLOCATED) -> list[NewFulfillment]:
    """Line 0 split over two locations, line 1 from the depot."""
    return [
        NewFulfillment("SHIP", STORE, status, [(0, 2)], NOW),
        NewFulfillment("SHIP", DEPOT, status, [(0, 1), (1, 1)], NOW),
    ]


def test_place_gives_ids_links_units_to_lines_derives_the_status_and_one_event() -> None:
    order, events = place(split())
    first, second = order.lines
    assert len({order.id, first.id, second.id, *(f.id for f in order.fulfillments)}) == 5
    assert {f.location_id: f.lines for f in order.fulfillments} == {
        STORE: {first.id: 2},
        DEPOT: {first.id: 1, second.id: 1},
    }
    # In the order a load reads them back (one transaction's rows: by id).
    assert [f.id for f in order.fulfillments] == sorted(f.id for f in order.fulfillments)
    assert (first.variant_id, first.currency_code, first.total_minor) == (V1, "EUR", 2700)
    assert second.total_minor == 595  # price - discount + tax
    assert order.status is OrderStatus.UNFULFILLED
    assert (order.total_minor, order.shipping_minor, order.request_hash) == (3785, 490, "hash-1")
    (payment,) = order.payments
    assert (payment.status, payment.owed_minor, payment.captured_minor) == ("AUTHORIZED", 3785, 0)
    assert payment.provider == "test"
    (event,) = events
    assert event.type == ORDER_CREATED  # type: ignore[attr-defined]
    assert event.data == {  # type: ignore[attr-defined]
        "orderId": str(order.id),
        "number": 1042,
        "customerId": str(CUSTOMER),
        "channelId": str(CHANNEL),
        "currencyCode": "EUR",
        "totalMinor": 3785,
        "status": "UNFULFILLED",
    }
    # The event is pending too: the repository's save writes it.
    assert order.pull_events() == events


def test_a_held_order_is_on_hold_with_its_fulfillments() -> None:
    order, events = place(split(S.ON_HOLD), on_hold=True)
    assert order.status is OrderStatus.ON_HOLD and order.on_hold
    assert events[0].data["status"] == "ON_HOLD"  # type: ignore[attr-defined]


def test_a_till_sale_is_handed_over_and_paid_already() -> None:
    carried = [NewFulfillment("PICKUP", STORE, S.PICKED_UP, [(0, 3), (1, 1)], NOW)]
    tenders = (
        NewPayment("card", "auth_9", 3000, captured=True),
        NewPayment("cash", "cash", 785, True),
    )
    order, _ = place(carried, payments=tenders)
    assert order.status is OrderStatus.COMPLETED
    assert sorted((p.provider, p.status, p.captured_minor) for p in order.payments) == [
        ("card", "CAPTURED", 3000),
        ("cash", "CAPTURED", 785),
    ]
    assert [p.id for p in order.payments] == sorted(p.id for p in order.payments)
    assert order.capture_owed() == []  # nothing left to capture at a handover


def test_an_order_without_lines_or_with_more_units_than_sold_is_refused() -> None:
    with pytest.raises(DomainError) as empty:
        Order.place(
            number=1,
            customer_id=None,
            channel_id=CHANNEL,
            currency_code="EUR",
            lines=[],
            fulfillments=[],
            payments=[],
            totals=OrderTotals(0, 0, 0, 0, 0),
            placement=Placement("PICKUP", "k"),
            request_hash=None,
        )
    assert (empty.value.code, empty.value.field) == (ErrorCode.INVALID, ["lines"])
    too_many = [*split(), NewFulfillment("SHIP", STORE, S.ALLOCATED, [(1, 1)], NOW)]
    with pytest.raises(DomainError) as over:
        place(too_many)
    assert (over.value.code, over.value.field) == (ErrorCode.INVALID, ["lines", "1"])


def test_record_is_the_read_side_row_once_the_database_dated_it() -> None:
    order, _ = place(split())
    with pytest.raises(RuntimeError):
        order.record()
    order.created_at = NOW
    record = order.record()
    assert (record.id, record.number, record.status, record.total_minor) == (
        order.id,
        1042,
        OrderStatus.UNFULFILLED,
        3785,
    )
    assert (record.subtotal_minor, record.discount_minor, record.tax_minor) == (3500, 300, 95)
    assert record.risk_reasons == ({"code": "NEW_ACCOUNT", "points": 40, "detail": "today"},)
    assert (record.risk_score, record.cart_id, record.created_at) == (40, CART, NOW)


def delivered(days_ago: int, *, later_days_ago: int | None = None) -> Order:
    """The split order with both fulfillments delivered (the depot's `later_days_ago`)."""
    order, _ = place(split())
    at = NOW - timedelta(days=days_ago)
    later = at if later_days_ago is None else NOW - timedelta(days=later_days_ago)
    order.fulfillments = tuple(
        replace(f, status=S.DELIVERED, updated_at=at if f.location_id == STORE else later)
        for f in order.fulfillments
    )
    return order


def test_request_return_plans_the_refund_and_counts_the_units_as_requested() -> None:
    order = delivered(3)
    first, second = order.lines
    plan = order.request_return(
        [LineQuantity(first.id, 2), LineQuantity(second.id, 1)], ReturnReason.WRONG_SIZE, NOW
    )
    assert [(line.quantity, line.amount_minor, line.restock) for line in plan.lines] == [
        (2, 1800, True),
        (1, 595, True),
    ]
    assert [line.requested_quantity for line in order.lines] == [2, 1]
    # The same units again: asked for already.
    with pytest.raises(DomainError) as twice:
        order.request_return([LineQuantity(first.id, 2)], ReturnReason.WRONG_SIZE, NOW)
    assert twice.value.code is ErrorCode.NOT_RETURNABLE
    # Received: returned now, no longer only requested.
    order.receive_return({first.id: 2})
    assert [(line.returned_quantity, line.requested_quantity) for line in order.lines] == [
        (2, 0),
        (0, 1),
    ]


def test_the_window_runs_from_the_last_delivery_of_the_line() -> None:
    # Line 0 came in two parts: its window runs from the later delivery, whichever part.
    for store_days, depot_days in ((40, 10), (10, 40)):
        order = delivered(store_days, later_days_ago=depot_days)
        first, second = order.lines
        plan = order.request_return([LineQuantity(first.id, 1)], ReturnReason.OTHER, NOW)
        assert plan.refund_minor == 900
    # Line 1 came only from the depot, 40 days ago: outside the 30-day window.
    with pytest.raises(DomainError) as late:
        order.request_return([LineQuantity(second.id, 1)], ReturnReason.OTHER, NOW)
    assert (late.value.code, late.value.field) == (
        ErrorCode.NOT_RETURNABLE,
        ["lines", "0", "line_id"],
    )


def test_a_delivery_made_in_this_unit_of_work_is_returnable_at_once() -> None:
    order, _ = place([NewFulfillment("SHIP", DEPOT, S.SHIPPED, [(0, 3), (1, 1)], NOW)])
    order.move(order.fulfillments[0].id, S.DELIVERED)  # not dated until saved
    plan = order.request_return([LineQuantity(order.lines[1].id, 1)], ReturnReason.DAMAGED, NOW)
    assert [(line.amount_minor, line.restock) for line in plan.lines] == [(595, False)]


def test_nothing_delivered_nothing_returnable() -> None:
    order, _ = place(split())
    with pytest.raises(DomainError) as refused:
        order.request_return([LineQuantity(order.lines[0].id, 1)], ReturnReason.OTHER, NOW)
    assert refused.value.code is ErrorCode.NOT_RETURNABLE
