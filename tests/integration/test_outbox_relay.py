"""The outbox relay against real Postgres and a real (Tansu) broker, including faults."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.settings import Settings
from datasources.embedded import EmbeddedServers, ServerUrls
from datasources.events.cloudevents import decode
from datasources.events.schemas import validate_event
from datasources.kafka.relay import RELAY_LOCK_KEY, OutboxRelay, waves
from datasources.postgres.pool import create_pool
from domain.auth import Role
from tests.conftest import ROOT, TestEnv
from tests.helpers import graphql, staff_token
from tests.live import read_topic, wait_until

ORDERS = "ucg.orders.v1"


@pytest.fixture
async def pool(env: TestEnv) -> AsyncIterator[asyncpg.Pool[Any]]:
    p = await create_pool(env.database_url, min_size=1, max_size=4)
    yield p
    await p.close()


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def write_order_events(pool: asyncpg.Pool[Any], keys: list[uuid.UUID], per_key: int) -> None:
    """`per_key` status changes for each order in `keys`, interleaved, committed in one go."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO aggregate_sequences (aggregate_type, aggregate_id, last_sequence)
               SELECT 'Order', k::text, $2 FROM unnest($1::uuid[]) k
               ON CONFLICT (aggregate_type, aggregate_id)
               DO UPDATE SET last_sequence = aggregate_sequences.last_sequence + $2""",
            keys,
            per_key,
        )
        await conn.execute(
            """INSERT INTO outbox (topic, type, aggregate_type, aggregate_id, sequence, payload)
               SELECT $3, 'ucg.order.status_changed.v1', 'Order', k::text,
                      a.last_sequence - $2 + s,
                      jsonb_build_object('orderId', k::text, 'customerId', NULL,
                                         'status', 'IN_PROGRESS', 'previousStatus', 'UNFULFILLED')
               FROM unnest($1::uuid[]) k
               JOIN aggregate_sequences a ON a.aggregate_type = 'Order' AND a.aggregate_id = k::text
               CROSS JOIN generate_series(1, $2) s
               ORDER BY s, k""",
            keys,
            per_key,
            ORDERS,
        )


async def unpublished(pool: asyncpg.Pool[Any]) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def all_published(pool: asyncpg.Pool[Any]) -> bool:
    return await unpublished(pool) == 0


def per_key_sequences(messages: list[Any]) -> dict[str, list[int]]:
    """Each key's sequences in arrival order, first occurrence kept (consumers dedupe by id)."""
    seen: set[uuid.UUID] = set()
    result: dict[str, list[int]] = {}
    for message in messages:
        event = decode(message.value)
        assert message.key.decode() == event.subject
        if event.id in seen:
            continue
        seen.add(event.id)
        result.setdefault(event.subject, []).append(event.sequence)
    return result


def test_waves_hold_one_event_per_key_in_order() -> None:
    rows = [
        {"aggregate_type": "Order", "aggregate_id": k, "sequence": n}
        for n, k in enumerate("aabcab", start=1)
    ]
    result = [[(r["aggregate_id"], r["sequence"]) for r in wave] for wave in waves(rows)]
    assert result == [[("a", 1), ("b", 3), ("c", 4)], [("a", 2), ("b", 6)], [("a", 5)]]


async def test_relay_publishes_a_valid_cloudevent_for_a_mutation(
    client: httpx.AsyncClient, env: TestEnv, pool: asyncpg.Pool[Any]
) -> None:
    body = await graphql(
        client,
        'mutation { channelCreate(input: {code: "EVT", name: "Events", currencyCode: "EUR"}) '
        "{ channel { id } userErrors { code } } }",
        token=staff_token(env.settings(), Role.MERCHANDISER),
    )
    assert body["data"]["channelCreate"]["userErrors"] == []
    async with running(OutboxRelay(env.settings())):
        await wait_until(lambda: all_published(pool), what="the outbox to be published")
    messages = await read_topic(
        env.servers.kafka_bootstrap_servers, f"{env.prefix}ucg.catalog.v1", lambda m: len(m) >= 1
    )
    (message,) = messages
    validate_event(decode(message.value).raw)
    event = decode(message.value)
    channel_id = body["data"]["channelCreate"]["channel"]["id"].rsplit("/", 1)[1]
    assert (event.type, event.subject, event.sequence) == (
        "ucg.catalog.channel_created.v1",
        channel_id,
        1,
    )
    assert event.raw["source"] == "/ucg" and event.raw["specversion"] == "1.0"
    assert event.data == {"channelId": channel_id, "code": "EVT", "currencyCode": "EUR"}
    assert message.key == channel_id.encode()
    assert dict(message.headers)["content-type"] == b"application/cloudevents+json"


@pytest.fixture
def own_kafka(servers: ServerUrls, tmp_path: Path) -> Iterator[list[EmbeddedServers]]:
    """Brokers of this test only (so it can stop them); all stopped at the end."""
    brokers: list[EmbeddedServers] = []
    yield brokers
    for broker in brokers:
        broker.stop()


