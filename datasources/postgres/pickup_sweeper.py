"""The missed-pickup sweeper: cancels and restocks ready pickups past their deadline.

An in-process task of `ucg serve`, like the reservation sweeper. A session
advisory lock on one pooled connection makes one instance sweep at a time;
each fulfillment is then cancelled in its own transaction (a payment failure
on one order does not undo the others), re-checked under its order's lock, so
a pickup collected meanwhile is left alone. One that fails (any exception) is
logged and skipped for the rest of the sweep, so it never blocks the others:
the sweep pages on past every id it already tried.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from datasources.postgres.aftersale_repository import PostgresAfterSaleRepository
from datasources.postgres.pool import holds_session_state
from datasources.postgres.sweeper import PeriodicSweeper
from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError
from domain.order.cancel_service import cancel_missed_pickup
from domain.order.payments import PaymentGateway

log = logging.getLogger("ucg.pickup_sweeper")

PICKUP_SWEEPER_LOCK_KEY = 0x0C6_0709


class PickupSweeper(PeriodicSweeper):
    what = "cancelled missed pickups"
    metric_name = "pickups"

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        gateway: PaymentGateway,
        *,
        interval_seconds: float = 60.0,
        batch: int = 100,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(interval_seconds)
        self._pool = pool
        self._gateway = gateway
        self._clock = clock or (lambda: datetime.now(UTC))
        self._batch = batch

    async def sweep_once(self, now: datetime | None = None) -> int:
        """Cancel what is past its deadline at `now`; the number cancelled (0 when another
        instance holds the lock)."""
        moment = now or self._clock()
        holds_session_state()
        async with self._pool.acquire() as lock_conn:
            if not await lock_conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", PICKUP_SWEEPER_LOCK_KEY
            ):
                return 0
            try:
                repository = PostgresAfterSaleRepository(lock_conn)  # type: ignore[arg-type]
                tried: list[uuid.UUID] = []
                cancelled = 0
                while page := await repository.expired_pickups(moment, self._batch, tried):
                    tried += page
                    for fulfillment_id in page:
                        if await self._cancel(fulfillment_id, moment):
                            cancelled += 1
                return cancelled
            finally:
                await lock_conn.execute("SELECT pg_advisory_unlock($1)", PICKUP_SWEEPER_LOCK_KEY)

    async def _cancel(self, fulfillment_id: uuid.UUID, moment: datetime) -> bool:
        """Cancel one expired pickup in its own transaction; False if it failed (logged,
        retried next sweep) or no longer needed cancelling."""
        try:
            async with UnitOfWork(self._pool) as uow:
                return (
                    await cancel_missed_pickup(uow, self._gateway, fulfillment_id, moment)
                    is not None
                )
        except DomainError:
            # e.g. the payment service refused the void/refund: retried next sweep.
            log.warning(
                "missed pickup not cancelled",
                extra={"fulfillment_id": str(fulfillment_id)},
                exc_info=True,
            )
        except Exception:
            # Anything else (a database error on this order's rows, a bug) must not stop
            # the sweep of the other orders: logged, and this one is tried next sweep.
            log.exception(
                "missed pickup cancel failed", extra={"fulfillment_id": str(fulfillment_id)}
            )
        return False
