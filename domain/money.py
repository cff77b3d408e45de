"""Money in integer minor units; Decimal only at the edge."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3}


def exponent(currency_code: str) -> int:
    return _EXPONENTS.get(currency_code, 2)


def to_decimal(amount_minor: int, currency_code: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent(currency_code))


def is_currency_code(value: str) -> bool:
    return len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()
