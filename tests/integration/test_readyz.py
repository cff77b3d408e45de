"""/readyz names the server that is down, and recovers when it returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from api.app import create_app
from datasources.embedded import EmbeddedServers
from tests.conftest import TestEnv


async def _readyz(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/readyz")


async def test_readyz_follows_redis(env: TestEnv, tmp_path: Path) -> None:
    # A Redis of this test's own, so stopping it disturbs nobody else.
    own = EmbeddedServers(
        tmp_path,
        database_url=env.database_url,
        kafka_bootstrap_servers=env.servers.kafka_bootstrap_servers,
    )
    with own:
        urls = own.start()
        app = create_app(env.settings(redis_url=urls.redis_url))
        await app.state.services.start()
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                ready = await _readyz(client)
                assert ready.status_code == 200
                assert ready.json()["checks"] == {"postgres": True, "redis": True, "kafka": True}

                own.stop_redis()
                down = await _readyz(client)
                assert down.status_code == 503
                assert down.json()["down"] == ["redis"]
                assert (await client.get("/healthz")).status_code == 200

                own.start_redis()
                async with asyncio.timeout(10):
                    # Polling the endpoint under test: there is no event to wait on.
                    while (await _readyz(client)).status_code != 200:  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                assert (await _readyz(client)).json()["down"] == []
        finally:
            await app.state.services.close()
