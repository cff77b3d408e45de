"""Reserve-in-store rules (domain/store/holds.py), without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.errors import DomainError, ErrorCode
from domain.store.holds import (
    HoldLine,
    HoldStatus,
    StoreHold,
    check_cancellable,
    check_hold_location,
    check_ttl,
    hold_cancelled,
    hold_customer,
    hold_placed,
    may_manage_hold,
)

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
ALICE = uuid.uuid4()


def hold(status: str = "ACTIVE", expires: datetime = NOW + timedelta(hours=1)) -> StoreHold:
    return StoreHold(
        uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), ALICE, status, expires, NOW, None,
        (HoldLine("A", 2),),
    )  # fmt: skip


def staff(*roles: Role) -> Principal:
    return Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset(roles))


def test_status_follows_the_reservation_and_the_clock() -> None:
    assert hold().status(NOW) is HoldStatus.ACTIVE
    assert hold(expires=NOW).status(NOW) is HoldStatus.EXPIRED  # before the sweep
    assert hold("EXPIRED").status(NOW) is HoldStatus.EXPIRED
    assert hold("RELEASED").status(NOW) is HoldStatus.CANCELLED
    assert hold("COMMITTED").status(NOW) is HoldStatus.COLLECTED
    check_cancellable(hold(), NOW)
    for lapsed in (hold("RELEASED"), hold(expires=NOW - timedelta(seconds=1))):
        with pytest.raises(DomainError) as caught:
            check_cancellable(lapsed, NOW)
        assert caught.value.code is ErrorCode.INVALID_TRANSITION


def test_who_holds_for_whom() -> None:
    alice = Principal(PrincipalKind.CUSTOMER, ALICE)
    assert hold_customer(alice, None) == ALICE
    assert hold_customer(alice, ALICE) == ALICE
    assert hold_customer(staff(Role.POS), ALICE) == ALICE
    for who, customer, code in (
        (None, None, ErrorCode.UNAUTHENTICATED),
        (alice, uuid.uuid4(), ErrorCode.NOT_FOUND),
        (staff(Role.MERCHANDISER), ALICE, ErrorCode.NOT_FOUND),
        (staff(Role.STORE_ASSOCIATE), None, ErrorCode.INVALID),
    ):
        with pytest.raises(DomainError) as caught:
            hold_customer(who, customer)
        assert caught.value.code is code
    assert may_manage_hold(alice, hold())
    assert may_manage_hold(staff(Role.STORE_ASSOCIATE), hold())
    assert not may_manage_hold(Principal(PrincipalKind.CUSTOMER, uuid.uuid4()), hold())
    assert not may_manage_hold(staff(Role.MERCHANDISER), hold())
    assert not may_manage_hold(None, hold())


def test_ttl_and_location_bounds() -> None:
    assert check_ttl(15) == 15 and check_ttl(7 * 24 * 60) == 7 * 24 * 60
    for bad in (14, 7 * 24 * 60 + 1, 0):
        with pytest.raises(DomainError):
            check_ttl(bad)
    check_hold_location("STORE")
    for kind, code in (
        (None, ErrorCode.NOT_FOUND),
        ("WAREHOUSE", ErrorCode.FULFILLMENT_UNAVAILABLE),
    ):
        with pytest.raises(DomainError) as caught:
            check_hold_location(kind)
        assert caught.value.code is code


def test_hold_events_are_keyed_by_the_store() -> None:
    h = hold()
    placed, cancelled = hold_placed(h), hold_cancelled(h)
    assert placed.aggregate_id == cancelled.aggregate_id == str(h.location_id)
    assert placed.data["lines"] == [{"sku": "A", "quantity": 2}]
    assert cancelled.data["holdId"] == str(h.id)
