"""The built-in test payment provider: deterministic answers by card token.

Tokens: `tok_visa` and `tok_mastercard` approve; `tok_declined` declines
(`card_declined`); `tok_insufficient_funds` declines (`insufficient_funds`);
any other token declines (`unknown_token`). It keeps its state in memory, as a
sandbox of an outside payment service would; orders record every result in
Postgres, which stays the system of record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.errors import DomainError, ErrorCode
from domain.order.payments import PaymentResult, PaymentStatus

APPROVING = frozenset({"tok_visa", "tok_mastercard"})
DECLINES = {"tok_declined": "card_declined", "tok_insufficient_funds": "insufficient_funds"}


@dataclass
class _Authorization:
    amount_minor: int
    currency_code: str
    captured_minor: int = 0
    refunded_minor: int = 0
    voided: bool = False


class TestPaymentProvider:
    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self._authorizations: dict[str, _Authorization] = {}
        self._answers: dict[str, PaymentResult] = {}

    def _remember(self, key: str, result: PaymentResult) -> PaymentResult:
        self._answers[key] = result
        return result

    def _get(self, reference: str) -> _Authorization:
        auth = self._authorizations.get(reference)
        if auth is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"Payment {reference} does not exist.")
        return auth

    async def authorize(
        self, token: str, amount_minor: int, currency_code: str, idempotency_key: str
    ) -> PaymentResult:
        if idempotency_key in self._answers:
            return self._answers[idempotency_key]
        if amount_minor <= 0:
            raise DomainError(ErrorCode.INVALID, "Amount must be positive.", ["amount"])
        reference = f"pay_{uuid.uuid4().hex}"
        if token not in APPROVING:
            reason = DECLINES.get(token, "unknown_token")
            declined = PaymentResult(
                PaymentStatus.DECLINED, reference, amount_minor, currency_code, reason
            )
            return self._remember(idempotency_key, declined)
        self._authorizations[reference] = _Authorization(amount_minor, currency_code)
        approved = PaymentResult(PaymentStatus.AUTHORIZED, reference, amount_minor, currency_code)
        return self._remember(idempotency_key, approved)

    async def capture(
        self, reference: str, amount_minor: int, idempotency_key: str
    ) -> PaymentResult:
        if idempotency_key in self._answers:
            return self._answers[idempotency_key]
        auth = self._get(reference)
        if auth.voided or auth.captured_minor + amount_minor > auth.amount_minor:
            raise DomainError(
                ErrorCode.INVALID, "Cannot capture more than was authorized.", ["amount"]
            )
        auth.captured_minor += amount_minor
        result = PaymentResult(PaymentStatus.CAPTURED, reference, amount_minor, auth.currency_code)
        return self._remember(idempotency_key, result)

    async def void(self, reference: str, idempotency_key: str) -> PaymentResult:
        if idempotency_key in self._answers:
            return self._answers[idempotency_key]
        auth = self._get(reference)
        if auth.captured_minor:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, "A captured payment is refunded, not voided."
            )
        auth.voided = True
        result = PaymentResult(PaymentStatus.VOIDED, reference, 0, auth.currency_code)
        return self._remember(idempotency_key, result)

    async def refund(
        self, reference: str, amount_minor: int, idempotency_key: str
    ) -> PaymentResult:
        if idempotency_key in self._answers:
            return self._answers[idempotency_key]
        auth = self._get(reference)
        if amount_minor <= 0 or auth.refunded_minor + amount_minor > auth.captured_minor:
            raise DomainError(
                ErrorCode.INVALID, "Cannot refund more than was captured.", ["amount"]
            )
        auth.refunded_minor += amount_minor
        status = (
            PaymentStatus.REFUNDED
            if auth.refunded_minor == auth.captured_minor
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        result = PaymentResult(status, reference, amount_minor, auth.currency_code)
        return self._remember(idempotency_key, result)
