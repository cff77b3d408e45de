"""The `Decimal` scalar, bounded: a finite number below MAX_DECIMAL in magnitude.

Strawberry's own Decimal accepts `NaN`, `Infinity` and `1e309`, which then fail deep
in the domain (decimal.InvalidOperation) or in the insert (beyond int64 minor units).
Refused here, they are a BAD_USER_INPUT coercion error like any ill-typed variable.
"""

from __future__ import annotations

import decimal
from typing import Any

from strawberry.schema.types.base_scalars import DecimalDefinition
from strawberry.types.scalar import ScalarDefinition

# Far above any price or percentage, far below int64 minor units (9.2e18 / 10^4).
MAX_DECIMAL = decimal.Decimal(10) ** 12
_MAX_TEXT = 40


def parse_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("Decimal expects a number or a numeric string.")
    text = str(value)
    if len(text) > _MAX_TEXT:
        raise ValueError(f"Decimal expects at most {_MAX_TEXT} characters.")
    try:
        number = decimal.Decimal(text)
    except decimal.DecimalException:
        raise ValueError("Decimal expects a number or a numeric string.") from None
    if not number.is_finite() or abs(number) >= MAX_DECIMAL:
        raise ValueError(f"Decimal expects a finite number below {MAX_DECIMAL:,}.")
    return number


BOUNDED_DECIMAL = ScalarDefinition(
    name=DecimalDefinition.name,
    description=DecimalDefinition.description,
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal,
    parse_literal=None,
    origin=decimal.Decimal,
)
