"""Pure validation of catalog input."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.errors import DomainError, ErrorCode
from domain.money import exponent

HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,199}$")
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
MAX_TAGS = 50
MAX_MINOR = 10**12


def validate_handle(handle: str, field: list[str]) -> None:
    if not HANDLE.match(handle):
        raise DomainError(
            ErrorCode.INVALID,
            "Handle must be 1-200 lower-case letters, digits or -, starting with a letter or digit.",
            field,
        )


def validate_title(title: str, field: list[str]) -> str:
    cleaned = title.strip()
    if not cleaned or len(cleaned) > 255:
        raise DomainError(ErrorCode.INVALID, "Title must be 1-255 characters.", field)
    return cleaned


def validate_sku(sku: str, field: list[str]) -> None:
    if not SKU.match(sku):
        raise DomainError(
            ErrorCode.INVALID,
            "SKU must be 1-100 letters, digits or . _ / -, starting with a letter or digit.",
            field,
        )


def clean_tags(tags: list[str], field: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
    if len(cleaned) > MAX_TAGS or any(len(t) > 64 for t in cleaned):
        raise DomainError(ErrorCode.INVALID, f"At most {MAX_TAGS} tags of 64 characters.", field)
    return cleaned


def validate_urls(urls: list[str], field: list[str]) -> None:
    for i, url in enumerate(urls):
        if not url.startswith(("https://", "http://")) or len(url) > 2000:
            raise DomainError(
                ErrorCode.INVALID, "Media URLs must be http(s) URLs.", [*field, str(i)]
            )


def to_minor_units(amount: str, currency_code: str, field: list[str]) -> int:
    """A decimal string in the currency's major unit -> integer minor units, exactly."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise DomainError(ErrorCode.INVALID, "Amount must be a decimal number.", field) from None
    if not value.is_finite():
        raise DomainError(ErrorCode.INVALID, "Amount must be a decimal number.", field)
    if value < 0:
        raise DomainError(ErrorCode.INVALID, "Amount must not be negative.", field)
    minor = value.scaleb(exponent(currency_code))
    if minor != minor.to_integral_value():
        raise DomainError(
            ErrorCode.INVALID,
            f"{currency_code} amounts have at most {exponent(currency_code)} decimals.",
            field,
        )
    if minor > MAX_MINOR:
        raise DomainError(ErrorCode.INVALID, "Amount is too large.", field)
    return int(minor)
