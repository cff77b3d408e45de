"""The payment port: what checkout and after-sale need from a payment service.

Amounts are integer minor units with their ISO 4217 currency. Every call
takes an idempotency key: a retry with the same key and the same request
gets the first answer, never a second charge. Expected failures (a declined
card, capturing more than was authorized) are values (`PaymentFailure`), not
exceptions; an adapter raises only for bugs and lost connections.

Idempotency keys: use-cases name their calls with our keys ("checkout:<key>",
"capture:<payment id>"); the key sent to the provider is `provider_key(ours)`,
a fixed-length digest, so it fits any provider's limit and a retry sends the same.

Lifecycle of one authorization: authorize -> capture (one or more partial
captures, e.g. one per shipment, in total at most the authorized amount) ->
refund (in total at most the captured amount). `void` releases the part not
yet captured; after it nothing more can be captured.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from domain.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class PaymentAmount:
    amount_minor: int
    currency_code: str


class PaymentFailureCode(StrEnum):
    # Declines: the buyer should use another card.
    CARD_DECLINED = "CARD_DECLINED"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    EXPIRED_CARD = "EXPIRED_CARD"
    INCORRECT_CVC = "INCORRECT_CVC"
    FRAUD_SUSPECTED = "FRAUD_SUSPECTED"
    INVALID_CARD_TOKEN = "INVALID_CARD_TOKEN"
    # Transient: the same call may succeed when retried with the same key.
    PROCESSING_ERROR = "PROCESSING_ERROR"
    # The service did not answer in time / could not be reached: the outcome is unknown
    # (an authorization may exist); the same call with the same key tells.
    PROVIDER_TIMEOUT = "PROVIDER_TIMEOUT"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    # The request does not fit the authorization's state.
    INVALID_AMOUNT = "INVALID_AMOUNT"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    UNKNOWN_AUTHORIZATION = "UNKNOWN_AUTHORIZATION"
    AUTHORIZATION_EXPIRED = "AUTHORIZATION_EXPIRED"
    AMOUNT_EXCEEDS_AUTHORIZED = "AMOUNT_EXCEEDS_AUTHORIZED"
    AMOUNT_EXCEEDS_CAPTURED = "AMOUNT_EXCEEDS_CAPTURED"
    ALREADY_VOIDED = "ALREADY_VOIDED"
    FULLY_CAPTURED = "FULLY_CAPTURED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


DECLINES = frozenset(
    {
        PaymentFailureCode.CARD_DECLINED,
        PaymentFailureCode.INSUFFICIENT_FUNDS,
        PaymentFailureCode.EXPIRED_CARD,
        PaymentFailureCode.INCORRECT_CVC,
        PaymentFailureCode.FRAUD_SUSPECTED,
        PaymentFailureCode.INVALID_CARD_TOKEN,
    }
)


UNKNOWN_OUTCOME = frozenset(
    {PaymentFailureCode.PROVIDER_TIMEOUT, PaymentFailureCode.PROVIDER_UNAVAILABLE}
)
TRANSIENT = UNKNOWN_OUTCOME | {PaymentFailureCode.PROCESSING_ERROR}


def provider_key(ours: str) -> str:
    """The idempotency key sent to the provider for our key `ours` (stable, 36 chars)."""
    return "ucg_" + hashlib.sha256(ours.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PaymentFailure:
    code: PaymentFailureCode
    message: str

    @property
    def is_decline(self) -> bool:
        return self.code in DECLINES

    @property
    def retryable(self) -> bool:
        return self.code in TRANSIENT

    @property
    def outcome_unknown(self) -> bool:
        """The call may have taken effect at the provider (timeout, lost connection)."""
        return self.code in UNKNOWN_OUTCOME

    def to_domain_error(self, field: list[str] | None = None) -> DomainError:
        code = ErrorCode.PAYMENT_DECLINED if self.is_decline else ErrorCode.PAYMENT_FAILED
        return DomainError(code, f"{self.message} ({self.code})", field)


@dataclass(frozen=True)
class Authorized:
    authorization_id: str
    amount: PaymentAmount


@dataclass(frozen=True)
class Captured:
    capture_id: str
    authorization_id: str
    amount: PaymentAmount
    captured_total_minor: int  # all captures of the authorization so far


@dataclass(frozen=True)
class Voided:
    authorization_id: str
    released_minor: int  # the uncaptured amount given back to the card


@dataclass(frozen=True)
class Refunded:
    refund_id: str
    authorization_id: str
    amount: PaymentAmount
    refunded_total_minor: int


class PaymentGateway(Protocol):
    """A payment service. Adapters: `datasources.payments.postgres_provider` (dev/tests,
    state in Postgres), `datasources.payments.test_provider` (in memory, unit tests);
    `datasources.payments.timeouts` bounds any of them. docs/PAYMENTS.md: how a real
    PSP adapter plugs in."""

    async def authorize(
        self, amount: PaymentAmount, card_token: str, idempotency_key: str
    ) -> Authorized | PaymentFailure: ...

    async def capture(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Captured | PaymentFailure: ...

    async def void(
        self, authorization_id: str, idempotency_key: str
    ) -> Voided | PaymentFailure: ...

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure: ...

    async def authorization_for(self, idempotency_key: str) -> Authorized | None:
        """What an authorize call with this key did, if it authorized (after a timeout:
        the sweeper's way to find an authorization whose answer was lost)."""
        ...
