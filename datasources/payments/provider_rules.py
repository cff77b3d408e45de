"""The rules of the built-in test payment provider, once, for both of its stores.

`test_provider.TestPaymentProvider` keeps authorizations in memory (unit tests);
`postgres_provider.PostgresTestProvider` keeps them in Postgres (any process, any
restart). Both load a `TestAuthorization`, apply one of these functions, and store
what it changed; so the two can never disagree on what a real service would answer:
no capture above the authorized amount, no refund above the captured amount, no
capture after a void or after expiry. The magic card tokens are in test_provider's
docstring.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.money import is_currency_code
from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    PaymentFailureCode,
    Refunded,
    Voided,
)

F = PaymentFailureCode

APPROVING_TOKENS = frozenset({"tok_visa", "tok_mastercard", "tok_amex"})
DECLINING_TOKENS: dict[str, tuple[PaymentFailureCode, str]] = {
    "tok_declined": (F.CARD_DECLINED, "The card was declined."),
    "tok_insufficient_funds": (F.INSUFFICIENT_FUNDS, "The card has insufficient funds."),
    "tok_expired_card": (F.EXPIRED_CARD, "The card has expired."),
    "tok_incorrect_cvc": (F.INCORRECT_CVC, "The card's security code is incorrect."),
    "tok_fraudulent": (F.FRAUD_SUSPECTED, "The payment was blocked as suspected fraud."),
    "tok_processing_error": (F.PROCESSING_ERROR, "The provider had a processing error."),
}
LIMIT_PREFIX = "tok_limit_"
AUTHORIZATION_TTL = timedelta(days=7)
IDEMPOTENCY_CONFLICT = PaymentFailure(
    F.IDEMPOTENCY_CONFLICT, "The key was used with another request."
)
UNKNOWN_AUTHORIZATION = PaymentFailure(F.UNKNOWN_AUTHORIZATION, "No such authorization.")


@dataclass
class TestAuthorization:
    """One authorization as the provider keeps it."""

    __test__ = False  # not a pytest test class

    id: str
    amount: PaymentAmount
    created_at: datetime
    captured_minor: int = 0
    refunded_minor: int = 0
    voided: bool = False


def remembered(result: object) -> bool:
    """Whether a reply is kept for its idempotency key: a transient error is not, so
    that the retry can succeed."""
    return not (isinstance(result, PaymentFailure) and result.retryable)


def invalid_amount(amount: PaymentAmount) -> PaymentFailure | None:
    if amount.amount_minor <= 0 or not is_currency_code(amount.currency_code):
        return PaymentFailure(
            F.INVALID_AMOUNT, "Amounts must be positive, in an ISO 4217 currency."
        )
    return None


def authorize(
    amount: PaymentAmount, card_token: str, now: datetime
) -> TestAuthorization | PaymentFailure:
    """A new authorization, or why the card token declines it."""
    invalid = invalid_amount(amount)
    if invalid is not None:
        return invalid
    if card_token in DECLINING_TOKENS:
        return PaymentFailure(*DECLINING_TOKENS[card_token])
    if card_token.startswith(LIMIT_PREFIX):
        limit = card_token[len(LIMIT_PREFIX) :]
        if not limit.isdigit():
            return PaymentFailure(F.INVALID_CARD_TOKEN, "Unknown card token.")
        if amount.amount_minor > int(limit):
            return PaymentFailure(F.INSUFFICIENT_FUNDS, "The card has insufficient funds.")
    elif card_token not in APPROVING_TOKENS:
        return PaymentFailure(F.INVALID_CARD_TOKEN, "Unknown card token.")
    return TestAuthorization(f"auth_{uuid.uuid4().hex}", amount, now)


def authorized(auth: TestAuthorization) -> Authorized:
    return Authorized(auth.id, auth.amount)


def _check(auth: TestAuthorization | None, amount: PaymentAmount) -> PaymentFailure | None:
    invalid = invalid_amount(amount)
    if invalid is not None:
        return invalid
    if auth is None:
        return UNKNOWN_AUTHORIZATION
    if amount.currency_code != auth.amount.currency_code:
        return PaymentFailure(F.CURRENCY_MISMATCH, "The currency differs from the authorization's.")
    return None


def capture(
    auth: TestAuthorization | None, amount: PaymentAmount, now: datetime, ttl: timedelta
) -> Captured | PaymentFailure:
    """Capture `amount` (changes `auth` when it succeeds)."""
    failure = _check(auth, amount)
    if failure is not None:
        return failure
    assert auth is not None
    if auth.voided:
        return PaymentFailure(F.ALREADY_VOIDED, "The authorization was voided.")
    if now - auth.created_at > ttl:
        return PaymentFailure(F.AUTHORIZATION_EXPIRED, "The authorization has expired.")
    if auth.captured_minor + amount.amount_minor > auth.amount.amount_minor:
        return PaymentFailure(F.AMOUNT_EXCEEDS_AUTHORIZED, "Capture exceeds the authorized amount.")
    auth.captured_minor += amount.amount_minor
    return Captured(f"cap_{uuid.uuid4().hex}", auth.id, amount, auth.captured_minor)


def void(auth: TestAuthorization | None) -> Voided | PaymentFailure:
    """Release the uncaptured rest (changes `auth` when it succeeds)."""
    if auth is None:
        return UNKNOWN_AUTHORIZATION
    if auth.voided:
        return PaymentFailure(F.ALREADY_VOIDED, "The authorization was already voided.")
    if auth.captured_minor >= auth.amount.amount_minor:
        return PaymentFailure(F.FULLY_CAPTURED, "Nothing is left to void; refund instead.")
    auth.voided = True
    return Voided(auth.id, auth.amount.amount_minor - auth.captured_minor)


def refund(auth: TestAuthorization | None, amount: PaymentAmount) -> Refunded | PaymentFailure:
    """Refund `amount` of what was captured (changes `auth` when it succeeds)."""
    failure = _check(auth, amount)
    if failure is not None:
        return failure
    assert auth is not None
    if auth.refunded_minor + amount.amount_minor > auth.captured_minor:
        return PaymentFailure(F.AMOUNT_EXCEEDS_CAPTURED, "Refund exceeds the captured amount.")
    auth.refunded_minor += amount.amount_minor
    return Refunded(f"ref_{uuid.uuid4().hex}", auth.id, amount, auth.refunded_minor)
