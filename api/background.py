"""Long-running tasks of a process: inbound Kafka consumers and the reservation and
missed-pickup sweepers.

`ucg consume` runs the consumers alone; `ucg serve` runs the sweepers, and the
consumers too when UCG_CONSUMERS_ENABLED is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Collection
from datetime import timedelta
from typing import Any

import asyncpg
import redis.asyncio as redis

from api.gc_pauses import GcFreezer
from api.settings import Settings, payment_gateway
from datasources.kafka import topics
from datasources.kafka.adjustments import adjustments_consumer
from datasources.kafka.client import ensure_topics
from datasources.kafka.co_purchases import co_purchases_consumer
from datasources.kafka.consumer import Inbound, InboundConsumer
from datasources.kafka.fulfillment_updates import fulfillment_updates_consumer
from datasources.kafka.interactions import interactions_consumer
from datasources.postgres.authorization_sweeper import AuthorizationSweeper
from datasources.postgres.interactions import InteractionRetentionSweeper
from datasources.postgres.pickup_sweeper import PickupSweeper
from datasources.postgres.sweeper import ReservationSweeper
from datasources.redis.cache import ReadThroughCache
from domain.order.payments import PaymentGateway
from resolvers.inventory.cache import AVAILABILITY

log = logging.getLogger("ucg.background")


# `ucg consume --topics ...`: short name -> inbound topic.
CONSUMER_TOPICS = {
    "inventory": topics.INVENTORY_ADJUSTMENTS,
    "fulfillment": topics.FULFILLMENT_UPDATES,
    "interactions": topics.INTERACTIONS,
    "co-purchases": topics.ORDERS,
}


def build_consumers(
    settings: Settings,
    pool: asyncpg.Pool[Any],
    cache_client: redis.Redis,
    only: Collection[str] | None = None,
    payments: PaymentGateway | None = None,
) -> list[InboundConsumer]:
    """One consumer per inbound topic; `only` (CONSUMER_TOPICS keys) picks some."""
    assert settings.kafka_bootstrap_servers
    cache = ReadThroughCache(cache_client, settings.cache_key_prefix, settings.cache_ttl_seconds)
    wanted = set(CONSUMER_TOPICS) if only is None else set(only)

    async def invalidate(inbound: Inbound) -> None:
        await cache.invalidate(AVAILABILITY, [inbound.payload.sku])

    common: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "topic_prefix": settings.kafka_topic_prefix,
        "session_timeout_ms": settings.kafka_consumer_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_consumer_heartbeat_interval_ms,
    }
    consumers = []
    if "inventory" in wanted:
        consumers.append(adjustments_consumer(pool, after_commit=invalidate, **common))
    if "fulfillment" in wanted:
        gateway = payments if payments is not None else payment_gateway(settings, pool)
        consumers.append(fulfillment_updates_consumer(pool, gateway, **common))
    if "interactions" in wanted:
        retention = timedelta(days=settings.interaction_retention_days)
        consumers.append(interactions_consumer(pool, retention=retention, **common))
    if "co-purchases" in wanted:
        consumers.append(co_purchases_consumer(pool, **common))
    return consumers


class BackgroundTasks:
    """Started and stopped by the app lifespan."""

    def __init__(self) -> None:
        self._stoppers: list[Any] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def start(
        self,
        settings: Settings,
        pool: asyncpg.Pool[Any],
        cache_client: redis.Redis,
        payments: PaymentGateway,
    ) -> None:
        if settings.reservation_sweeper_enabled:
            sweeper = ReservationSweeper(
                pool, interval_seconds=settings.reservation_sweep_interval_seconds
            )
            self._spawn(sweeper.run(), sweeper.stop)
            pickups = PickupSweeper(
                pool, payments, interval_seconds=settings.pickup_sweep_interval_seconds
            )
            self._spawn(pickups.run(), pickups.stop)
            # Authorizations whose order never committed (a crash between authorize and
            # commit): voided on the same schedule as missed pickups.
            orphans = AuthorizationSweeper(
                pool,
                payments,
                interval_seconds=settings.pickup_sweep_interval_seconds,
                grace_seconds=2 * settings.payment_timeout_seconds + 60,
            )
            self._spawn(orphans.run(), orphans.stop)
            if settings.interaction_sweep_interval_seconds > 0:
                expired = InteractionRetentionSweeper(
                    pool,
                    timedelta(days=settings.interaction_retention_days),
                    settings.interaction_sweep_interval_seconds,
                )
                self._spawn(expired.run(), expired.stop)
        if settings.gc_freeze_seconds > 0:
            freezer = GcFreezer(settings.gc_freeze_seconds, settings.gc_full_collect_seconds)
            self._spawn(freezer.run(), freezer.stop)
        if settings.consumers_enabled:
            for consumer in build_consumers(settings, pool, cache_client, payments=payments):
                self._spawn(_supervised(consumer), consumer.stop)

    def _spawn(self, coroutine: Any, stop: Any) -> None:
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


async def _supervised(consumer: InboundConsumer) -> None:
    """Restart a consumer whose broker connection failed, with backoff."""
    delay = 0.5
    while True:
        try:
            await consumer.run()
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the broker may be briefly away
            log.warning("consumer stopped with an error; restarting", exc_info=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)


async def consume_forever(settings: Settings, only: Collection[str] | None = None) -> None:
    """`ucg consume`: the inbound consumers (all, or `only` these) until SIGTERM/SIGINT."""
    from datasources.postgres.pool import create_pool
    from datasources.redis.client import create_redis

    assert settings.database_url and settings.redis_url and settings.kafka_bootstrap_servers
    await ensure_topics(settings.kafka_bootstrap_servers, [settings.topic(t) for t in topics.ALL])
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    cache_client = create_redis(settings.redis_url)
    consumers = build_consumers(settings, pool, cache_client, only)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: [c.stop() for c in consumers])
    try:
        await asyncio.gather(*(_supervised(c) for c in consumers))
    finally:
        await cache_client.aclose()
        await pool.close()
