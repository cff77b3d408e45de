"""Small pure rules: who sees an order and its status changes, and an oversized password
being refused without hashing it."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.customer.passwords import MAX_LENGTH, hash_password, verify_password
from domain.errors import DomainError, ErrorCode
from domain.events import OrderStatusChanged, check_order_visible, order_change_visible

OWNER = Principal(PrincipalKind.CUSTOMER, uuid.uuid4())
STRANGER = Principal(PrincipalKind.CUSTOMER, uuid.uuid4())
STAFF = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.SUPPORT}))


def change(customer_id: uuid.UUID | None) -> OrderStatusChanged:
    values = {f.name: None for f in dataclasses.fields(OrderStatusChanged)}
    values.update(
        event_id=uuid.uuid4(), order_id=uuid.uuid4(), customer_id=customer_id, status="PAID"
    )
    return OrderStatusChanged(**values)  # type: ignore[arg-type]


def test_an_order_is_visible_to_its_owner_and_staff_only() -> None:
    assert check_order_visible(OWNER, OWNER.id) is OWNER
    assert check_order_visible(STAFF, OWNER.id) is STAFF
    with pytest.raises(DomainError) as caught:
        check_order_visible(STRANGER, OWNER.id)
    assert caught.value.code is ErrorCode.NOT_FOUND  # like a missing order: no oracle
    with pytest.raises(DomainError) as caught:
        check_order_visible(None, OWNER.id)
    assert caught.value.code is ErrorCode.NOT_FOUND


def test_a_status_change_is_delivered_to_its_owner_and_staff_only() -> None:
    assert order_change_visible(OWNER, change(OWNER.id))
    assert order_change_visible(STAFF, change(OWNER.id))
    assert not order_change_visible(STRANGER, change(OWNER.id))
    assert not order_change_visible(STRANGER, change(None))


def test_a_password_over_the_limit_never_verifies() -> None:
    password = "p" * (MAX_LENGTH + 1)
    assert verify_password(hash_password(password), password) is False
    assert verify_password(hash_password("right one"), "right one") is True
