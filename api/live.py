"""The event hub of an API process (live subscriptions), started in the app lifespan on
the process's services (api/bootstrap.py), ready (positioned at the end of every outbound
topic) before the app takes requests and before the embedded outbox relay starts
(entrypoints/relay.py).
"""

from __future__ import annotations

import logging
from typing import Any

from api.bootstrap import Services
from datasources.events.cloudevents import CloudEvent
from datasources.events.invalidation import Invalidator
from datasources.kafka.fanout import EventHub
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

    async def start(self) -> None:
        settings = self.services.settings
        self.hub = EventHub(
            settings,
            self.services.redis,
            {STOCK_CHANGED: [availability_invalidator(self.services.cache)]},
        )
        await self.hub.start()
        self.services.event_hub = self.hub

    async def stop(self) -> None:
        if self.hub is not None:
            self.services.event_hub = None
            await self.hub.stop()
            self.hub = None
