"""The reservation sweeper: an in-process task; an advisory lock lets one instance sweep."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from datasources.postgres.uow import UnitOfWork
from domain.inventory.services import release_expired_reservations

log = logging.getLogger("ucg.sweeper")


class ReservationSweeper:
    def __init__(self, pool: asyncpg.Pool[Any], *, interval_seconds: float = 5.0) -> None:
        self._pool = pool
        self._interval = interval_seconds
        self._stopped = asyncio.Event()

    async def sweep_once(self) -> int:
        async with UnitOfWork(self._pool) as uow:
            return await release_expired_reservations(uow)

    async def run(self) -> None:
        while not self._stopped.is_set():
            try:
                released = await self.sweep_once()
                if released:
                    log.info("released expired reservations", extra={"count": released})
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("reservation sweep failed; retrying", exc_info=True)
            try:
                await asyncio.wait_for(self._stopped.wait(), self._interval)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopped.set()
