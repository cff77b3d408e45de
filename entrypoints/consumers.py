"""The inbound Kafka consumers: `ucg consume`, and inside `ucg serve` when
UCG_CONSUMERS_ENABLED is set (entrypoints/background.py). Each consumer gets the pool,
the payment gateway, the availability cache and (for dead letters) the producer of the
process's `Services`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from api.bootstrap import Services
from api.settings import Settings
from datasources.kafka import topics
from datasources.kafka.adjustments import adjustments_consumer
from datasources.kafka.co_purchases import co_purchases_consumer
from datasources.kafka.consumer import Inbound, InboundConsumer
from datasources.kafka.fulfillment_updates import fulfillment_updates_consumer
from datasources.kafka.interactions import interactions_consumer
from resolvers.inventory.cache import AVAILABILITY

log = logging.getLogger("ucg.consumers")

# `ucg consume --topics ...`: short name -> inbound topic.
CONSUMER_TOPICS = {
    "inventory": topics.INVENTORY_ADJUSTMENTS,
    "fulfillment": topics.FULFILLMENT_UPDATES,
    "interactions": topics.INTERACTIONS,
    "co-purchases": topics.ORDERS,
}


def build_consumers(
    services: Services, only: Collection[str] | None = None
) -> list[InboundConsumer]:
    """One consumer per inbound topic; `only` (CONSUMER_TOPICS keys) picks some."""
    settings = services.settings
    assert settings.kafka_bootstrap_servers
    cache = services.cache
    wanted = set(CONSUMER_TOPICS) if only is None else set(only)

    async def invalidate(inbound: Inbound) -> None:
        await cache.invalidate(AVAILABILITY, [inbound.payload.sku])

    common: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "topic_prefix": settings.kafka_topic_prefix,
        "session_timeout_ms": settings.kafka_consumer_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_consumer_heartbeat_interval_ms,
        "max_poll_records": settings.kafka_consumer_max_poll_records,
        "producer": services.producer,
    }
    consumers = []
    if "inventory" in wanted:
        consumers.append(adjustments_consumer(services.pool, after_commit=invalidate, **common))
    if "fulfillment" in wanted:
        consumers.append(fulfillment_updates_consumer(services.pool, services.payments, **common))
    if "interactions" in wanted:
        retention = timedelta(days=settings.interaction_retention_days)
        consumers.append(interactions_consumer(services.pool, retention=retention, **common))
    if "co-purchases" in wanted:
        consumers.append(co_purchases_consumer(services.pool, **common))
    return consumers


async def supervised(consumer: InboundConsumer) -> None:
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
    services = Services(settings, pool_min=1, pool_max=4)
    await services.start()
    consumers = build_consumers(services, only)

    def stop_all() -> None:
        for consumer in consumers:
            consumer.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop_all)
    try:
        await asyncio.gather(*(supervised(c) for c in consumers))
    finally:
        await services.close()