@pytest.mark.slow
async def test_broker_down_and_back_loses_nothing_and_keeps_per_key_order(
    env: TestEnv,
    servers: ServerUrls,
    pool: asyncpg.Pool[Any],
    tmp_path: Path,
    own_kafka: list[EmbeddedServers],
) -> None:
    first = EmbeddedServers(
        tmp_path / "k1", database_url=servers.database_url, redis_url=servers.redis_url
    )
    own_kafka.append(first)
    bootstrap = first.start().kafka_bootstrap_servers
    port = int(bootstrap.rsplit(":", 1)[1])
    settings = env.settings(kafka_bootstrap_servers=bootstrap, relay_send_timeout_ms=1000)
    topic = settings.topic(ORDERS)
    keys = [uuid.uuid4() for _ in range(4)]
    relay = OutboxRelay(settings)
    async with running(relay):
        await write_order_events(pool, keys, 5)
        await wait_until(lambda: all_published(pool), what="the first events to be published")
        before = await read_topic(bootstrap, topic, lambda m: len(m) >= 20)

        first.stop()
        await write_order_events(pool, keys, 5)

        async def failing() -> bool:
            return relay.stats.failures >= 2

        await wait_until(failing, within=20, what="the relay to fail against the dead broker")
        assert await unpublished(pool) == 20, "nothing may be marked published while down"

        second = EmbeddedServers(
            tmp_path / "k2",
            database_url=servers.database_url,
            redis_url=servers.redis_url,
            kafka_port=port,
        )
        own_kafka.append(second)
        assert second.start().kafka_bootstrap_servers == bootstrap
        await wait_until(lambda: all_published(pool), within=30, what="catch-up after restart")
        after = await read_topic(bootstrap, topic, lambda m: len(m) >= 20)

    sequences = per_key_sequences(before + after)
    assert sequences == {str(k): list(range(1, 11)) for k in keys}


def start_relay_process(env: TestEnv, **overrides: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "relay"],
        env=env.environ(UCG_LOG_LEVEL="WARNING", **overrides),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
async def test_relay_killed_mid_batch_loses_nothing_and_a_standby_takes_over(
    env: TestEnv, pool: asyncpg.Pool[Any]
) -> None:
    keys = [uuid.uuid4() for _ in range(20)]
    await write_order_events(pool, keys, 60)
    total = 20 * 60
    process = start_relay_process(env, UCG_RELAY_BATCH_SIZE="10")
    try:

        async def started() -> bool:
            return await unpublished(pool) < total

        await wait_until(started, within=30, what="the relay process to publish")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    left = await unpublished(pool)
    assert 0 < left < total, "the kill must land while the relay was publishing"

    standby = OutboxRelay(env.settings(relay_lock_retry_seconds=0.2))
    killed_at = time.monotonic()
    async with running(standby):
        await wait_until(lambda: all_published(pool), within=30, what="the standby to finish")
        assert standby.leader_since is None or standby.leader_since - killed_at < 5
    messages = await read_topic(
        env.servers.kafka_bootstrap_servers,
        env.prefix + ORDERS,
        lambda m: len({decode(x.value).id for x in m}) >= total,
    )
    assert per_key_sequences(messages) == {str(k): list(range(1, 61)) for k in keys}
    duplicates = len(messages) - total
    assert 0 <= duplicates <= 10, "at most the batch in flight is sent twice"


@pytest.mark.slow
async def test_two_relays_never_publish_at_the_same_time(
    env: TestEnv, pool: asyncpg.Pool[Any]
) -> None:
    settings: Settings = env.settings(relay_lock_retry_seconds=0.1)
    one, two = OutboxRelay(settings, name="one"), OutboxRelay(settings, name="two")
    keys = [uuid.uuid4() for _ in range(5)]
    task_one = asyncio.create_task(one.run())
    task_two = asyncio.create_task(two.run())
    try:

        async def someone_leads() -> bool:
            return one.is_leader or two.is_leader

        await wait_until(someone_leads, what="a leader")
        leader, standby = (one, two) if one.is_leader else (two, one)
        leader_task = task_one if leader is one else task_two
        for _ in range(5):
            await write_order_events(pool, keys, 20)
            await wait_until(lambda: all_published(pool), what="the leader to publish")
        holders = await pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            RELAY_LOCK_KEY,
        )
        assert holders == 1
        assert leader.stats.published == 500 and standby.stats.published == 0
        assert not standby.is_leader and standby.stats.publishing_windows == []

        leader_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await leader_task
        stopped_at = time.monotonic()

        async def standby_leads() -> bool:
            return standby.is_leader

        await wait_until(standby_leads, within=5, what="the standby to take over")
        await write_order_events(pool, keys, 20)
        await wait_until(lambda: all_published(pool), what="the new leader to publish")
        assert standby.stats.published == 100
        last_end = max(end for _, end in leader.stats.publishing_windows)
        assert last_end <= stopped_at
        assert all(start >= last_end for start, _ in standby.stats.publishing_windows)
    finally:
        for task in (task_one, task_two):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_prune_deletes_only_old_published_rows(env: TestEnv, pool: asyncpg.Pool[Any]) -> None:
    keys = [uuid.uuid4()]
    await write_order_events(pool, keys, 3)
    await pool.execute(
        "UPDATE outbox SET published_at = now() - interval '10 days' WHERE sequence = 1"
    )
    await pool.execute("UPDATE outbox SET published_at = now() WHERE sequence = 2")
    relay = OutboxRelay(env.settings(relay_retention_hours=24))
    conn = await asyncpg.connect(env.database_url)
    try:
        assert await relay.prune(conn) == 1
    finally:
        await conn.close()
    left = await pool.fetch("SELECT sequence, published_at IS NULL AS pending FROM outbox")
    assert sorted((r["sequence"], r["pending"]) for r in left) == [(2, False), (3, True)]
