"""interactionsTrack under concurrent load: batches mixing several shoppers, in different
orders, never deadlock (each shopper's event sequence row is taken in a fixed order), and
a call costs a constant number of statements, whatever the batch size."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from tests.integration.interaction_support import event, make_product, track


async def test_concurrent_mixed_batches_do_not_deadlock(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    product = await make_product(db)
    devices = [f"mix-{i}" for i in range(6)]
    rng = random.Random(7)

    async def call() -> dict[str, Any]:
        order = rng.sample(devices, len(devices))  # every call its own order of the same rows
        batch = [event("PRODUCT_VIEWED", productId=product, deviceId=d) for d in order]
        return await track(client, batch, consent=True)

    calls = 48
    payloads = await asyncio.gather(*(call() for _ in range(calls)))
    assert all(p["userErrors"] == [] and p["accepted"] == len(devices) for p in payloads)
    rows = await db.fetch(
        """SELECT aggregate_id, array_agg(sequence ORDER BY sequence) AS seqs FROM outbox
           WHERE type = 'ucg.interaction.tracked.v1' GROUP BY aggregate_id"""
    )
    # Every shopper's events are numbered 1..n without a gap or a repeat.
    assert {r["aggregate_id"]: list(r["seqs"]) for r in rows} == {
        f"device:{d}": list(range(1, calls + 1)) for d in devices
    }


async def test_one_call_costs_the_same_statements_for_1_or_20_interactions(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    product = await make_product(db)

    async def statements(size: int) -> list[str]:
        batch = [
            event("PRODUCT_VIEWED", productId=product, deviceId=f"cost-{size}-{i}")
            for i in range(size)
        ]
        with log_statements() as sql:
            payload = await track(client, batch, consent=True)
        assert payload["accepted"] == size
        # Not asyncpg's one-off type introspection on a connection new to a type.
        return [s for s in sql if "pg_catalog" not in s and "'jit'" not in s]

    one, twenty = await statements(1), await statements(20)
    assert len(twenty) == len(one) <= 7, (one, twenty)
    assert sum("INSERT INTO outbox" in s for s in twenty) == 1
