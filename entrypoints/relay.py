"""`ucg relay`: the outbox relay alone, with its `/metrics` on UCG_RELAY_METRICS_PORT.

The relay publishes over its own dedicated connection and producer (it holds the
advisory lock on that connection and replaces the producer after a failed send,
datasources/kafka/relay.py); the process's `Services` (one connection, no producer)
serves the outbox gauges read at scrape time."""

from __future__ import annotations

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
