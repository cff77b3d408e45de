"""Maps the domain's errors to GraphQL `userErrors`."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.errors import DomainError, ErrorCode

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
    ErrorCode.THROTTLED: "Too many attempts (e.g. failed logins); wait and retry later.",
}

UserErrorCode = strawberry.enum(
    Enum(  # type: ignore[misc]
        "UserErrorCode",
        {c.name: strawberry.enum_value(c.value, description=_DESCRIPTIONS[c]) for c in ErrorCode},
    ),
    description="Stable machine-readable codes of user errors; clients switch on these.",
)


@strawberry.type(description="A problem with the input of a mutation; nothing was changed.")
class UserError:
    code: UserErrorCode = strawberry.field(description="Stable code of the problem.")  # type: ignore[valid-type]
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "sku"]; null if none.'
    )
    message: str = strawberry.field(description="Human-readable explanation, in English.")


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(code=UserErrorCode[error.code.name], field=error.field, message=error.message)
    ]
