"""Inbound adjustments over Kafka: once per event id, poison to the DLQ, crash-safe offsets."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from datasources.kafka import topics
from datasources.kafka.adjustments import adjustments_consumer
from datasources.kafka.consumer import InboundConsumer
from domain.ids import to_global_id
from tests.conftest import ROOT, TestEnv
from tests.helpers import unique
from tests.kafka_helpers import kafka_producer, running_consumer, wait_for
from tests.stock_helpers import assert_ledger_matches, make_location, make_variant, receive


def adjustment(sku: str, location_id: uuid.UUID, event_id: str | None = None, **data: Any) -> bytes:
    event = {
        "specversion": "1.0",
        "id": event_id or unique("evt-"),
        "type": "ucg.inventory.adjustment.v1",
        "source": "pos/test",
        "data": {"sku": sku, "locationId": to_global_id("Location", location_id), **data},
    }
    return json.dumps(event).encode()


@pytest.fixture
async def producer(env: TestEnv) -> AsyncIterator[AIOKafkaProducer]:
    async with kafka_producer(env) as p:
        yield p


@pytest.fixture
async def running(env: TestEnv) -> AsyncIterator[InboundConsumer]:
    async with running_consumer(env, adjustments_consumer) as consumer:
        yield consumer


async def on_hand(db: asyncpg.Connection[Any], sku: str, location_id: uuid.UUID) -> int:
    value: int = await db.fetchval(
        "SELECT on_hand FROM stock_levels WHERE sku = $1 AND location_id = $2", sku, location_id
    )
    return value


async def test_same_event_twice_changes_stock_once(
    env: TestEnv,
    db: asyncpg.Connection[Any],
    producer: AIOKafkaProducer,
    running: InboundConsumer,
) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 10)
    topic = env.settings().topic(topics.INVENTORY_ADJUSTMENTS)
    event = adjustment(sku, location, "evt-dup-1", delta=5, reason="RECEIVED")
    await producer.send_and_wait(topic, event, key=sku.encode())
    await producer.send_and_wait(topic, event, key=sku.encode())
    counted = adjustment(sku, location, "evt-count-1", onHand=12, reason="CYCLE_COUNT")
    await producer.send_and_wait(topic, counted, key=sku.encode())

    async def handled() -> bool:
        c = running
        return c.applied + c.duplicates >= 3

    await wait_for(handled)
    assert (running.applied, running.duplicates) == (2, 1)
    assert await on_hand(db, sku, location) == 12
    deltas = await db.fetch(
        "SELECT delta, reason FROM stock_movements WHERE sku = $1 ORDER BY id", sku
    )
    assert [(r["delta"], r["reason"]) for r in deltas] == [
        (10, "RECEIVED"),
        (5, "RECEIVED"),
        (-3, "CYCLE_COUNT"),
    ]
    events = await db.fetch(
        "SELECT sequence, payload FROM outbox WHERE type = 'ucg.inventory.stock_changed.v1' "
        "ORDER BY id"
    )
    assert [(e["sequence"], e["payload"]["onHand"]) for e in events] == [(1, 15), (2, 12)]
    await assert_ledger_matches(db)


async def test_poison_messages_go_to_the_dlq_and_the_next_is_applied(
    env: TestEnv,
    db: asyncpg.Connection[Any],
    producer: AIOKafkaProducer,
    running: InboundConsumer,
) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 10)
    settings = env.settings()
    topic = settings.topic(topics.INVENTORY_ADJUSTMENTS)
    poison = [
        b"{not json",
        adjustment(sku, location, delta=1, reason="BECAUSE"),
        adjustment("NO-SUCH-SKU", location, delta=1, reason="RECEIVED"),
        adjustment(sku, location, delta=-50, reason="DAMAGED"),
    ]
    for value in poison:
        await producer.send_and_wait(topic, value, key=sku.encode())
    await producer.send_and_wait(
        topic, adjustment(sku, location, delta=-2, reason="DAMAGED"), key=sku.encode()
    )

    async def good_applied() -> bool:
        return await on_hand(db, sku, location) == 8

    await wait_for(good_applied)
    dlq = AIOKafkaConsumer(
        settings.topic(topics.INVENTORY_ADJUSTMENTS) + ".dlq",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=unique("dlq-reader."),
        auto_offset_reset="earliest",
        session_timeout_ms=3000,
        heartbeat_interval_ms=300,
    )
    await dlq.start()
    parked: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        async with asyncio.timeout(20):
            while len(parked) < len(poison):
                batch = await dlq.getmany(timeout_ms=300)
                for records in batch.values():
                    parked += [(r.value, dict(r.headers)) for r in records]
    finally:
        await dlq.stop()
    assert sorted(v for v, _ in parked) == sorted(poison)
    reasons = {v: h["reason"].decode() for v, h in parked}
    assert reasons[poison[0]].startswith("unparseable: not JSON")
    assert "schema violation at data/reason" in reasons[poison[1]]
    assert reasons[poison[2]].startswith("rejected: NOT_FOUND")
    assert reasons[poison[3]].startswith("rejected: INVALID")
    assert running.dead_lettered == 4
    assert await db.fetchval("SELECT count(*) FROM processed_events") == 1
    await assert_ledger_matches(db)


@pytest.mark.slow
async def test_consumer_killed_mid_batch_loses_and_doubles_nothing(
    env: TestEnv, db: asyncpg.Connection[Any], producer: AIOKafkaProducer
) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 1)
    topic = env.settings().topic(topics.INVENTORY_ADJUSTMENTS)
    total = 400
    sent = [
        await producer.send(
            topic, adjustment(sku, location, f"evt-{i}", delta=1, reason="RECEIVED"), key=b"k"
        )
        for i in range(total)
    ]
    await asyncio.gather(*sent)

    async def processed() -> int:
        count: int = await db.fetchval("SELECT count(*) FROM processed_events")
        return count

    logs: list[str] = []

    def start() -> subprocess.Popen[bytes]:
        log = tempfile.NamedTemporaryFile(prefix="ucg-consume-", suffix=".log", delete=False)
        logs.append(log.name)
        return subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "consume"],
            env=env.environ(UCG_LOG_LEVEL="WARNING"),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    first = start()
    try:

        async def started() -> bool:
            assert first.poll() is None, "ucg consume exited"
            return await processed() >= 20

        await wait_for(started)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        done_at_kill = await processed()
        assert done_at_kill < total, "the consumer finished before it could be killed"
        second = start()
        try:

            async def finished() -> bool:
                assert second.poll() is None, "ucg consume exited"
                return await processed() >= total

            await wait_for(finished, within=60)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(15)
            except subprocess.TimeoutExpired:
                second.kill()
                second.wait()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        for name in logs:
            os.unlink(name)
    assert await processed() == total
    assert await on_hand(db, sku, location) == 1 + total
    assert (
        await db.fetchval("SELECT count(*) FROM stock_movements WHERE sku = $1", sku) == 1 + total
    )
    await assert_ledger_matches(db)
