"""The built-in test payment provider: approves or declines by card token.

It stands in for an external payment service in dev and tests (like a PSP's
sandbox), so the declined and failing paths of checkout can be exercised. It
keeps authorizations in memory, per instance (unit tests; processes use
`postgres_provider`, the same rules with the state in Postgres), and applies the rules a real
service does (`provider_rules`, shared with the Postgres store): no capture above
the authorized amount, no refund above the captured amount, no capture after a
void or after expiry, and the same idempotency key with the same request returns
the first answer.

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

from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

from datasources.payments import provider_rules as rules
from datasources.payments.provider_rules import (
    APPROVING_TOKENS,
    AUTHORIZATION_TTL,
    DECLINING_TOKENS,
    LIMIT_PREFIX,
    TestAuthorization,
)
from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    Refunded,
    Voided,
)

R = TypeVar("R")

__all__ = [
    "APPROVING_TOKENS",
    "AUTHORIZATION_TTL",
    "DECLINING_TOKENS",
    "LIMIT_PREFIX",
    "TestPaymentProvider",
]


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
        self._authorizations: dict[str, TestAuthorization] = {}
        # (operation, idempotency key) -> (request fingerprint, first result)
        self._replies: dict[tuple[str, str], tuple[Hashable, object]] = {}

    def authorization(self, authorization_id: str) -> TestAuthorization | None:
        """Inspect an authorization (for tests and the dev console)."""
        return self._authorizations.get(authorization_id)

    def _idempotent(
        self, operation: str, key: str, request: Hashable, compute: Callable[[], R]
    ) -> R | PaymentFailure:
        seen = self._replies.get((operation, key))
        if seen is not None:
            if seen[0] != request:
                return rules.IDEMPOTENCY_CONFLICT
            return cast(R, seen[1])
        result = compute()
        if rules.remembered(result):
            self._replies[(operation, key)] = (request, result)
        return result

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
        auth = rules.authorize(amount, card_token, self._clock())
        if isinstance(auth, PaymentFailure):
            return auth
        self._authorizations[auth.id] = auth
        return rules.authorized(auth)

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
            lambda: rules.capture(
                self._authorizations.get(authorization_id), amount, self._clock(), self._ttl
            ),
        )

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        return self._idempotent(
            "void",
            idempotency_key,
            authorization_id,
            lambda: rules.void(self._authorizations.get(authorization_id)),
        )

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure:
        return self._idempotent(
            "refund",
            idempotency_key,
            (authorization_id, amount),
            lambda: rules.refund(self._authorizations.get(authorization_id), amount),
        )
