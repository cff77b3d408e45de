"""The one family of expected, typed failures.

A `DomainError` is bad input or a broken business rule: the API turns it into a
`userErrors` entry with a stable `code`. Anything else is a bug and is masked.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes; clients switch on these, so values never change."""

    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    INVALID_ID = "INVALID_ID"
    TAKEN = "TAKEN"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    FULFILLMENT_UNAVAILABLE = "FULFILLMENT_UNAVAILABLE"
    NOT_CANCELLABLE = "NOT_CANCELLABLE"
    NOT_RETURNABLE = "NOT_RETURNABLE"
    CART_EXPIRED = "CART_EXPIRED"
    CART_NOT_ACTIVE = "CART_NOT_ACTIVE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    VARIANT_UNAVAILABLE = "VARIANT_UNAVAILABLE"
    CURRENCY_NOT_SUPPORTED = "CURRENCY_NOT_SUPPORTED"
    THROTTLED = "THROTTLED"
    PICKUP_CODE_INVALID = "PICKUP_CODE_INVALID"
    NOT_IN_PICK_LIST = "NOT_IN_PICK_LIST"
    TENDER_SHORT = "TENDER_SHORT"
    MARKET_NOT_FOUND = "MARKET_NOT_FOUND"
    LANGUAGE_NOT_SUPPORTED = "LANGUAGE_NOT_SUPPORTED"
    DISCOUNT_NOT_ELIGIBLE = "DISCOUNT_NOT_ELIGIBLE"


class DomainError(Exception):
    """An expected failure with a stable code, a human message and the input field at fault."""

    def __init__(self, code: ErrorCode, message: str, field: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"DomainError({self.code.value!r}, {self.message!r}, {self.field!r})"


class NotFound(DomainError):
    def __init__(self, what: str, field: list[str] | None = None) -> None:
        super().__init__(ErrorCode.NOT_FOUND, f"{what} does not exist.", field)


class InvalidId(DomainError):
    def __init__(self, value: str, field: list[str] | None = None) -> None:
        super().__init__(ErrorCode.INVALID_ID, f"{value!r} is not a valid id.", field)
