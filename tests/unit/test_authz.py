"""The authorization table of domain/authz.py, row by row, without I/O."""

from __future__ import annotations

import uuid

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.authz import (
    ROLE_SCOPES,
    Scope,
    cart_token,
    has_scope,
    held_carts,
    may_act_for_customer,
    may_follow_order,
    may_see_stock_detail,
    may_see_unpublished,
    may_use_cart,
    scopes_of,
)

SECRET = "test-secret-0123456789-0123456789-abcdef"
OWNER = uuid.uuid4()
CUSTOMER = Principal(PrincipalKind.CUSTOMER, OWNER)
STRANGER = Principal(PrincipalKind.CUSTOMER, uuid.uuid4())


def staff(*roles: Role) -> Principal:
    return Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset(roles))


def key(*roles: Role, channel: str = "AGENT") -> Principal:
    return Principal(PrincipalKind.API_KEY, uuid.uuid4(), frozenset(roles), channel)


def test_every_role_has_a_row_and_only_admin_holds_every_scope() -> None:
    assert set(ROLE_SCOPES) == set(Role)
    assert [r for r, s in ROLE_SCOPES.items() if s == frozenset(Scope)] == [Role.ADMIN]
    assert scopes_of(staff(Role.MERCHANDISER)) == {Scope.CATALOG}
    assert scopes_of(key(Role.AGENT)) == frozenset()
    assert scopes_of(staff(Role.SUPPORT, Role.MERCHANDISER)) == {
        Scope.CATALOG,
        Scope.ORDERS,
        Scope.CUSTOMERS,
        Scope.CARTS,
    }


def test_customers_and_anonymous_callers_hold_no_scope_whatever_their_claims() -> None:
    assert scopes_of(None) == frozenset()
    claims_admin = Principal(PrincipalKind.CUSTOMER, OWNER, frozenset({Role.ADMIN}))
    assert not has_scope(claims_admin, Scope.CARTS)


@pytest.mark.parametrize(
    ("principal", "owner", "token", "allowed"),
    [
        (None, None, True, True),  # a guest cart: its token holder
        (None, None, False, False),  # not its bare id
        (STRANGER, None, True, True),  # a signed-in guest with the token (sign-in attaches)
        (key(Role.AGENT), None, False, False),
        (key(Role.AGENT), None, True, True),
        (staff(Role.MERCHANDISER), None, False, False),
        (staff(Role.SUPPORT), None, False, True),
        (CUSTOMER, OWNER, False, True),  # a customer's cart: that customer
        (STRANGER, OWNER, True, False),  # another customer never, token or not
        (None, OWNER, True, False),
        (key(Role.AGENT), OWNER, False, False),
        (key(Role.AGENT), OWNER, True, True),  # an agent acting for the shopper
        (staff(Role.MERCHANDISER), OWNER, True, False),
        (key(Role.POS, channel="POS"), OWNER, False, True),
        (staff(Role.ADMIN), OWNER, False, True),
    ],
)
def test_who_may_use_a_cart(
    principal: Principal | None, owner: uuid.UUID | None, token: bool, allowed: bool
) -> None:
    assert may_use_cart(principal, owner, token) is allowed


def test_acting_for_a_customer_needs_to_be_them_or_the_carts_scope() -> None:
    assert may_act_for_customer(CUSTOMER, OWNER)
    assert not may_act_for_customer(STRANGER, OWNER)
    assert not may_act_for_customer(None, OWNER)
    assert not may_act_for_customer(staff(Role.MERCHANDISER), OWNER)
    assert not may_act_for_customer(key(Role.AGENT), OWNER)
    assert may_act_for_customer(staff(Role.SUPPORT), OWNER)


def test_following_an_order() -> None:
    assert may_follow_order(CUSTOMER, OWNER)
    assert not may_follow_order(CUSTOMER, None)
    assert not may_follow_order(STRANGER, OWNER)
    assert not may_follow_order(None, OWNER)
    assert not may_follow_order(staff(Role.MERCHANDISER), OWNER)
    assert may_follow_order(staff(Role.SUPPORT), OWNER)


def test_unpublished_catalog_and_stock_detail() -> None:
    assert may_see_unpublished(staff(Role.MERCHANDISER))
    assert not may_see_unpublished(None) and not may_see_unpublished(staff(Role.SUPPORT))
    assert not may_see_stock_detail(None, public_detail=False)
    assert not may_see_stock_detail(staff(Role.MERCHANDISER), public_detail=False)
    assert may_see_stock_detail(staff(Role.STORE_ASSOCIATE), public_detail=False)
    assert may_see_stock_detail(None, public_detail=True)


def test_a_cart_token_holds_its_cart_only_under_the_same_secret() -> None:
    cart = uuid.uuid4()
    token = cart_token(SECRET, cart)
    assert held_carts(SECRET, [token]) == {cart}
    assert held_carts(SECRET + "x", [token]) == frozenset()
    other = uuid.uuid4()
    forged = f"{other.hex}.{token.split('.', 1)[1]}"
    malformed = ["", "nodot", "zz.zz", "x" * 300, 7, f"{cart.hex}.00"]
    assert held_carts(SECRET, [forged, *malformed]) == frozenset()
    assert held_carts(SECRET, "not a list") == frozenset()
