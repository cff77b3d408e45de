"""InboundConsumer with `batch_transactions` (real broker, real Postgres): a poll's messages
of a partition commit in one transaction; a rejected one is rolled back to its savepoint and
dead-lettered alone; one that fails otherwise is retried alone after the ones before it
committed; every event id has its effect once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer

from datasources.kafka.client import ensure_topics
from datasources.kafka.consumer import ConsumerConfig, Inbound, InboundConsumer, PoisonMessage
from datasources.postgres.pool import create_pool, log_statements
from datasources.postgres.uow import UnitOfWork
from tests.conftest import TestEnv
from tests.helpers import unique
from tests.kafka_helpers import kafka_producer, wait_for


async def _effects(db: asyncpg.Connection[Any], group: str) -> list[str]:
    rows = await db.fetch(
        "SELECT event_id FROM processed_events WHERE consumer = $1 ORDER BY event_id",
        f"{group}.effect",
    )
    return [r["event_id"] for r in rows]


async def test_a_poll_commits_once_and_a_bad_message_is_parked_alone(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    topic = unique(env.prefix + "batch.")
    await ensure_topics(settings.kafka_bootstrap_servers, [topic], partitions=1)
    # ev-07 is rejected (DLQ), ev-13 fails once (a bug or a fault: retried alone), ev-03 twice.
    values = [f"ev-{n:02d}" for n in range(30)] + ["ev-03"]
    async with kafka_producer(env) as producer:
        for v in values:
            await producer.send_and_wait(topic, v.encode(), key=b"k")
    group = unique("batch-group.")
    failed_once: set[str] = set()

    async def apply(uow: UnitOfWork, inbound: Inbound) -> None:
        # The effect: a row of its own (in the batch's transaction, under its savepoint).
        await uow.conn.execute(
            "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)",
            f"{group}.effect",
            inbound.event_id,
        )
        if inbound.event_id == "ev-07":
            raise PoisonMessage("refused")
        if inbound.event_id == "ev-13" and "ev-13" not in failed_once:
            failed_once.add("ev-13")
            raise RuntimeError("once")

    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    consumer = InboundConsumer(
        ConsumerConfig(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            topic=topic,
            group_id=group,
            name=group,
            batch_transactions=True,
            backoff_initial=0.01,
        ),
        pool,
        lambda record: Inbound(record.value.decode(), None),
        apply,
    )
    with log_statements() as sql:
        task = asyncio.create_task(consumer.run())
        try:

            async def all_handled() -> bool:
                return consumer.applied + consumer.duplicates + consumer.dead_lettered >= 31

            await wait_for(all_handled)
        finally:
            consumer.stop()
            await asyncio.wait_for(task, 20)
            await pool.close()
    assert (consumer.applied, consumer.duplicates, consumer.dead_lettered) == (29, 1, 1)
    expected = sorted(v for v in set(values) if v != "ev-07")
    assert await _effects(db, group) == expected  # each once; the rejected one rolled back
    commits = sum(s.strip().upper().startswith("COMMIT") for s in sql)
    # Before ev-13 and after it, plus ev-13 alone: not one commit a message.
    assert consumer.batches <= 4 and commits <= 5, commits
    dlq = AIOKafkaConsumer(
        consumer.dlq_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
    )
    await dlq.start()
    try:
        record = await asyncio.wait_for(dlq.getone(), 10)
    finally:
        await dlq.stop()
    assert record.value == b"ev-07"
    assert dict(record.headers)["reason"] == b"rejected: refused"
