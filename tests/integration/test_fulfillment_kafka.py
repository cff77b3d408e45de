"""Fulfillment updates from a WMS / 3PL over Kafka (`ucg.fulfillment.updates.v1`).

The consumer runs in this process, next to the in-process app that placed the
orders, with its own gateway on its own pool (the test provider's state is in
Postgres; tests/e2e/test_payments_across_processes.py does it across processes).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from datasources.kafka import topics
from datasources.kafka.consumer import InboundConsumer
from datasources.kafka.fulfillment_updates import fulfillment_updates_consumer
from datasources.payments.gateway import build_payment_gateway
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import unique
from tests.kafka_helpers import consume_until, kafka_producer, running_consumer, wait_for
from tests.order_helpers import complete, guest_carts, make_sale


def update(event_id: str | None = None, **data: Any) -> bytes:
    event = {
        "specversion": "1.0",
        "id": unique("msg-"),
        "type": "ucg.fulfillment.update.v1",
        "source": "wms/test",
        "data": {**({"eventId": event_id} if event_id else {}), **data},
    }
    return json.dumps(event).encode()


@pytest.fixture
async def producer(env: TestEnv) -> AsyncIterator[AIOKafkaProducer]:
    async with kafka_producer(env) as p:
        yield p


@pytest.fixture
async def running(env: TestEnv) -> AsyncIterator[InboundConsumer]:
    def factory(pool: asyncpg.Pool[Any], **config: Any) -> InboundConsumer:
        # Its own gateway on its own pool: the authorization the API made is in Postgres.
        return fulfillment_updates_consumer(pool, build_payment_gateway(pool), **config)

    async with running_consumer(env, factory, backoff_initial=0.05) as consumer:
        yield consumer


async def place_order(client: httpx.AsyncClient, db: asyncpg.Connection[Any]) -> dict[str, Any]:
    """A shipped-from-warehouse order of one unit: its id and its one fulfillment's id."""
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1)
    placed = await complete(client, cart, unique("k-"))
    assert placed["userErrors"] == []
    order_id = uuid.UUID(placed["order"]["id"].rsplit("/", 1)[1])
    fulfillment_id = await db.fetchval("SELECT id FROM fulfillments WHERE order_id = $1", order_id)
    return {"order": order_id, "fulfillment": fulfillment_id}


async def handled(consumer: InboundConsumer, n: int) -> None:
    async def done() -> bool:
        return consumer.applied + consumer.duplicates + consumer.dead_lettered >= n

    await wait_for(done)


async def read_dlq(env: TestEnv, n: int) -> list[tuple[bytes, str]]:
    settings = env.settings()
    dlq = AIOKafkaConsumer(
        settings.topic(topics.FULFILLMENT_UPDATES) + ".dlq",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=unique("dlq-reader."),
        auto_offset_reset="earliest",
        session_timeout_ms=3000,
        heartbeat_interval_ms=300,
    )
    await dlq.start()
    parked: list[tuple[bytes, str]] = []
    try:
        async with asyncio.timeout(20):
            while len(parked) < n:
                batch = await dlq.getmany(timeout_ms=300)
                for records in batch.values():
                    parked += [(r.value, dict(r.headers)["reason"].decode()) for r in records]
    finally:
        await dlq.stop()
    return parked


async def test_wms_ships_the_order_once_per_event_and_the_payment_is_captured(
    env: TestEnv,
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    producer: AIOKafkaProducer,
    running: InboundConsumer,
) -> None:
    placed = await place_order(client, db)
    assert await db.fetchval("SELECT status FROM fulfillments") == "ALLOCATED"
    assert await db.fetchval("SELECT status FROM payments") == "AUTHORIZED"
    topic = env.settings().topic(topics.FULFILLMENT_UPDATES)
    gid = to_global_id("Fulfillment", placed["fulfillment"])
    key = str(placed["order"]).encode()
    tracking = {"carrier": "PostNL", "number": "3SABC1234567", "url": "https://t.example/3S"}
    picking = update("wms-2", fulfillmentId=gid, status="PICKING")
    messages = [
        update("wms-1", fulfillmentId=gid, status="PICKING"),
        picking,  # already there: no change
        update(
            "wms-3", fulfillmentId=str(placed["fulfillment"]), status="SHIPPED", tracking=tracking
        ),
        # A redelivery of wms-2 after SHIPPED: applied again it would be an illegal
        # SHIPPED -> PICKING (a DLQ case); deduplicated, it changes nothing.
        picking,
    ]
    for value in messages:
        await producer.send_and_wait(topic, value, key=key)
    await handled(running, len(messages))
    c = running
    assert (c.applied, c.duplicates, c.dead_lettered) == (3, 1, 0)
    f = await db.fetchrow("SELECT status, tracking FROM fulfillments")
    assert dict(f) == {"status": "SHIPPED", "tracking": "PostNL 3SABC1234567"}
    assert await db.fetchval("SELECT status FROM orders") == "FULFILLED"
    pay = await db.fetchrow("SELECT status, captured_minor, amount_minor FROM payments")
    assert (
        pay["status"] == "CAPTURED" and pay["captured_minor"] == pay["amount_minor"] == 1999 + 495
    )  # + shipping
    moves = await db.fetch(
        "SELECT payload FROM outbox WHERE type = 'ucg.fulfillment.status_changed.v1' "
        "ORDER BY sequence"
    )
    assert [(m["payload"]["previousStatus"], m["payload"]["status"]) for m in moves] == [
        ("ALLOCATED", "PICKING"),
        ("PICKING", "SHIPPED"),
    ]
    assert moves[1]["payload"]["tracking"] == tracking
    order_moves = await db.fetch(
        "SELECT payload->>'status' AS s FROM outbox WHERE type = 'ucg.order.status_changed.v1' "
        "ORDER BY sequence"
    )
    assert [r["s"] for r in order_moves] == ["IN_PROGRESS", "FULFILLED"]
    done = await db.fetch("SELECT consumer, event_id FROM processed_events ORDER BY event_id")
    assert [(r["consumer"], r["event_id"]) for r in done] == [
        ("fulfillment-updates", "wms-1"),
        ("fulfillment-updates", "wms-2"),
        ("fulfillment-updates", "wms-3"),
    ]


