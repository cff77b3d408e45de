"""The payment port: what checkout and fulfillment need from a payment provider."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class PaymentStatus(StrEnum):
    AUTHORIZED = "AUTHORIZED"
    DECLINED = "DECLINED"
    CAPTURED = "CAPTURED"
    VOIDED = "VOIDED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


@dataclass(frozen=True)
class PaymentResult:
    """A provider's answer. `reference` names the authorization in later calls."""

    status: PaymentStatus
    reference: str
    amount_minor: int
    currency_code: str
    decline_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not PaymentStatus.DECLINED


class PaymentProvider(Protocol):
    """Every call is idempotent by `idempotency_key`: a retry returns the first answer."""

    async def authorize(
        self, token: str, amount_minor: int, currency_code: str, idempotency_key: str
    ) -> PaymentResult: ...

    async def capture(
        self, reference: str, amount_minor: int, idempotency_key: str
    ) -> PaymentResult: ...

    async def void(self, reference: str, idempotency_key: str) -> PaymentResult: ...

    async def refund(
        self, reference: str, amount_minor: int, idempotency_key: str
    ) -> PaymentResult: ...
