"""The payment an API process authorized is captured by another process after the first
one is gone: the test provider's state is in Postgres, not in a process."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from datasources.kafka import topics
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import keep_cart_tokens, unique
from tests.integration.test_fulfillment_kafka import update
from tests.kafka_helpers import consume_until, kafka_producer
from tests.order_helpers import complete, guest_carts, make_sale


async def test_authorized_in_serve_captured_by_consume_after_a_restart(
    env: TestEnv, db: asyncpg.Connection[Any], serve: Any
) -> None:
    sale = await make_sale(db, 3)
    (cart,) = await guest_carts(db, sale, 1)
    api = serve()
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        keep_cart_tokens(client, env.settings().jwt_secret)
        placed = await complete(client, cart, unique("k-"))
    assert placed["userErrors"] == []
    order_id = uuid.UUID(placed["order"]["id"].rsplit("/", 1)[1])
    api.proc.terminate()  # the process that authorized is gone
    api.proc.wait(15)
    fulfillment = await db.fetchval("SELECT id FROM fulfillments WHERE order_id = $1", order_id)
    topic = env.settings().topic(topics.FULFILLMENT_UPDATES)
    gid = to_global_id("Fulfillment", fulfillment)
    async with kafka_producer(env) as producer:
        await producer.send_and_wait(topic, update("x-1", fulfillmentId=gid, status="PICKING"))
        await producer.send_and_wait(topic, update("x-2", fulfillmentId=gid, status="SHIPPED"))

    async def captured() -> bool:
        return await db.fetchval("SELECT status FROM payments") == "CAPTURED"

    assert await consume_until(env, "fulfillment", captured) == 0
    total = 1999 + 495
    provider = await db.fetchrow(
        "SELECT amount_minor, captured_minor FROM test_provider_authorizations"
    )
    assert (provider["amount_minor"], provider["captured_minor"]) == (total, total)
    calls = await db.fetch(
        "SELECT kind, state, amount_minor, order_id FROM payment_transactions ORDER BY created_at"
    )
    assert [(c["kind"], c["state"], c["amount_minor"], c["order_id"]) for c in calls] == [
        ("AUTHORIZE", "AUTHORIZED", total, order_id),
        ("CAPTURE", "SUCCEEDED", total, order_id),
    ]
