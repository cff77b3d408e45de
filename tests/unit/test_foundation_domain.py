"""Pure domain rules of the foundation: ids, money, errors, roles, channel validation."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.auth import (
    Principal,
    PrincipalKind,
    Role,
    require_customer_or_staff,
    require_roles,
)
from domain.catalog.services import validate_channel
from domain.errors import DomainError, ErrorCode, InvalidId, NotFound
from domain.ids import from_global_id, to_global_id
from domain.models import StockLevel
from domain.money import exponent, is_currency_code, to_decimal


@given(st.sampled_from(["Product", "Order", "Customer"]), st.uuids())
def test_global_ids_round_trip(type_name: str, local: uuid.UUID) -> None:
    gid = to_global_id(type_name, local)
    assert gid == f"gid://ucg/{type_name}/{local}"
    assert from_global_id(gid) == (type_name, local)
    assert from_global_id(gid, type_name) == (type_name, local)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Product/1",
        "gid://ucg/Product",
        "gid://ucg//x",
        "gid://ucg/Product/not-a-uuid",
        "gid://other/Product/00000000-0000-0000-0000-000000000000",
    ],
)
def test_malformed_global_ids_are_invalid_id(value: str) -> None:
    with pytest.raises(InvalidId) as caught:
        from_global_id(value)
    assert caught.value.code is ErrorCode.INVALID_ID


def test_global_id_of_another_type_is_refused() -> None:
    gid = to_global_id("Order", uuid.uuid4())
    with pytest.raises(InvalidId):
        from_global_id(gid, "Product")


@given(st.integers(min_value=0, max_value=10**12))
def test_money_minor_units_to_decimal(amount: int) -> None:
    assert to_decimal(amount, "EUR") == Decimal(amount) / 100
    assert to_decimal(amount, "JPY") == Decimal(amount)
    assert to_decimal(amount, "KWD") == Decimal(amount) / 1000


def test_currency_codes() -> None:
    assert exponent("EUR") == 2 and exponent("JPY") == 0
    assert is_currency_code("EUR")
    for bad in ("eur", "EU", "EURO", "E1R", "ÄUR"):
        assert not is_currency_code(bad)


def test_errors_carry_code_message_field() -> None:
    error = NotFound("Product", ["id"])
    assert (error.code, error.message, error.field) == (
        ErrorCode.NOT_FOUND,
        "Product does not exist.",
        ["id"],
    )
    assert "NOT_FOUND" in repr(error)


@given(
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=0, max_value=1000),
)
def test_available_is_never_negative(on_hand: int, reserved: int, safety: int) -> None:
    level = StockLevel("SKU", uuid.uuid4(), on_hand, reserved, safety)
    assert level.available == max(0, on_hand - reserved - safety)


def test_channel_validation() -> None:
    validate_channel("WEB", "Web", "EUR")
    for code, name, currency, field in [
        ("web", "Web", "EUR", "code"),
        ("1WEB", "Web", "EUR", "code"),
        ("WEB", "  ", "EUR", "name"),
        ("WEB", "Web", "EURO", "currency_code"),
    ]:
        with pytest.raises(DomainError) as caught:
            validate_channel(code, name, currency)
        assert caught.value.code is ErrorCode.INVALID
        assert caught.value.field == [field]


def test_roles_and_ownership() -> None:
    customer = Principal(PrincipalKind.CUSTOMER, uuid.uuid4())
    clerk = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.STORE_ASSOCIATE}))
    admin = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.ADMIN}))
    with pytest.raises(DomainError) as anonymous:
        require_roles(None, Role.STORE_ASSOCIATE)
    assert anonymous.value.code is ErrorCode.UNAUTHENTICATED
    with pytest.raises(DomainError) as forbidden:
        require_roles(customer, Role.STORE_ASSOCIATE)
    assert forbidden.value.code is ErrorCode.FORBIDDEN
    assert require_roles(clerk, Role.STORE_ASSOCIATE) is clerk
    assert require_roles(admin, Role.MERCHANDISER) is admin
    assert require_customer_or_staff(customer, customer.id) is customer
    assert require_customer_or_staff(clerk, uuid.uuid4()) is clerk
    assert clerk.is_staff_like and not customer.is_staff_like
    with pytest.raises(DomainError) as other:
        require_customer_or_staff(customer, uuid.uuid4())
    assert other.value.code is ErrorCode.FORBIDDEN
