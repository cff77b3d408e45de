"""Order lines, totals, cancellations, returns and how money goes back."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError, ErrorCode
from domain.order.aftersale import (
    LineQuantity,
    PaymentAdjustment,
    ReturnReason,
    cancellable_units,
    delivered_at,
    order_totals,
    payment_adjustment,
    plan_cancellation,
    plan_return,
    returnable_units,
)
from domain.order.fulfillment import FulfillmentStatus as S
from domain.order.order_parts import Fulfillment, OrderLine

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def line(line_id: uuid.UUID = A, **kw: object) -> OrderLine:
    values: dict[str, object] = {
        "id": line_id,
        "sku": f"SKU-{line_id.int}",
        "quantity": 3,
        "unit_price_minor": 1_000,
        "discount_minor": 0,
        "tax_minor": 0,
        "cancelled_quantity": 0,
        "returned_quantity": 0,
    }
    values.update(kw)
    return OrderLine(**values)  # type: ignore[arg-type]


def part(status: S, units: dict[uuid.UUID, int], at: datetime | None = None) -> Fulfillment:
    return Fulfillment(uuid.uuid4(), "SHIP", uuid.uuid4(), status, units, updated_at=at)


def shipped(line_id: uuid.UUID, n: int) -> Fulfillment:
    return part(S.SHIPPED, {line_id: n})


def delivered(line_id: uuid.UUID, n: int, at: datetime) -> Fulfillment:
    return part(S.DELIVERED, {line_id: n}, at)


def test_line_and_order_totals() -> None:
    a = line(A, discount_minor=500, tax_minor=250)
    b = line(B, quantity=1, unit_price_minor=199)
    assert (a.subtotal_minor, a.total_minor) == (3_000, 2_750)
    totals = order_totals([a, b], shipping_minor=490)
    assert totals.subtotal_minor == 3_199
    assert totals.discount_minor == 500
    assert totals.tax_minor == 250
    assert totals.total_minor == 3_199 - 500 + 250 + 490
    with pytest.raises(DomainError):
        order_totals([a], shipping_minor=-1)


@pytest.mark.parametrize(
    "kw",
    [
        {"quantity": 0},
        {"cancelled_quantity": -1},
        {"requested_quantity": -1},
        {"cancelled_quantity": 2, "returned_quantity": 2},
        {"returned_quantity": 1, "requested_quantity": 3},
        {"unit_price_minor": -1},
        {"discount_minor": 3_001},
    ],
)
def test_inconsistent_lines_are_refused(kw: dict[str, int]) -> None:
    with pytest.raises(DomainError) as caught:
        line(**kw)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.INVALID


def test_lines_inconsistent_with_their_fulfillments_are_refused() -> None:
    """More handed over than was left after cancels; more returned than delivered."""
    with pytest.raises(DomainError) as caught:
        cancellable_units([line(A, cancelled_quantity=2)], [shipped(A, 2)])
    assert caught.value.code is ErrorCode.INVALID
    for lines, parts in [
        ([line(A, returned_quantity=1)], [shipped(A, 1)]),
        ([line(A, returned_quantity=1, requested_quantity=1)], [delivered(A, 1, NOW)]),
    ]:
        with pytest.raises(DomainError) as caught:
            returnable_units(lines, parts)
        assert caught.value.code is ErrorCode.INVALID
    assert returnable_units([line(A)], [shipped(A, 1)]) == {A: 0}  # not delivered yet


def test_units_counted_from_the_fulfillments() -> None:
    earlier, later = NOW - timedelta(days=2), NOW - timedelta(days=1)
    parts = [
        shipped(A, 1),
        delivered(A, 1, earlier),
        part(S.PICKED_UP, {A: 1, B: 1}, later),
        part(S.ALLOCATED, {B: 1}),
        part(S.CANCELLED, {B: 1}),
        part(S.DELIVERED, {B: 0}),  # no time known: not a delivery time
    ]
    lines = [line(A, returned_quantity=1), line(B, cancelled_quantity=1)]
    assert cancellable_units(lines, parts) == {A: 0, B: 1}
    assert returnable_units(lines, parts) == {A: 1, B: 1}
    assert delivered_at(parts) == {A: later, B: later}


def test_whole_cancel_before_anything_ships_gives_everything_back() -> None:
    lines = [line(A, tax_minor=600), line(B, quantity=1, unit_price_minor=500)]
    plan = plan_cancellation(lines, [], None, shipping_minor=490)
    assert plan.whole_order
    assert [(x.line_id, x.quantity, x.restock) for x in plan.lines] == [(A, 3, True), (B, 1, True)]
    assert plan.shipping_minor == 490
    assert plan.amount_minor == 3_600 + 500 + 490


def test_cancel_after_a_partial_shipment_cancels_only_the_rest() -> None:
    lines = [line(A), line(B, quantity=1, unit_price_minor=500)]
    plan = plan_cancellation(lines, [shipped(A, 2)], None, shipping_minor=490)
    assert not plan.whole_order
    assert [(x.line_id, x.quantity) for x in plan.lines] == [(A, 1), (B, 1)]
    assert plan.shipping_minor == 0
    assert plan.amount_minor == 1_000 + 500
    with pytest.raises(DomainError) as caught:
        plan_cancellation([line(A)], [shipped(A, 3)], None)
    assert caught.value.code is ErrorCode.NOT_CANCELLABLE


def test_per_line_cancel_validation() -> None:
    lines, parts = [line(A), line(B)], [shipped(A, 2)]
    plan = plan_cancellation(lines, parts, [LineQuantity(B, 2)])
    assert [(x.line_id, x.quantity, x.amount_minor) for x in plan.lines] == [(B, 2, 2_000)]
    cases: list[tuple[list[LineQuantity], ErrorCode, list[str]]] = [
        ([LineQuantity(A, 2)], ErrorCode.NOT_CANCELLABLE, ["lines", "0", "quantity"]),
        ([LineQuantity(uuid.UUID(int=9), 1)], ErrorCode.NOT_FOUND, ["lines", "0", "line_id"]),
        ([LineQuantity(B, 1), LineQuantity(B, 1)], ErrorCode.INVALID, ["lines", "1", "line_id"]),
        ([LineQuantity(B, 0)], ErrorCode.INVALID, ["lines", "0", "quantity"]),
        ([], ErrorCode.INVALID, ["lines"]),
    ]
    for requested, code, field in cases:
        with pytest.raises(DomainError) as caught:
            plan_cancellation(lines, parts, requested)
        assert (caught.value.code, caught.value.field) == (code, field)


def test_cancelling_every_remaining_unit_line_by_line_is_a_whole_cancel() -> None:
    plan = plan_cancellation([line(A), line(B)], [], [LineQuantity(A, 3), LineQuantity(B, 3)], 100)
    assert plan.whole_order and plan.shipping_minor == 100


def test_returns_refund_on_the_line_total_and_restock_only_resellable_goods() -> None:
    sold = line(A, discount_minor=300, tax_minor=540)
    parts = [delivered(A, 3, NOW - timedelta(days=3))]
    plan = plan_return([sold], parts, [LineQuantity(A, 2)], ReturnReason.WRONG_SIZE, NOW)
    assert plan.refund_minor == (3_000 - 300 + 540) * 2 // 3
    assert plan.lines[0].restock
    damaged = plan_return([sold], parts, [LineQuantity(A, 1)], ReturnReason.DAMAGED, NOW)
    assert not damaged.lines[0].restock
    assert damaged.reason is ReturnReason.DAMAGED


def test_return_validation() -> None:
    on_its_way = [shipped(A, 3)]  # not delivered yet
    late = [delivered(B, 1, NOW - timedelta(days=31))]
    for lines, parts, requested, field in [
        ([line(A)], on_its_way, [LineQuantity(A, 1)], ["lines", "0", "quantity"]),
        ([line(B)], late, [LineQuantity(B, 1)], ["lines", "0", "line_id"]),
        (
            [line(B, returned_quantity=1)],
            [delivered(B, 1, NOW)],
            [LineQuantity(B, 1)],
            ["lines", "0", "quantity"],
        ),
        (  # asked for already in a return not received yet
            [line(B, requested_quantity=1)],
            [delivered(B, 1, NOW)],
            [LineQuantity(B, 1)],
            ["lines", "0", "quantity"],
        ),
    ]:
        with pytest.raises(DomainError) as caught:
            plan_return(lines, parts, requested, ReturnReason.CHANGED_MIND, NOW)
        assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_RETURNABLE, field)
    ok = plan_return(
        [line(B)], late, [LineQuantity(B, 1)], ReturnReason.OTHER, NOW, timedelta(days=60)
    )
    assert ok.refund_minor == 3_000 // 3


def test_a_return_is_priced_after_the_units_already_asked_for() -> None:
    """Units of a return still requested take their share first, as if returned."""
    sold = line(A, quantity=3, unit_price_minor=0, tax_minor=1_000, requested_quantity=1)
    parts = [delivered(A, 3, NOW)]
    plan = plan_return([sold], parts, [LineQuantity(A, 2)], ReturnReason.OTHER, NOW)
    assert plan.refund_minor == 1_000 - 1_000 // 3


@given(
    st.integers(1, 7),
    st.integers(0, 10**6),
    st.data(),
)
def test_unit_shares_always_add_up_to_the_line_total(
    quantity: int, total: int, data: st.DataObject
) -> None:
    """Give a line back in random chunks: the amounts sum to exactly its total."""
    current = line(A, quantity=quantity, unit_price_minor=0, tax_minor=total)
    given_back = 0
    while current.given_back_quantity < quantity:
        left = quantity - current.given_back_quantity
        chunk = data.draw(st.integers(1, left))
        amount = current.amount_for(chunk)
        assert 0 <= amount <= total
        given_back += amount
        current = replace(current, cancelled_quantity=current.cancelled_quantity + chunk)
    assert given_back == total


@pytest.mark.parametrize(
    ("authorized", "captured", "refunded", "new_total", "expected"),
    [
        (10_000, 0, 0, 0, PaymentAdjustment(0, True)),  # whole cancel before capture: void
        (10_000, 0, 0, 6_000, PaymentAdjustment(0, False)),  # capture less later
        (10_000, 10_000, 0, 6_000, PaymentAdjustment(4_000, False)),  # refund the difference
        (10_000, 10_000, 4_000, 6_000, PaymentAdjustment(0, False)),  # already refunded
        (10_000, 6_000, 0, 6_000, PaymentAdjustment(0, True)),  # rest never captured: void
        (10_000, 8_000, 0, 5_000, PaymentAdjustment(3_000, True)),
        (10_000, 10_000, 0, 0, PaymentAdjustment(10_000, False)),
    ],
)
def test_payment_adjustment(
    authorized: int, captured: int, refunded: int, new_total: int, expected: PaymentAdjustment
) -> None:
    assert (
        payment_adjustment(
            authorized_minor=authorized,
            captured_minor=captured,
            refunded_minor=refunded,
            new_total_minor=new_total,
        )
        == expected
    )


def test_payment_adjustment_refuses_negative_amounts() -> None:
    with pytest.raises(DomainError):
        payment_adjustment(
            authorized_minor=1, captured_minor=0, refunded_minor=0, new_total_minor=-1
        )
