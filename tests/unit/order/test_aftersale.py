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
    OrderLine,
    PaymentAdjustment,
    ReturnReason,
    order_totals,
    payment_adjustment,
    plan_cancellation,
    plan_return,
)

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def line(line_id: uuid.UUID = A, **kw: object) -> OrderLine:
    values: dict[str, object] = {
        "line_id": line_id,
        "sku": f"SKU-{line_id.int}",
        "quantity": 3,
        "unit_price_minor": 1_000,
    }
    values.update(kw)
    return OrderLine(**values)  # type: ignore[arg-type]


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
        {"cancelled_quantity": 2, "handed_over_quantity": 2},
        {"delivered_quantity": 1},
        {"handed_over_quantity": 1, "delivered_quantity": 1, "returned_quantity": 2},
        {"unit_price_minor": -1},
        {"discount_minor": 3_001},
    ],
)
def test_inconsistent_lines_are_refused(kw: dict[str, int]) -> None:
    with pytest.raises(DomainError) as caught:
        line(**kw)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.INVALID


def test_whole_cancel_before_anything_ships_gives_everything_back() -> None:
    lines = [line(A, tax_minor=600), line(B, quantity=1, unit_price_minor=500)]
    plan = plan_cancellation(lines, None, shipping_minor=490)
    assert plan.whole_order
    assert [(x.line_id, x.quantity, x.restock) for x in plan.lines] == [(A, 3, True), (B, 1, True)]
    assert plan.shipping_minor == 490
    assert plan.amount_minor == 3_600 + 500 + 490


def test_cancel_after_a_partial_shipment_cancels_only_the_rest() -> None:
    lines = [line(A, handed_over_quantity=2), line(B, quantity=1, unit_price_minor=500)]
    plan = plan_cancellation(lines, None, shipping_minor=490)
    assert not plan.whole_order
    assert [(x.line_id, x.quantity) for x in plan.lines] == [(A, 1), (B, 1)]
    assert plan.shipping_minor == 0
    assert plan.amount_minor == 1_000 + 500
    with pytest.raises(DomainError) as caught:
        plan_cancellation([line(A, handed_over_quantity=3)], None)
    assert caught.value.code is ErrorCode.NOT_CANCELLABLE


def test_per_line_cancel_validation() -> None:
    lines = [line(A, handed_over_quantity=2), line(B)]
    plan = plan_cancellation(lines, [LineQuantity(B, 2)])
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
            plan_cancellation(lines, requested)
        assert (caught.value.code, caught.value.field) == (code, field)


def test_cancelling_every_remaining_unit_line_by_line_is_a_whole_cancel() -> None:
    plan = plan_cancellation([line(A), line(B)], [LineQuantity(A, 3), LineQuantity(B, 3)], 100)
    assert plan.whole_order and plan.shipping_minor == 100


def test_returns_refund_on_the_line_total_and_restock_only_resellable_goods() -> None:
    delivered = line(
        A,
        discount_minor=300,
        tax_minor=540,
        handed_over_quantity=3,
        delivered_quantity=3,
        delivered_at=NOW - timedelta(days=3),
    )
    plan = plan_return([delivered], [LineQuantity(A, 2)], ReturnReason.WRONG_SIZE, NOW)
    assert plan.refund_minor == (3_000 - 300 + 540) * 2 // 3
    assert plan.lines[0].restock
    damaged = plan_return([delivered], [LineQuantity(A, 1)], ReturnReason.DAMAGED, NOW)
    assert not damaged.lines[0].restock
    assert damaged.reason is ReturnReason.DAMAGED


def test_return_validation() -> None:
    shipped = line(A, handed_over_quantity=3)  # not delivered yet
    late = line(
        B, handed_over_quantity=1, delivered_quantity=1, delivered_at=NOW - timedelta(days=31)
    )
    for lines, requested, field in [
        ([shipped], [LineQuantity(A, 1)], ["lines", "0", "quantity"]),
        ([late], [LineQuantity(B, 1)], ["lines", "0", "line_id"]),
        (
            [replace(late, delivered_at=NOW, returned_quantity=1)],
            [LineQuantity(B, 1)],
            ["lines", "0", "quantity"],
        ),
    ]:
        with pytest.raises(DomainError) as caught:
            plan_return(lines, requested, ReturnReason.CHANGED_MIND, NOW)
        assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_RETURNABLE, field)
    ok = plan_return([late], [LineQuantity(B, 1)], ReturnReason.OTHER, NOW, timedelta(days=60))
    assert ok.refund_minor == 3_000 // 3


@given(
    st.integers(1, 7),
    st.integers(0, 10**6),
    st.data(),
)
def test_unit_shares_always_add_up_to_the_line_total(
    quantity: int, total: int, data: st.DataObject
) -> None:
    """Give a line back in random chunks: the amounts sum to exactly its total."""
    current = OrderLine(A, "SKU", quantity, unit_price_minor=0, tax_minor=total)
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
