"""The reservation sweeper: an in-process task; an advisory lock lets one instance sweep."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from datasources.metrics import SWEEPER_RUNS, SWEPT_ITEMS
from datasources.postgres.uow import UnitOfWork
from domain.inventory.services import release_expired_reservations

log = logging.getLogger("ucg.sweeper")


class PeriodicSweeper:
    """Runs `sweep_once` every `interval` seconds until stopped; a database fault is
    logged and retried at the next tick, never fatal."""

    what = "swept"  # for the log line: "<what> <count>"
    metric_name = "sweeper"  # the `sweeper` label of ucg_sweeper_runs_total

    def __init__(self, interval_seconds: float) -> None:
        self._interval = interval_seconds
        self._stopped = asyncio.Event()

    async def sweep_once(self) -> int:
        raise NotImplementedError

    async def run(self) -> None:
        while not self._stopped.is_set():
            try:
                count = await self.sweep_once()
                SWEEPER_RUNS.labels(self.metric_name, "ok").inc()
                SWEPT_ITEMS.labels(self.metric_name).inc(count)
                if count:
                    log.info(self.what, extra={"count": count})
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                SWEEPER_RUNS.labels(self.metric_name, "failed").inc()
                log.warning("%s: sweep failed; retrying", self.what, exc_info=True)
            try:
                await asyncio.wait_for(self._stopped.wait(), self._interval)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopped.set()


class ReservationSweeper(PeriodicSweeper):
    what = "released expired reservations"
    metric_name = "reservations"

    def __init__(self, pool: asyncpg.Pool[Any], *, interval_seconds: float = 5.0) -> None:
        super().__init__(interval_seconds)
        self._pool = pool

    async def sweep_once(self) -> int:
        async with UnitOfWork(self._pool) as uow:
            return await release_expired_reservations(uow)
