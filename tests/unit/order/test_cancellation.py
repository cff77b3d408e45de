"""The pure part of cancellations: units counted from fulfillments, cuts, who may cancel."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasources.events.schemas import validate_event_data
from domain.auth import Principal, PrincipalKind, Role
from domain.errors import DomainError, ErrorCode
from domain.order.aftersale import LineQuantity, cancellable_units, plan_cancellation, units_in
from domain.order.cancellation import (
    CancelReason,
    check_may_cancel,
    check_reason,
    order_cancelled,
    request_hash,
)
from domain.order.fulfillment import COMPLETED, HANDED_OVER, OrderStatus, StockEffect
from domain.order.fulfillment import FulfillmentStatus as S
from domain.order.idempotency import check_key
from domain.order.model import Fulfillment, Order, OrderLine, plan_cuts, remaining_units

A, B = uuid.uuid4(), uuid.uuid4()


def stored(line_id: uuid.UUID, quantity: int, cancelled: int = 0, sku: str = "SKU") -> OrderLine:
    return OrderLine(line_id, sku, quantity, 1000, 0, 0, cancelled, 0)


def part(status: S, lines: dict[uuid.UUID, int], method: str = "SHIP") -> Fulfillment:
    return Fulfillment(uuid.uuid4(), method, uuid.uuid4(), status, lines)


def state(
    lines: tuple[OrderLine, ...],
    parts: tuple[Fulfillment, ...],
    customer: uuid.UUID | None = None,
    channel: str | None = "WEB",
) -> Order:
    return Order(uuid.uuid4(), 1001, customer, channel, OrderStatus.UNFULFILLED, False, "EUR", 490,
                      lines, parts)  # fmt: skip


def test_handed_over_and_delivered_units_are_counted_from_the_fulfillments() -> None:
    order = state(
        (stored(A, 5, cancelled=1), stored(B, 2)),
        (
            part(S.SHIPPED, {A: 1}),
            part(S.DELIVERED, {A: 1, B: 1}),
            part(S.ALLOCATED, {A: 2, B: 1}),
            part(S.CANCELLED, {A: 1}),
        ),
    )
    parts = order.fulfillments
    assert units_in(parts, HANDED_OVER) == {A: 2, B: 1}
    assert units_in(parts, COMPLETED) == {A: 1, B: 1}
    assert cancellable_units(order.lines, parts) == {A: 2, B: 1}


def test_cuts_take_from_the_least_advanced_fulfillment_first() -> None:
    ready = part(S.READY_FOR_PICKUP, {A: 2}, "PICKUP")
    allocated = part(S.ALLOCATED, {A: 1, B: 1})
    shipped = part(S.SHIPPED, {A: 1})
    order = state((stored(A, 4), stored(B, 1)), (ready, shipped, allocated))
    plan = plan_cancellation(order.lines, order.fulfillments, [LineQuantity(A, 2)])
    cuts = plan_cuts(plan, order.fulfillments)
    assert [(c.fulfillment_id, c.quantity, c.effect) for c in cuts] == [
        (allocated.id, 1, StockEffect.RELEASE),
        (ready.id, 1, StockEffect.RESTOCK),
    ]
    assert remaining_units(allocated, cuts) == {B: 1}
    assert remaining_units(ready, cuts) == {A: 1}
    assert remaining_units(shipped, cuts) == {A: 1}


def test_cuts_restricted_to_one_fulfillment_and_units_nowhere_are_not_restocked() -> None:
    ready = part(S.READY_FOR_PICKUP, {A: 1}, "PICKUP")
    other = part(S.ALLOCATED, {A: 1})
    order = state((stored(A, 3),), (ready, other))  # one unit in no fulfillment
    plan = plan_cancellation(order.lines, order.fulfillments, [LineQuantity(A, 1)])
    assert [c.fulfillment_id for c in plan_cuts(plan, order.fulfillments, ready.id)] == [ready.id]
    whole = plan_cancellation(order.lines, order.fulfillments)
    assert sum(c.quantity for c in plan_cuts(whole, order.fulfillments)) == 2


@given(
    st.lists(
        st.tuples(st.sampled_from(list(S)), st.integers(0, 3), st.integers(0, 3)),
        min_size=1,
        max_size=5,
    ),
    st.data(),
)
def test_cuts_never_exceed_what_a_fulfillment_holds(
    shape: list[tuple[S, int, int]], data: st.DataObject
) -> None:
    parts = tuple(
        part(status, {k: v for k, v in ((A, a), (B, b)) if v > 0}) for status, a, b in shape
    )
    total = {A: sum(p.lines.get(A, 0) for p in parts), B: sum(p.lines.get(B, 0) for p in parts)}
    lines = tuple(stored(line, max(1, total[line]), sku=str(line)) for line in (A, B))
    order = state(lines, parts)
    cancellable = cancellable_units(order.lines, order.fulfillments)
    wanted = [
        LineQuantity(line, data.draw(st.integers(1, cancellable[line])))
        for line in (A, B)
        if cancellable[line] > 0
    ]
    if not wanted:
        return
    plan = plan_cancellation(order.lines, order.fulfillments, wanted)
    cuts = plan_cuts(plan, order.fulfillments)
    for p in parts:
        for line_id, units in p.lines.items():
            taken = sum(
                c.quantity for c in cuts if c.fulfillment_id == p.id and c.line_id == line_id
            )
            assert taken <= units
            if taken:
                assert p.status not in (S.SHIPPED, S.DELIVERED, S.PICKED_UP, S.CANCELLED)
                assert p.status is not S.DELIVERY_FAILED
    for item in wanted:
        assert sum(c.quantity for c in cuts if c.line_id == item.line_id) <= item.quantity


def _who(kind: PrincipalKind, *roles: Role, who: uuid.UUID | None = None,
         channel: str | None = None) -> Principal:  # fmt: skip
    return Principal(kind, who or uuid.uuid4(), frozenset(roles), channel)


def test_who_may_cancel() -> None:
    owner = uuid.uuid4()
    owned = state((stored(A, 1),), (), customer=owner, channel="AGENT")
    allowed = [
        _who(PrincipalKind.CUSTOMER, who=owner),
        _who(PrincipalKind.STAFF, Role.ADMIN),
        _who(PrincipalKind.STAFF, Role.SUPPORT),
        _who(PrincipalKind.API_KEY, Role.SERVICE),
        _who(PrincipalKind.API_KEY, Role.AGENT, channel="AGENT"),
    ]
    for principal in allowed:
        check_may_cancel(principal, owned)
    hidden = [
        None,
        _who(PrincipalKind.CUSTOMER),
        _who(PrincipalKind.STAFF, Role.MERCHANDISER),
        _who(PrincipalKind.API_KEY, Role.AGENT, channel="WEB"),
        _who(PrincipalKind.API_KEY, Role.AGENT),
    ]
    for principal in hidden:
        with pytest.raises(DomainError) as caught:
            check_may_cancel(principal, owned)
        assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, ["order_id"])
    with pytest.raises(DomainError) as forbidden:
        check_may_cancel(_who(PrincipalKind.API_KEY, Role.POS), owned)
    assert forbidden.value.code is ErrorCode.FORBIDDEN
    # A guest order is held by its cart's token (or the ORDERS scope), not by its id.
    guest = replace(state((stored(A, 1),), ()), cart_id=uuid.uuid4())
    assert guest.cart_id is not None
    check_may_cancel(None, guest, frozenset({guest.cart_id}))
    check_may_cancel(_who(PrincipalKind.STAFF, Role.SUPPORT), guest)
    for stranger in (None, _who(PrincipalKind.CUSTOMER), _who(PrincipalKind.API_KEY, Role.AGENT)):
        with pytest.raises(DomainError) as caught:
            check_may_cancel(stranger, guest, frozenset({uuid.uuid4()}))
        assert caught.value.code is ErrorCode.NOT_FOUND


def test_reasons_keys_and_fingerprints() -> None:
    buyer = _who(PrincipalKind.CUSTOMER)
    check_reason(buyer, CancelReason.CUSTOMER_REQUEST)
    check_reason(_who(PrincipalKind.STAFF, Role.SUPPORT), CancelReason.FRAUD)
    for principal, reason in (
        (buyer, CancelReason.FRAUD),
        (None, CancelReason.STOCK_ISSUE),
        (_who(PrincipalKind.STAFF, Role.ADMIN), CancelReason.MISSED_PICKUP),
    ):
        with pytest.raises(DomainError) as caught:
            check_reason(principal, reason)
        assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, ["reason"])
    check_key(None)
    check_key("k" * 200)
    for bad in ("", "k" * 201):
        with pytest.raises(DomainError):
            check_key(bad)
    order = uuid.uuid4()
    one = request_hash(order, [LineQuantity(A, 1)], CancelReason.OTHER)
    assert one == request_hash(order, [LineQuantity(A, 1)], CancelReason.OTHER)
    assert one != request_hash(order, [LineQuantity(A, 2)], CancelReason.OTHER)
    assert one != request_hash(order, None, CancelReason.OTHER)
    assert one != request_hash(order, [LineQuantity(A, 1)], CancelReason.CUSTOMER_REQUEST)


def test_the_cancelled_event_matches_its_schema() -> None:
    order = state((stored(A, 2, sku="TOTE-1"),), (part(S.ALLOCATED, {A: 2}),))
    plan = plan_cancellation(order.lines, order.fulfillments, None, order.shipping_minor)
    event = order_cancelled(order, plan, CancelReason.CUSTOMER_REQUEST, 0, True)
    validate_event_data(event.type, event.data)
    assert event.aggregate_id == str(order.id) and event.topic == "ucg.orders.v1"
    assert event.data["amountMinor"] == 2490 and event.data["wholeOrder"] is True
