"""The profile consumer on a backlog (real broker, real Postgres): tracked interactions
waiting on the topic are folded a poll at a time, one transaction each, with the lookups
done once per batch: every profile right, a few statements an interaction."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import asyncpg

from datasources.kafka.interactions import interactions_consumer
from datasources.kafka.relay import OutboxRelay
from datasources.postgres.pool import log_statements
from tests.conftest import TestEnv
from tests.helpers import app_client
from tests.integration.interaction_support import event, make_product, track
from tests.kafka_helpers import kafka_producer, running_consumer, wait_for


async def test_a_backlog_is_folded_in_batches_with_few_statements(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    products = [await make_product(db, category=c) for c in ("Shoes", "Bags")]
    devices = [f"bl-{i}" for i in range(8)]
    settings = env.settings()
    async with kafka_producer(env):
        pass  # the topics, before the relay publishes
    relay = OutboxRelay(settings)
    task = asyncio.create_task(relay.run())
    try:
        async with app_client(settings) as client:
            for d in devices:
                batch = [
                    event("PRODUCT_VIEWED", productId=products[n % 2], deviceId=d, ago=60 - n)
                    for n in range(5)
                ]
                assert (await track(client, batch, consent=True))["accepted"] == 5

        async def relayed() -> bool:
            return bool(
                await db.fetchval("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL")
            )

        await wait_for(relayed)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    total = 5 * len(devices)
    with log_statements() as sql:
        async with running_consumer(env, interactions_consumer) as consumer:

            async def folded() -> bool:
                return consumer.applied >= total

            await wait_for(folded)
    assert consumer.applied == total and consumer.dead_lettered == 0
    for d in devices:
        value = await db.fetchval(
            "SELECT state FROM customer_profiles WHERE subject = $1", f"device:{d}"
        )
        state = json.loads(value) if isinstance(value, str) else value
        assert state["interactions"] == 5, d
        assert state["categories"].keys() == {"Shoes", "Bags"}
    # A message: its savepoint, its processed_events row, its profile upsert, the release;
    # the lookups once per batch (one per partition and poll). One at a time it was ~9.
    work = [s for s in sql if "pg_catalog" not in s and "'jit'" not in s]
    assert consumer.batches <= 6
    assert len(work) <= 4 * total + 8 * consumer.batches, len(work)
