"""Bound every call to a payment service: a slow or failed call becomes a typed failure.

A call that does not answer within the timeout is PROVIDER_TIMEOUT, one whose
connection fails is PROVIDER_UNAVAILABLE; both are `PaymentFailure` values with
an unknown outcome (`outcome_unknown`), so the use-case records the attempt as
undecided and the authorization sweeper finds out later with the same key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    PaymentFailureCode,
    PaymentGateway,
    Refunded,
    Voided,
)

log = logging.getLogger("ucg.payments")
R = TypeVar("R")

# What a lost connection raises from an HTTP client or a database driver.
CONNECTION_ERRORS = (OSError, ConnectionError)


class TimeLimitedGateway:
    """Wraps a `PaymentGateway`; same port, every call bounded by `timeout_seconds`."""

    def __init__(self, inner: PaymentGateway, timeout_seconds: float) -> None:
        self._inner = inner
        self._timeout = timeout_seconds

    @property
    def inner(self) -> PaymentGateway:
        return self._inner

    async def _bounded(self, operation: str, call: Awaitable[R]) -> R | PaymentFailure:
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except TimeoutError:
            log.warning("payment %s timed out after %ss", operation, self._timeout)
            return PaymentFailure(
                PaymentFailureCode.PROVIDER_TIMEOUT,
                f"The payment service did not answer within {self._timeout:g}s.",
            )
        except CONNECTION_ERRORS:
            log.warning("payment %s: service unreachable", operation, exc_info=True)
            return PaymentFailure(
                PaymentFailureCode.PROVIDER_UNAVAILABLE, "The payment service is unreachable."
            )

    async def authorize(
        self, amount: PaymentAmount, card_token: str, idempotency_key: str
    ) -> Authorized | PaymentFailure:
        return await self._bounded(
            "authorize", self._inner.authorize(amount, card_token, idempotency_key)
        )

    async def capture(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Captured | PaymentFailure:
        return await self._bounded(
            "capture", self._inner.capture(authorization_id, amount, idempotency_key)
        )

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        return await self._bounded("void", self._inner.void(authorization_id, idempotency_key))

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure:
        return await self._bounded(
            "refund", self._inner.refund(authorization_id, amount, idempotency_key)
        )

    async def authorization_for(self, idempotency_key: str) -> Authorized | None:
        async with asyncio.timeout(self._timeout):
            return await self._inner.authorization_for(idempotency_key)
