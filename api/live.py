"""Background work of an API process: the outbox relay and the event hub (live subscriptions).

Started in the app lifespan after the services (api/bootstrap.py) are started. The relay runs
unless `UCG_RELAY_ENABLED=false` (only one relay per database publishes at a
time; the others stand by). The hub is ready (positioned at the end of every
outbound topic) before the app takes requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from api.bootstrap import Services
from datasources.events.cloudevents import CloudEvent
from datasources.events.invalidation import Invalidator
from datasources.kafka.fanout import EventHub
from datasources.kafka.relay import OutboxRelay
from datasources.redis.cache import ReadThroughCache
from domain.inventory.services import STOCK_CHANGED
from resolvers.inventory.cache import AVAILABILITY

log = logging.getLogger("ucg.live")


def availability_invalidator(cache: ReadThroughCache) -> Invalidator:
    """Drop `availability:<sku>` for every stock change, whichever process or path made it
    (checkout, cancel and return restocks, reservation expiry, inbound adjustments)."""

    async def drop(event: CloudEvent, _redis: Any) -> None:
        await cache.invalidate(AVAILABILITY, [str(event.data["sku"])])

    return drop


class LiveServices:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.hub: EventHub | None = None
        self.relay: OutboxRelay | None = None
        self._relay_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings = self.services.settings
        self.hub = EventHub(
            settings,
            self.services.redis,
            {STOCK_CHANGED: [availability_invalidator(self.services.cache)]},
        )
        await self.hub.start()
        self.services.event_hub = self.hub
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
            self.services.event_hub = None
            await self.hub.stop()
            self.hub = None
