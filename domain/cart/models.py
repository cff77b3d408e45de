"""Cart records beyond `domain.models.Cart`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class CartStatus(StrEnum):
    ACTIVE = "ACTIVE"
    MERGED = "MERGED"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class Attribute:
    key: str
    value: str


@dataclass
class CartLine:
    id: uuid.UUID
    cart_id: uuid.UUID
    variant_id: uuid.UUID
    quantity: int
    attributes: list[Attribute] = field(default_factory=list)
    position: int = 0


@dataclass(frozen=True)
class VariantOffer:
    """What the cart needs to know to sell a variant on a channel in a currency."""

    variant_id: uuid.UUID
    sku: str
    product_active: bool
    price_minor: int | None
    compare_at_minor: int | None = None


@dataclass(frozen=True)
class LineInput:
    variant_id: uuid.UUID
    quantity: int
    attributes: list[Attribute] = field(default_factory=list)


@dataclass(frozen=True)
class LineUpdate:
    line_id: uuid.UUID
    quantity: int | None = None
    attributes: list[Attribute] | None = None


@dataclass(frozen=True)
class BuyerIdentityInput:
    """Fields left None are not changed."""

    customer_id: uuid.UUID | None = None
    email: str | None = None
    phone: str | None = None
    country_code: str | None = None
    province_code: str | None = None


@dataclass(frozen=True)
class CartPolicy:
    """Configured limits, and the clock of this use-case."""

    now: datetime
    ttl: timedelta
    max_line_quantity: int = 999
    max_lines: int = 250
    max_discount_codes: int = 5
    # The carts whose token the caller presented (domain.authz.held_carts).
    held_carts: frozenset[uuid.UUID] = frozenset()
