"""Maps the domain's errors to GraphQL `userErrors`."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.errors import DomainError, ErrorCode
from resolvers.common import described_enum
from resolvers.field_paths import api_path, operation_shape

_DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.INVALID: "An input value is malformed or out of range; fix it and retry.",
    ErrorCode.NOT_FOUND: "The object named by an id, handle or code does not exist.",
    ErrorCode.INVALID_ID: "The id is not a global id of the expected type (gid://ucg/Type/uuid).",
    ErrorCode.TAKEN: "A unique value (sku, handle, code, email) is already in use.",
    ErrorCode.FORBIDDEN: "The caller is authenticated but may not do this.",
    ErrorCode.UNAUTHENTICATED: "The operation needs a valid access token or API key.",
    ErrorCode.OUT_OF_STOCK: "Not enough stock is available for the line named by `field`.",
    ErrorCode.IDEMPOTENCY_CONFLICT: (
        "The idempotency key was already used with different input; use a new key."
    ),
    ErrorCode.INVALID_TRANSITION: (
        "The requested status change is not allowed from the current status (see `message`)."
    ),
    ErrorCode.PAYMENT_DECLINED: (
        "The payment provider declined the payment; nothing was charged and no stock is held."
    ),
    ErrorCode.PAYMENT_FAILED: (
        "The payment provider refused the operation (e.g. capture above the authorized "
        "amount, or an authorization that is voided or expired)."
    ),
    ErrorCode.FULFILLMENT_UNAVAILABLE: (
        "No location offers the chosen fulfillment method for this address, store or time."
    ),
    ErrorCode.NOT_CANCELLABLE: (
        "The order or line named by `field` can no longer be cancelled (already handed over)."
    ),
    ErrorCode.NOT_RETURNABLE: (
        "The line named by `field` cannot be returned (not received, already returned, "
        "or outside the return window)."
    ),
    ErrorCode.CART_EXPIRED: "The cart was abandoned past its expiry time; create a new cart.",
    ErrorCode.CART_NOT_ACTIVE: (
        "The cart was merged into another cart or checked out; use the cart it was merged into."
    ),
    ErrorCode.INVALID_QUANTITY: "A line quantity is below 1 or above the configured maximum.",
    ErrorCode.VARIANT_UNAVAILABLE: (
        "The variant is not for sale: its product is not ACTIVE, or it has no price on the "
        "cart's channel and currency."
    ),
    ErrorCode.CURRENCY_NOT_SUPPORTED: "The currency is not sold on the channel.",
    ErrorCode.THROTTLED: "Too many attempts (e.g. failed logins); wait and retry later.",
    ErrorCode.PICKUP_CODE_INVALID: (
        "The pickup code is not the order's; nothing was handed over. Ask the buyer to show "
        "the code from their order again."
    ),
    ErrorCode.NOT_IN_PICK_LIST: (
        "The fulfillment or line named by `field` is not open work of this store's pick list "
        "(already picked, not a store method, or not at this store)."
    ),
    ErrorCode.TENDER_SHORT: (
        "The tenders do not cover the sale (or a card pays more than the sale); nothing was "
        "charged or written. Take another tender for the rest."
    ),
    ErrorCode.MARKET_NOT_FOUND: (
        "No market sells to the @inContext country (or no market has the handle); see "
        "`markets` for the countries sold to."
    ),
    ErrorCode.LANGUAGE_NOT_SUPPORTED: (
        "The language is not one the market (or, without a country, any market) offers."
    ),
    ErrorCode.DISCOUNT_NOT_ELIGIBLE: (
        "The discount code named by `field` is limited to customer segments the cart's "
        "customer is not in (or the cart has no customer); nothing was changed."
    ),
}

UserErrorCode = described_enum(
    ErrorCode,
    "Stable machine-readable codes of user errors; clients switch on these.",
    {code.name: text for code, text in _DESCRIPTIONS.items()},
    name="UserErrorCode",
)


def _api_field(root: UserError, info: strawberry.Info) -> list[str] | None:
    """The domain's path in the API's names, under the mutation's `input` if it is there."""
    return api_path(root.field, *operation_shape(info))


# Shareable: every subgraph with mutations returns UserError (Apollo composition).
@strawberry.federation.type(
    shareable=True, description="A problem with the input of a mutation; nothing was changed."
)
class UserError:
    code: UserErrorCode = strawberry.field(description="Stable code of the problem.")  # type: ignore[valid-type]
    api_field: list[str] | None = strawberry.field(
        name="field",
        resolver=_api_field,
        description='Path to the input field at fault, e.g. ["input", "sku"]; null if none.',
    )
    message: str = strawberry.field(description="Human-readable explanation, in English.")
    # The path as the domain named it (snake_case); GraphQL's `field` is it in the API's
    # names (resolvers/field_paths.py).
    field: strawberry.Private[list[str] | None] = None


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(code=UserErrorCode[error.code.name], field=error.field, message=error.message)
    ]


def user_errors_field() -> Any:
    """The `userErrors` field every mutation payload has, described once."""
    return strawberry.field(
        description="Problems with the input; empty on success, and then nothing changed."
    )
