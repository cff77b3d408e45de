"""The authorization sweeper: voids authorizations whose order never committed.

A checkout authorizes before the transaction that places its order; if the
process dies in between (or the void after a failed placement fails), the
attempt stays PENDING/AUTHORIZED without an order. Past a grace period (longer
than any checkout takes) this voids it (`domain.order.payment_records.void_unplaced`).
Runs next to the missed-pickup sweeper; an advisory lock lets one instance sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from datasources.postgres.payment_repository import PostgresPaymentRepository
from datasources.postgres.pool import holds_session_state
from datasources.postgres.sweeper import PeriodicSweeper
from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError
from domain.order.payment_records import AttemptState, void_unplaced
from domain.order.payments import PaymentGateway

log = logging.getLogger("ucg.sweeper")

AUTHORIZATION_SWEEPER_LOCK_KEY = 0x0C6_0713


class AuthorizationSweeper(PeriodicSweeper):
    what = "voided authorizations without an order"

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        gateway: PaymentGateway,
        *,
        interval_seconds: float = 60.0,
        grace_seconds: float = 120.0,
        batch: int = 100,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(interval_seconds)
        self._pool = pool
        self._gateway = gateway
        self._clock = clock or (lambda: datetime.now(UTC))
        self._grace = timedelta(seconds=grace_seconds)
        self._batch = batch

    async def sweep_once(self, now: datetime | None = None) -> int:
        """Void the orphans older than the grace period at `now`; the number voided."""
        moment = now or self._clock()
        holds_session_state()
        async with self._pool.acquire() as lock_conn:
            if not await lock_conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", AUTHORIZATION_SWEEPER_LOCK_KEY
            ):
                return 0
            try:
                keys = await PostgresPaymentRepository(lock_conn).orphan_attempts(  # type: ignore[arg-type]
                    moment - self._grace, self._batch
                )
                voided = 0
                for key in keys:
                    if await self._void(key) is AttemptState.VOIDED:
                        voided += 1
                return voided
            finally:
                await lock_conn.execute(
                    "SELECT pg_advisory_unlock($1)", AUTHORIZATION_SWEEPER_LOCK_KEY
                )

    async def _void(self, key: str) -> AttemptState | None:
        try:
            async with UnitOfWork(self._pool) as uow:
                return await void_unplaced(uow, self._gateway, key)
        except DomainError:
            log.warning("authorization not voided; retried next sweep", extra={"key": key})
        except Exception:
            log.exception("authorization void failed", extra={"key": key})
        return None
