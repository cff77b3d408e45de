"""Input checks of the cart use-cases: each failure is a DomainError naming its field."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime

from domain.auth import Principal
from domain.authz import may_use_cart
from domain.cart.discounts import normalize_code
from domain.cart.models import Attribute, BuyerIdentityInput, CartPolicy
from domain.errors import DomainError, ErrorCode, NotFound
from domain.geography import COUNTRY_CODES
from domain.models import Cart

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_PROVINCE = re.compile(r"^[A-Z0-9]{1,3}$")
MAX_ATTRIBUTES = 20
MAX_NOTE = 5000


def check_quantity(quantity: int, policy: CartPolicy, field: list[str]) -> None:
    if not 1 <= quantity <= policy.max_line_quantity:
        raise DomainError(
            ErrorCode.INVALID_QUANTITY,
            f"Quantity must be between 1 and {policy.max_line_quantity}; got {quantity}.",
            field,
        )


def check_attributes(attributes: Sequence[Attribute], field: list[str]) -> None:
    if len(attributes) > MAX_ATTRIBUTES:
        raise DomainError(
            ErrorCode.INVALID, f"A line has at most {MAX_ATTRIBUTES} attributes.", field
        )
    keys = [a.key for a in attributes]
    if len(set(keys)) != len(keys):
        raise DomainError(ErrorCode.INVALID, "Attribute keys must be unique.", field)
    for a in attributes:
        if not 1 <= len(a.key) <= 64 or len(a.value) > 255:
            raise DomainError(
                ErrorCode.INVALID,
                "Attribute keys are 1-64 characters, values at most 255.",
                field,
            )


def check_note(note: str, field: list[str]) -> None:
    if len(note) > MAX_NOTE:
        raise DomainError(ErrorCode.INVALID, f"A note is at most {MAX_NOTE} characters.", field)


def normalize_codes(codes: Sequence[str], policy: CartPolicy, field: list[str]) -> list[str]:
    """Upper-cased, trimmed, duplicates dropped, in the order entered."""
    result: list[str] = []
    for code in map(normalize_code, codes):
        if not 1 <= len(code) <= 64:
            raise DomainError(ErrorCode.INVALID, "A discount code is 1-64 characters.", field)
        if code not in result:
            result.append(code)
    if len(result) > policy.max_discount_codes:
        raise DomainError(
            ErrorCode.INVALID,
            f"A cart takes at most {policy.max_discount_codes} discount codes.",
            field,
        )
    return result


def check_buyer_identity(buyer: BuyerIdentityInput, field: list[str]) -> None:
    if buyer.email is not None and not _EMAIL.match(buyer.email):
        raise DomainError(ErrorCode.INVALID, "Email is not a valid address.", [*field, "email"])
    if buyer.phone is not None and not _PHONE.match(buyer.phone):
        raise DomainError(
            ErrorCode.INVALID, "Phone must be in E.164 form, e.g. +31201234567.", [*field, "phone"]
        )
    if buyer.country_code is not None and buyer.country_code not in COUNTRY_CODES:
        raise DomainError(
            ErrorCode.INVALID,
            "Country code must be an ISO 3166-1 alpha-2 code in upper case, e.g. NL.",
            [*field, "country_code"],
        )
    if buyer.province_code is not None and not _PROVINCE.match(buyer.province_code):
        raise DomainError(
            ErrorCode.INVALID,
            "Province code must be 1-3 upper-case letters or digits, e.g. CA.",
            [*field, "province_code"],
        )


def check_can_read(
    principal: Principal | None,
    cart: Cart,
    now: datetime,
    held: frozenset[uuid.UUID] = frozenset(),
) -> None:
    """Who may use a cart is domain.authz.may_use_cart; `held` are the carts whose token
    the caller presented.

    Someone else's cart answers exactly like a cart that does not exist, so an error
    never tells a caller that a cart id belongs to somebody.
    """
    if not may_use_cart(principal, cart.customer_id, cart.id in held):
        raise NotFound("Cart", ["cart_id"])
    if cart.status == "ACTIVE" and cart.expires_at is not None and cart.expires_at <= now:
        raise DomainError(
            ErrorCode.CART_EXPIRED, "The cart has expired; create a new one.", ["cart_id"]
        )


def check_can_change(
    principal: Principal | None,
    cart: Cart,
    now: datetime,
    held: frozenset[uuid.UUID] = frozenset(),
) -> None:
    check_can_read(principal, cart, now, held)
    if cart.status != "ACTIVE":
        into = f" into {cart.merged_into}" if cart.merged_into else ""
        raise DomainError(
            ErrorCode.CART_NOT_ACTIVE,
            f"The cart is {cart.status.lower()}{into}; it can no longer change.",
            ["cart_id"],
        )


def line_key(variant_id: uuid.UUID, attributes: Sequence[Attribute]) -> tuple[object, ...]:
    return (variant_id, tuple(attributes))
