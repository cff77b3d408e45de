"""Build the payment gateway a process uses, from its settings (no process-global one).

Each process builds it once, in its composition root (api/bootstrap.py `Services`), and
hands the same one to every request's context, the consumers and the sweepers
(entrypoints/consumers.py, entrypoints/background.py). Today the only provider is `test` (datasources/payments/
postgres_provider.py); a real PSP adapter is one more branch here (docs/PAYMENTS.md).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from datasources.payments.postgres_provider import PostgresTestProvider
from datasources.payments.timeouts import TimeLimitedGateway
from domain.order.payments import PaymentGateway

PROVIDERS = ("test",)


def build_payment_gateway(
    pool: asyncpg.Pool[Any],
    *,
    provider: str = "test",
    timeout_seconds: float = 10.0,
    test_latency_seconds: float = 0.0,
) -> TimeLimitedGateway:
    if provider != "test":
        raise ValueError(f"unknown payment provider {provider!r}; known: {', '.join(PROVIDERS)}")
    inner: PaymentGateway = PostgresTestProvider(pool, latency_seconds=test_latency_seconds)
    return TimeLimitedGateway(inner, timeout_seconds)
