"""Catalog records beyond the core ones in domain.models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Price:
    """The price of a variant on one channel, in one currency, in minor units."""

    variant_id: uuid.UUID
    channel_code: str
    currency_code: str
    amount_minor: int
    compare_at_minor: int | None


class ProductSortKey(StrEnum):
    TITLE = "TITLE"
    CREATED_AT = "CREATED_AT"
    RELEVANCE = "RELEVANCE"
    PRICE = "PRICE"
    BEST_SELLING = "BEST_SELLING"
    MANUAL = "MANUAL"
    PERSONAL = "PERSONAL"


@dataclass(frozen=True)
class ProductImage:
    """An image of a product: where it is, what it shows (alt text), its size and order."""

    id: uuid.UUID
    product_id: uuid.UUID
    url: str
    alt_text: str
    width: int | None
    height: int | None
    position: int
