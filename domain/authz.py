"""The authorization model: who may read and do what, in one table. Pure: no I/O.

Principal kinds are an anonymous caller (no credentials), a signed-in CUSTOMER, a
STAFF member (JWT with roles) and an API_KEY (hashed secret, roles and a channel).
Roles grant scopes; a scope is the right to reach *other people's* objects of one
area. A customer's own objects never need a scope, and an anonymous cart is held by
the cart token returned when it was created, never by its bare id.

Everything that refuses answers like a missing object (NOT_FOUND / null), so no
answer tells a caller that an id belongs to somebody. docs/SECURITY.md has the
same table in prose; `tests/unit/test_authz.py` walks it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from enum import StrEnum

from domain.auth import Principal, PrincipalKind, Role, may_see_owned
from domain.errors import DomainError, ErrorCode


class Scope(StrEnum):
    CATALOG = "CATALOG"  # products, variants, prices, discounts; unpublished (DRAFT) catalog
    INVENTORY = "INVENTORY"  # stock adjustments and stock internals (onHand, reserved, safety)
    ORDERS = "ORDERS"  # anyone's orders, fulfillments, returns and cancellations
    CUSTOMERS = "CUSTOMERS"  # anyone's profile, addresses, identities and loyalty
    CARTS = "CARTS"  # anyone's carts, and carts created or attached for another customer


ALL_SCOPES = frozenset(Scope)

# Least privilege: MERCHANDISER edits the catalog and nothing of the customers';
# AGENT keys get no scope at all: an agent acts for the shopper who handed it a cart
# token (and, signed in as that shopper, for the shopper), never for every cart.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: ALL_SCOPES,
    Role.MERCHANDISER: frozenset({Scope.CATALOG}),
    Role.STORE_ASSOCIATE: frozenset({Scope.INVENTORY, Scope.ORDERS, Scope.CUSTOMERS, Scope.CARTS}),
    Role.SUPPORT: frozenset({Scope.ORDERS, Scope.CUSTOMERS, Scope.CARTS}),
    Role.POS: frozenset({Scope.INVENTORY, Scope.ORDERS, Scope.CUSTOMERS, Scope.CARTS}),
    Role.SERVICE: frozenset({Scope.INVENTORY, Scope.ORDERS, Scope.CUSTOMERS, Scope.CARTS}),
    Role.AGENT: frozenset(),
}


def scopes_of(principal: Principal | None) -> frozenset[Scope]:
    """Customers and anonymous callers hold no scope: they reach only their own objects."""
    if principal is None or principal.kind is PrincipalKind.CUSTOMER:
        return frozenset()
    granted: set[Scope] = set()
    for role in principal.roles:
        granted |= ROLE_SCOPES[role]
    return frozenset(granted)


def has_scope(principal: Principal | None, scope: Scope) -> bool:
    return scope in scopes_of(principal)


def may_use_cart(
    principal: Principal | None, owner_id: uuid.UUID | None, holds_token: bool
) -> bool:
    """Read or change a cart (and check it out).

    - a guest cart (no owner): whoever holds its token, or a CARTS scope;
    - a customer's cart: that customer, an API key holding its token (an agent acting
      for the shopper), or a CARTS scope. Another signed-in customer never, token or not.
    """
    if owner_id is None:
        return holds_token or has_scope(principal, Scope.CARTS)
    if principal is None:
        return False
    if principal.kind is PrincipalKind.CUSTOMER:
        return principal.id == owner_id
    if holds_token and principal.kind is PrincipalKind.API_KEY:
        return True
    return has_scope(principal, Scope.CARTS)


def may_act_for_customer(principal: Principal | None, customer_id: uuid.UUID) -> bool:
    """Create a cart for, or attach a cart to, this customer: themself, or a CARTS scope."""
    if principal is None:
        return False
    if principal.kind is PrincipalKind.CUSTOMER:
        return principal.id == customer_id
    return has_scope(principal, Scope.CARTS)


def may_follow_order(principal: Principal | None, owner_id: uuid.UUID | None) -> bool:
    """Subscribe to an order's changes: its customer, or an ORDERS scope."""
    if principal is None:
        return False
    if principal.kind is PrincipalKind.CUSTOMER:
        return owner_id is not None and principal.id == owner_id
    return has_scope(principal, Scope.ORDERS)


def check_at_own_store(principal: Principal | None, location_id: uuid.UUID) -> None:
    """A key bound to a store (a till, a store app) works at that store only."""
    if principal is not None and principal.location_id not in (None, location_id):
        raise DomainError(
            ErrorCode.FORBIDDEN, "This key works at its own store only.", ["location_id"]
        )


def may_read_order(
    principal: Principal | None, owner_id: uuid.UUID | None, holds_cart_token: bool
) -> bool:
    """Read an order (or its returns): its customer, or the ORDERS / CUSTOMERS scope; a
    guest order by the token of the cart it was checked out from (the id alone is not
    enough, as for carts)."""
    if owner_id is None:
        return holds_cart_token or has_scope(principal, Scope.ORDERS)
    return may_see_owned(principal, owner_id)


def may_see_unpublished(principal: Principal | None) -> bool:
    """DRAFT (and ARCHIVED) products, their descriptions and variants."""
    return has_scope(principal, Scope.CATALOG)


def may_see_stock_detail(principal: Principal | None, public_detail: bool) -> bool:
    """onHand / reserved / safetyStock per location: INVENTORY scope, or everyone when the
    store publishes them (setting UCG_PUBLIC_STOCK_DETAIL). `available` is always public."""
    return public_detail or has_scope(principal, Scope.INVENTORY)


# --- cart tokens -----------------------------------------------------------------

_TOKEN_CONTEXT = b"ucg-cart-token:v1:"


def cart_token(secret: str, cart_id: uuid.UUID) -> str:
    """The bearer secret of a cart: `<cart id hex>.<HMAC-SHA256>`, returned once by
    cartCreate. Derived, not stored: rotating the API secret revokes every token."""
    mac = hmac.new(secret.encode(), _TOKEN_CONTEXT + cart_id.bytes, hashlib.sha256)
    return f"{cart_id.hex}.{mac.hexdigest()}"


def held_carts(secret: str, tokens: object) -> frozenset[uuid.UUID]:
    """The carts whose valid token the caller presented; anything malformed is ignored."""
    if not isinstance(tokens, list | tuple | set | frozenset):
        return frozenset()
    held: set[uuid.UUID] = set()
    for token in tokens:
        if not isinstance(token, str) or len(token) > 200 or "." not in token:
            continue
        head = token.split(".", 1)[0]
        try:
            cart_id = uuid.UUID(hex=head)
        except ValueError:
            continue
        if hmac.compare_digest(cart_token(secret, cart_id), token):
            held.add(cart_id)
    return frozenset(held)
