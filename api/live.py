"""Background work of an API process: the outbox relay and the event hub (live subscriptions).

Started in the app lifespan after the resources are open. The relay runs
unless `UCG_RELAY_ENABLED=false` (only one relay per database publishes at a
time; the others stand by). The hub is ready (positioned at the end of every
outbound topic) before the app takes requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from api.resources import Resources
from api.settings import Settings
from datasources.events.cloudevents import CloudEvent
from datasources.events.invalidation import Invalidator
from datasources.kafka.fanout import EventHub
from datasources.kafka.relay import OutboxRelay
from datasources.redis.cache import ReadThroughCache
from domain.inventory.services import STOCK_CHANGED
from resolvers.inventory.cache import AVAILABILITY

log = logging.getLogger("ucg.live")


def availability_invalidator(settings: Settings) -> Invalidator:
    """Drop `availability:<sku>` for every stock change, whichever process or path made it
    (checkout, cancel and return restocks, reservation expiry, inbound adjustments)."""
    cache_prefix, ttl = settings.cache_key_prefix, settings.cache_ttl_seconds

    async def drop(event: CloudEvent, redis: Any) -> None:
        await ReadThroughCache(redis, cache_prefix, ttl).invalidate(
            AVAILABILITY, [str(event.data["sku"])]
        )

    return drop


class LiveServices:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.hub: EventHub | None = None
        self.relay: OutboxRelay | None = None
        self._relay_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings = self.resources.settings
        self.hub = EventHub(
            settings, self.resources.redis, {STOCK_CHANGED: [availability_invalidator(settings)]}
        )
        await self.hub.start()
        self.resources.event_hub = self.hub
        if settings.relay_enabled:
            self.relay = OutboxRelay(settings)
            self._relay_task = asyncio.create_task(self.relay.run(), name="ucg-outbox-relay")

    async def stop(self) -> None:
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
            self._relay_task = None
        if self.hub is not None:
            self.resources.event_hub = None
            await self.hub.stop()
            self.hub = None
