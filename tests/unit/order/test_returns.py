"""The pure parts of domain/order/returns.py: who may ask, the request hash, the events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from datasources.events.schemas import InvalidEvent, validate_event_data
from domain.auth import Principal, PrincipalKind, Role
from domain.errors import DomainError, ErrorCode
from domain.order.aftersale import LineQuantity, ReturnReason
from domain.order.listing import listing_owner
from domain.order.returns import (
    RETURN_CREATED,
    RETURN_RECEIVED,
    ReturnLineRecord,
    ReturnRecord,
    ReturnStatus,
    _request_hash,
    may_handle_order,
    return_created_event,
    return_received_event,
)

OWNER = uuid.uuid4()


def _principal(kind: PrincipalKind, *roles: Role, id_: uuid.UUID | None = None) -> Principal:
    return Principal(kind, id_ or uuid.uuid4(), frozenset(roles))


def test_the_owner_and_customer_data_staff_may_ask_nobody_else() -> None:
    assert may_handle_order(_principal(PrincipalKind.CUSTOMER, id_=OWNER), OWNER)
    assert not may_handle_order(_principal(PrincipalKind.CUSTOMER), OWNER)
    assert not may_handle_order(_principal(PrincipalKind.CUSTOMER, id_=OWNER), None)  # guest
    assert may_handle_order(_principal(PrincipalKind.STAFF, Role.SUPPORT), OWNER)
    assert may_handle_order(_principal(PrincipalKind.STAFF, Role.STORE_ASSOCIATE), None)
    assert may_handle_order(_principal(PrincipalKind.STAFF, Role.ADMIN), OWNER)
    assert not may_handle_order(_principal(PrincipalKind.STAFF, Role.MERCHANDISER), OWNER)


def test_the_request_hash_changes_with_every_input() -> None:
    order, line = uuid.uuid4(), uuid.uuid4()
    base = _request_hash(order, [LineQuantity(line, 1)], ReturnReason.WRONG_SIZE, None)
    assert base == _request_hash(order, [LineQuantity(line, 1)], ReturnReason.WRONG_SIZE, None)
    variants = {
        _request_hash(uuid.uuid4(), [LineQuantity(line, 1)], ReturnReason.WRONG_SIZE, None),
        _request_hash(order, [LineQuantity(line, 2)], ReturnReason.WRONG_SIZE, None),
        _request_hash(order, [LineQuantity(line, 1)], ReturnReason.DAMAGED, None),
        _request_hash(order, [LineQuantity(line, 1)], ReturnReason.WRONG_SIZE, "x"),
    }
    assert base not in variants and len(variants) == 4


def _record(
    status: ReturnStatus = ReturnStatus.RECEIVED, customer: uuid.UUID | None = OWNER
) -> ReturnRecord:
    return ReturnRecord(
        id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        customer_id=customer,
        status=status,
        reason=ReturnReason.DAMAGED,
        note="cracked",
        currency_code="EUR",
        refund_minor=2998,
        refunded_minor=2998,
        location_id=uuid.uuid4(),
        request_hash="h",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
        received_at=datetime(2026, 3, 2, tzinfo=UTC),
        lines=(
            ReturnLineRecord(uuid.uuid4(), "A", 1, 999, True),
            ReturnLineRecord(uuid.uuid4(), "B", 2, 1999, False),
        ),
    )


@pytest.mark.parametrize("customer", [OWNER, None])
def test_return_events_match_their_schemas_and_carry_no_note(customer: uuid.UUID | None) -> None:
    record = _record(customer=customer)
    created = return_created_event(record)
    received = return_received_event(record)
    for event, type_ in ((created, RETURN_CREATED), (received, RETURN_RECEIVED)):
        assert event.type == type_ and event.aggregate_id == str(record.order_id)
        validate_event_data(event.type, event.data)
        assert "note" not in event.data  # free text may hold personal data
    assert received.data["restockedQuantity"] == 1
    assert received.data["refundedMinor"] == 2998
    broken = dict(received.data, lines=[])
    with pytest.raises(InvalidEvent):
        validate_event_data(RETURN_RECEIVED, broken)


def test_who_lists_which_orders() -> None:
    me = _principal(PrincipalKind.CUSTOMER)
    assert listing_owner(me) == me.id
    assert listing_owner(_principal(PrincipalKind.STAFF, Role.POS)) is None
    with pytest.raises(DomainError) as forbidden:
        listing_owner(_principal(PrincipalKind.STAFF, Role.MERCHANDISER))
    assert forbidden.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as anonymous:
        listing_owner(None)
    assert anonymous.value.code is ErrorCode.UNAUTHENTICATED
