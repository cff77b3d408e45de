"""Long-running tasks inside `ucg serve`: the reservation, missed-pickup, orphaned
authorization and interaction-retention sweepers, the GC freezer, and the inbound
consumers when UCG_CONSUMERS_ENABLED is set. All of them run on the process's `Services`
(api/bootstrap.py): its one pool and its one payment gateway."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from api.bootstrap import Services
from api.gc_pauses import GcFreezer
from datasources.postgres.authorization_sweeper import AuthorizationSweeper
from datasources.postgres.interactions import InteractionRetentionSweeper
from datasources.postgres.pickup_sweeper import PickupSweeper
from datasources.postgres.segments import SegmentSweeper
from datasources.postgres.sweeper import ReservationSweeper
from entrypoints.consumers import build_consumers, supervised

log = logging.getLogger("ucg.background")


class BackgroundTasks:
    """Started and stopped by the app lifespan."""

    def __init__(self) -> None:
        self._stoppers: list[Callable[[], None]] = []
        self._tasks: list[asyncio.Task[None]] = []
        # What runs, for tests and logs: the sweepers and consumers started.
        self.workers: list[object] = []

    async def start(self, services: Services) -> None:
        settings, pool, payments = services.settings, services.pool, services.payments
        if settings.reservation_sweeper_enabled:
            sweeper = ReservationSweeper(
                pool, interval_seconds=settings.reservation_sweep_interval_seconds
            )
            self._spawn(sweeper, sweeper.run(), sweeper.stop)
            pickups = PickupSweeper(
                pool,
                payments,
                interval_seconds=settings.pickup_sweep_interval_seconds,
                clock=services.clock,
            )
            self._spawn(pickups, pickups.run(), pickups.stop)
            # Authorizations whose order never committed (a crash between authorize and
            # commit): voided on the same schedule as missed pickups.
            orphans = AuthorizationSweeper(
                pool,
                payments,
                interval_seconds=settings.pickup_sweep_interval_seconds,
                grace_seconds=2 * settings.payment_timeout_seconds + 60,
                clock=services.clock,
            )
            self._spawn(orphans, orphans.run(), orphans.stop)
            if settings.interaction_sweep_interval_seconds > 0:
                expired = InteractionRetentionSweeper(
                    pool,
                    timedelta(days=settings.interaction_retention_days),
                    settings.interaction_sweep_interval_seconds,
                )
                self._spawn(expired, expired.run(), expired.stop)
            if settings.segment_sweep_interval_seconds > 0:
                segments = SegmentSweeper(pool, settings.segment_sweep_interval_seconds)
                self._spawn(segments, segments.run(), segments.stop)
        if settings.gc_freeze_seconds > 0:
            freezer = GcFreezer(settings.gc_freeze_seconds, settings.gc_full_collect_seconds)
            self._spawn(freezer, freezer.run(), freezer.stop)
        if settings.consumers_enabled:
            for consumer in build_consumers(services):
                self._spawn(consumer, supervised(consumer), consumer.stop)

    def _spawn(
        self, worker: object, coroutine: Coroutine[Any, Any, None], stop: Callable[[], None]
    ) -> None:
        self.workers.append(worker)
        self._tasks.append(asyncio.create_task(coroutine))
        self._stoppers.append(stop)

    async def stop(self) -> None:
        for stop in self._stoppers:
            stop()
        for task in self._tasks:
            try:
                await asyncio.wait_for(task, 10)
            except (TimeoutError, asyncio.CancelledError):
                pass
            except Exception:  # noqa: BLE001 - stop the rest even if one failed
                log.exception("background task failed")
