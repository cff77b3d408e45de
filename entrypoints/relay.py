"""The outbox relay: alone (`ucg relay`, with its `/metrics` on UCG_RELAY_METRICS_PORT),
or inside `ucg serve` unless UCG_RELAY_ENABLED=false (`EmbeddedRelay`; only one relay per
database publishes at a time, the others stand by).

The relay publishes over its own dedicated connection and producer (it holds the
advisory lock on that connection and replaces the producer after a failed send,
datasources/kafka/relay.py); the process's `Services` (one connection, no producer)
serves the outbox gauges read at scrape time."""

from __future__ import annotations

import asyncio
import contextlib

from api.bootstrap import Services
from api.metrics import refresh_outbox, start_metrics_server
from api.settings import Settings
from datasources.kafka.relay import OutboxRelay


async def relay_forever(settings: Settings) -> None:
    """Publish the outbox until cancelled."""
    services = Services(settings, pool_min=1, pool_max=1, with_producer=False)
    await services.start()
    server = await start_metrics_server(
        settings, settings.relay_metrics_port, lambda: refresh_outbox(services.pool)
    )
    try:
        await OutboxRelay(settings).run()
    finally:
        if server is not None:
            server.close()
        await services.close()


class EmbeddedRelay:
    """The relay of a `ucg serve` process, started after the event hub is positioned."""

    def __init__(self, settings: Settings) -> None:
        self.relay = OutboxRelay(settings) if settings.relay_enabled else None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.relay is not None:
            self._task = asyncio.create_task(self.relay.run(), name="ucg-outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