async def test_refused_and_malformed_updates_go_to_the_dlq_and_the_next_is_applied(
    env: TestEnv,
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    producer: AIOKafkaProducer,
    running: InboundConsumer,
) -> None:
    placed = await place_order(client, db)
    topic = env.settings().topic(topics.FULFILLMENT_UPDATES)
    gid = to_global_id("Fulfillment", placed["fulfillment"])
    key = str(placed["order"]).encode()
    poison = [
        update("bad-1", fulfillmentId=gid, status="DELIVERED"),  # ALLOCATED -> DELIVERED
        update("bad-2", fulfillmentId=to_global_id("Fulfillment", uuid.uuid4()), status="PICKING"),
        b"{not json",
        update("bad-4", fulfillmentId=gid, status="LOST_AT_SEA"),
        update("bad-5", status="PICKING"),  # names no fulfillment or order
        update("bad-6", fulfillmentId=to_global_id("Order", placed["order"]), status="PICKING"),
        # Cancelling is orderCancel's (restock, payment, reason), not a WMS's.
        update("bad-7", orderId=to_global_id("Order", placed["order"]), status="CANCELLED"),
    ]
    for value in poison:
        await producer.send_and_wait(topic, value, key=key)
    # The order alone: applies to its fulfillments that may make the move.
    good = update("good-1", orderId=to_global_id("Order", placed["order"]), status="SHIPPED")
    await producer.send_and_wait(topic, good, key=key)
    await handled(running, len(poison) + 1)

    assert await db.fetchval("SELECT status FROM fulfillments") == "SHIPPED"
    assert await db.fetchval("SELECT status FROM payments") == "CAPTURED"
    assert running.dead_lettered == len(poison)
    parked = dict(await read_dlq(env, len(poison)))
    assert sorted(parked) == sorted(poison)
    assert parked[poison[0]].startswith("rejected: INVALID_TRANSITION: ")
    assert "from ALLOCATED to DELIVERED" in parked[poison[0]]
    assert parked[poison[1]] == "rejected: NOT_FOUND: Fulfillment does not exist."
    assert parked[poison[2]].startswith("unparseable: not JSON")
    assert parked[poison[3]].startswith("unparseable: schema violation at data/status")
    assert parked[poison[4]].startswith("unparseable: schema violation at data")
    assert parked[poison[5]].startswith("unparseable: INVALID_ID")
    assert parked[poison[6]].startswith("unparseable: INVALID_TRANSITION: ")
    assert "orderCancel" in parked[poison[6]]
    # Refused updates leave no trace: only the good one is recorded as processed.
    assert await db.fetchval("SELECT array_agg(event_id) FROM processed_events") == ["good-1"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'ucg.fulfillment.status_changed.v1'"
        )
        == 1
    )


async def test_a_transient_database_fault_is_retried_not_dead_lettered(
    env: TestEnv,
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    producer: AIOKafkaProducer,
    running: InboundConsumer,
) -> None:
    """The first two writes of the fulfillment fail with a serialization failure (a real
    Postgres error, like a lost connection: retryable). The sequence is not rolled back,
    so the third attempt succeeds; the event id recorded by the failed attempts rolled
    back with them, or the retry would have been skipped as a duplicate."""
    placed = await place_order(client, db)
    await db.execute(
        """CREATE SEQUENCE injected_faults;
           CREATE FUNCTION fail_twice() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF nextval('injected_faults') <= 2 THEN
               RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure';
             END IF;
             RETURN NEW;
           END $$;
           CREATE TRIGGER fail_twice BEFORE UPDATE ON fulfillments
           FOR EACH ROW EXECUTE FUNCTION fail_twice();"""
    )
    topic = env.settings().topic(topics.FULFILLMENT_UPDATES)
    gid = to_global_id("Fulfillment", placed["fulfillment"])
    await producer.send_and_wait(topic, update("t-1", fulfillmentId=gid, status="PICKING"))
    await handled(running, 1)
    assert (running.applied, running.dead_lettered) == (1, 0)
    assert await db.fetchval("SELECT last_value FROM injected_faults") == 3
    assert await db.fetchval("SELECT status FROM fulfillments") == "PICKING"
    assert await db.fetchval("SELECT count(*) FROM processed_events") == 1


async def test_ucg_consume_topics_fulfillment_applies_updates_in_its_own_process(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any], producer: AIOKafkaProducer
) -> None:
    """`ucg consume --topics fulfillment` as a real process (a hand-over that captures:
    tests/e2e/test_payments_across_processes.py)."""
    placed = await place_order(client, db)
    topic = env.settings().topic(topics.FULFILLMENT_UPDATES)
    gid = to_global_id("Fulfillment", placed["fulfillment"])
    await producer.send_and_wait(topic, update("p-1", fulfillmentId=gid, status="PACKED"))

    async def packed() -> bool:
        return await db.fetchval("SELECT status FROM fulfillments") == "PACKED"

    returncode = await consume_until(env, "fulfillment", packed)
    assert returncode == 0
    assert await db.fetchval("SELECT event_id FROM processed_events") == "p-1"
    assert await db.fetchval("SELECT status FROM orders") == "IN_PROGRESS"
