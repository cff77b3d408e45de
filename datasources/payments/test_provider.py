"""The built-in test payment provider: approves or declines by card token.

It stands in for an external payment service in dev and tests (like a PSP's
sandbox), so the declined and failing paths of checkout can be exercised. It
keeps authorizations in memory, per instance (unit tests; processes use
`postgres_provider`, the same rules with the state in Postgres), and enforces the same rules a
real service does: no capture above the authorized amount, no refund above
the captured amount, no capture after a void or after expiry, and the same
idempotency key with the same request returns the first answer.

Magic card tokens (everything else is INVALID_CARD_TOKEN):

| token                     | authorize result                      |
|---------------------------|---------------------------------------|
| tok_visa, tok_mastercard, tok_amex | approved                     |
| tok_limit_<N>             | approved when amount <= N minor units, else INSUFFICIENT_FUNDS |
| tok_declined              | CARD_DECLINED                         |
| tok_insufficient_funds    | INSUFFICIENT_FUNDS                    |
| tok_expired_card          | EXPIRED_CARD                          |
| tok_incorrect_cvc         | INCORRECT_CVC                         |
| tok_fraudulent            | FRAUD_SUSPECTED                       |
| tok_processing_error      | PROCESSING_ERROR (transient)          |
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

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
R = TypeVar("R")

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


@dataclass
class _Authorization:
    id: str
    amount: PaymentAmount
    created_at: datetime
    captured_minor: int = 0
    refunded_minor: int = 0
    voided: bool = False


def _failure(code: PaymentFailureCode, message: str) -> PaymentFailure:
    return PaymentFailure(code, message)


class TestPaymentProvider:
    """In-memory `PaymentGateway`. Single event loop: its methods never await."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        clock: Callable[[], datetime] | None = None,
        authorization_ttl: timedelta = AUTHORIZATION_TTL,
    ) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ttl = authorization_ttl
        self._authorizations: dict[str, _Authorization] = {}
        # (operation, idempotency key) -> (request fingerprint, first result)
        self._replies: dict[tuple[str, str], tuple[Hashable, object]] = {}

    def authorization(self, authorization_id: str) -> _Authorization | None:
        """Inspect an authorization (for tests and the dev console)."""
        return self._authorizations.get(authorization_id)

    def _idempotent(
        self, operation: str, key: str, request: Hashable, compute: Callable[[], R]
    ) -> R | PaymentFailure:
        seen = self._replies.get((operation, key))
        if seen is not None:
            if seen[0] != request:
                return _failure(F.IDEMPOTENCY_CONFLICT, "The key was used with another request.")
            return cast(R, seen[1])
        result = compute()
        # A transient error is not remembered: the retry must be able to succeed.
        if not (isinstance(result, PaymentFailure) and result.retryable):
            self._replies[(operation, key)] = (request, result)
        return result

    @staticmethod
    def _check_amount(amount: PaymentAmount) -> PaymentFailure | None:
        if amount.amount_minor <= 0 or not is_currency_code(amount.currency_code):
            return _failure(F.INVALID_AMOUNT, "Amounts must be positive, in an ISO 4217 currency.")
        return None

    def _open(
        self, authorization_id: str, amount: PaymentAmount | None
    ) -> _Authorization | PaymentFailure:
        auth = self._authorizations.get(authorization_id)
        if auth is None:
            return _failure(F.UNKNOWN_AUTHORIZATION, "No such authorization.")
        if amount is not None and amount.currency_code != auth.amount.currency_code:
            return _failure(F.CURRENCY_MISMATCH, "The currency differs from the authorization's.")
        return auth

    async def authorize(
        self, amount: PaymentAmount, card_token: str, idempotency_key: str
    ) -> Authorized | PaymentFailure:
        return self._idempotent(
            "authorize",
            idempotency_key,
            (amount, card_token),
            lambda: self._authorize(amount, card_token),
        )

    def _authorize(self, amount: PaymentAmount, card_token: str) -> Authorized | PaymentFailure:
        invalid = self._check_amount(amount)
        if invalid is not None:
            return invalid
        if card_token in DECLINING_TOKENS:
            return _failure(*DECLINING_TOKENS[card_token])
        if card_token.startswith(LIMIT_PREFIX):
            limit = card_token[len(LIMIT_PREFIX) :]
            if not limit.isdigit():
                return _failure(F.INVALID_CARD_TOKEN, "Unknown card token.")
            if amount.amount_minor > int(limit):
                return _failure(F.INSUFFICIENT_FUNDS, "The card has insufficient funds.")
        elif card_token not in APPROVING_TOKENS:
            return _failure(F.INVALID_CARD_TOKEN, "Unknown card token.")
        auth = _Authorization(f"auth_{uuid.uuid4().hex}", amount, self._clock())
        self._authorizations[auth.id] = auth
        return Authorized(auth.id, amount)

    async def authorization_for(self, idempotency_key: str) -> Authorized | None:
        seen = self._replies.get(("authorize", idempotency_key))
        return seen[1] if seen is not None and isinstance(seen[1], Authorized) else None

    async def capture(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Captured | PaymentFailure:
        return self._idempotent(
            "capture",
            idempotency_key,
            (authorization_id, amount),
            lambda: self._capture(authorization_id, amount),
        )

    def _capture(self, authorization_id: str, amount: PaymentAmount) -> Captured | PaymentFailure:
        invalid = self._check_amount(amount)
        if invalid is not None:
            return invalid
        auth = self._open(authorization_id, amount)
        if isinstance(auth, PaymentFailure):
            return auth
        if auth.voided:
            return _failure(F.ALREADY_VOIDED, "The authorization was voided.")
        if self._clock() - auth.created_at > self._ttl:
            return _failure(F.AUTHORIZATION_EXPIRED, "The authorization has expired.")
        if auth.captured_minor + amount.amount_minor > auth.amount.amount_minor:
            return _failure(F.AMOUNT_EXCEEDS_AUTHORIZED, "Capture exceeds the authorized amount.")
        auth.captured_minor += amount.amount_minor
        return Captured(f"cap_{uuid.uuid4().hex}", auth.id, amount, auth.captured_minor)

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        return self._idempotent(
            "void", idempotency_key, authorization_id, lambda: self._void(authorization_id)
        )

    def _void(self, authorization_id: str) -> Voided | PaymentFailure:
        auth = self._open(authorization_id, None)
        if isinstance(auth, PaymentFailure):
            return auth
        if auth.voided:
            return _failure(F.ALREADY_VOIDED, "The authorization was already voided.")
        if auth.captured_minor >= auth.amount.amount_minor:
            return _failure(F.FULLY_CAPTURED, "Nothing is left to void; refund instead.")
        auth.voided = True
        return Voided(auth.id, auth.amount.amount_minor - auth.captured_minor)

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure:
        return self._idempotent(
            "refund",
            idempotency_key,
            (authorization_id, amount),
            lambda: self._refund(authorization_id, amount),
        )

    def _refund(self, authorization_id: str, amount: PaymentAmount) -> Refunded | PaymentFailure:
        invalid = self._check_amount(amount)
        if invalid is not None:
            return invalid
        auth = self._open(authorization_id, amount)
        if isinstance(auth, PaymentFailure):
            return auth
        if auth.refunded_minor + amount.amount_minor > auth.captured_minor:
            return _failure(F.AMOUNT_EXCEEDS_CAPTURED, "Refund exceeds the captured amount.")
        auth.refunded_minor += amount.amount_minor
        return Refunded(f"ref_{uuid.uuid4().hex}", auth.id, amount, auth.refunded_minor)
