"""`ucg serve` runs the adjustments consumer (when enabled) and the reservation sweeper."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg

from datasources.kafka import topics
from datasources.kafka.client import create_producer, ensure_topics
from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from domain.ids import to_global_id
from domain.inventory.rules import ReservationLine
from domain.inventory.services import reserve
from tests.conftest import TestEnv
from tests.stock_helpers import make_location, make_variant, receive


async def test_serve_consumes_adjustments_and_sweeps_reservations(
    env: TestEnv, db: asyncpg.Connection[Any], serve: Any
) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 5)
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        async with UnitOfWork(pool) as uow:
            held = await reserve(
                uow, [ReservationLine(sku, 2)], location_id=location, ttl_seconds=0.5
            )
    finally:
        await pool.close()
    serve(
        UCG_CONSUMERS_ENABLED="true",
        UCG_RESERVATION_SWEEP_INTERVAL_SECONDS="0.2",
    )
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    topic = settings.topic(topics.INVENTORY_ADJUSTMENTS)
    await ensure_topics(settings.kafka_bootstrap_servers, [topic])
    producer = create_producer(settings.kafka_bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        event = {
            "specversion": "1.0",
            "id": "serve-evt-1",
            "type": "ucg.inventory.adjustment.v1",
            "source": "wms/test",
            "data": {
                "sku": sku,
                "locationId": to_global_id("Location", location),
                "delta": 7,
                "reason": "RECEIVED",
            },
        }
        await producer.send_and_wait(topic, json.dumps(event).encode(), key=sku.encode())
    finally:
        await producer.stop()
    async with asyncio.timeout(45):
        while True:
            row = await db.fetchrow(
                "SELECT s.on_hand, s.reserved, r.status FROM stock_levels s, reservations r "
                "WHERE s.sku = $1 AND r.id = $2",
                sku,
                held.id,
            )
            if row["on_hand"] == 12 and row["status"] == "EXPIRED":
                break
            await asyncio.sleep(0.1)
    assert row["reserved"] == 0
