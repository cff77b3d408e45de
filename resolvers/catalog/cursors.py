"""Cursors of the products connection, and who may see unpublished products."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.auth import Principal, Role
from domain.authz import may_see_unpublished
from domain.catalog.models import ProductSortKey
from domain.errors import DomainError, ErrorCode
from resolvers.common import decode_cursor, encode_cursor, parse_uuid

CATALOG_EDITORS = frozenset({Role.ADMIN, Role.MERCHANDISER})


def sees_unpublished(principal: Principal | None) -> bool:
    return may_see_unpublished(principal)


def _label(key: ProductSortKey, reverse: bool) -> str:
    return f"{key.value}-R" if reverse else key.value


def encode_product_cursor(
    key: ProductSortKey, value: Any, product_id: Any, reverse: bool = False
) -> str:
    if isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    return encode_cursor(_label(key, reverse), text, str(product_id))


def decode_product_cursor(
    cursor: str, key: ProductSortKey, reverse: bool = False
) -> tuple[Any, Any]:
    cursor_key, text, raw_id = decode_cursor(cursor, 3)
    if cursor_key != _label(key, reverse):
        raise DomainError(ErrorCode.INVALID, "The cursor belongs to another sort order.", ["after"])
    value: Any = text
    try:
        if key is ProductSortKey.CREATED_AT:
            value = datetime.fromisoformat(text)
        elif key in (ProductSortKey.RELEVANCE, ProductSortKey.PERSONAL):
            value = float(text)
        elif key is ProductSortKey.PRICE:
            value = Decimal(text)
            if not value.is_finite():
                raise ValueError(text)
        elif key in (ProductSortKey.BEST_SELLING, ProductSortKey.MANUAL):
            value = int(text)
            if abs(value) > 2**62:
                raise ValueError(text)
    except (ValueError, ArithmeticError):
        raise DomainError(
            ErrorCode.INVALID, "The cursor is not valid for this list.", ["after"]
        ) from None
    return value, parse_uuid(raw_id, ["after"])
