"""`/metrics` of `ucg relay` and `ucg consume` (scraped over HTTP from the real processes),
consumer lag, DLQ counts, SQL per operation and DataLoader batch sizes."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from prometheus_client import REGISTRY, generate_latest

from datasources.embedded import free_port
from datasources.kafka import topics
from datasources.kafka.client import ensure_topics
from datasources.kafka.consumer import ConsumerConfig, Inbound, InboundConsumer
from datasources.postgres.pool import create_pool, log_statements
from domain.ids import to_global_id
from tests.conftest import ROOT, TestEnv
from tests.helpers import app_client, unique
from tests.integration.test_metrics import value
from tests.kafka_helpers import kafka_producer, wait_for
from tests.stock_helpers import make_location, make_variant, receive

TOKEN = "process-metrics-token"


@contextmanager
def ucg_process(env: TestEnv, *args: str, **overrides: str) -> Iterator[subprocess.Popen[bytes]]:
    log = tempfile.NamedTemporaryFile(prefix="ucg-proc-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", *args],
        env=env.environ(UCG_LOG_LEVEL="WARNING", UCG_METRICS_TOKEN=TOKEN, **overrides),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        Path(log.name).unlink()


async def scrape_until(
    process: subprocess.Popen[bytes], port: int, done: Any, within: float = 45
) -> str:
    """Scrape http://127.0.0.1:port/metrics until `done(text)` holds; the last text."""
    last = ""
    async with httpx.AsyncClient(timeout=2) as http:

        async def ready() -> bool:
            nonlocal last
            assert process.poll() is None, "the process exited"
            try:
                response = await http.get(
                    f"http://127.0.0.1:{port}/metrics",
                    headers={"authorization": f"Bearer {TOKEN}"},
                )
            except httpx.TransportError:
                return False
            last = response.text
            return response.status_code == 200 and bool(done(last))

        try:
            await wait_for(ready, within=within)
        except TimeoutError:
            raise AssertionError(f"never satisfied; last scrape:\n{last[-3000:]}") from None
        refused = await http.get(f"http://127.0.0.1:{port}/metrics")
        assert refused.status_code == 401
        assert (await http.get(f"http://127.0.0.1:{port}/other")).status_code in (401, 404)
    return last


async def test_relay_process_serves_its_own_metrics(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    await ensure_topics(settings.kafka_bootstrap_servers, [settings.topic(topics.ORDERS)])
    for n in range(3):
        await db.execute(
            "INSERT INTO outbox (topic, type, aggregate_type, aggregate_id, sequence, payload) "
            "VALUES ($1, 'ucg.order.status_changed.v1', 'Order', $2, 1, '{}')",
            topics.ORDERS,
            f"order-{n}",
        )
    port = free_port()
    with ucg_process(env, "relay", UCG_RELAY_METRICS_PORT=str(port)) as relay:
        text = await scrape_until(
            relay,
            port,
            lambda t: (
                value(t, "ucg_relay_events_published_total") >= 3
                and value(t, "ucg_outbox_unpublished") == 0
            ),
        )
    assert value(text, "ucg_relay_leader") == 1
    assert value(text, "ucg_relay_events_published_total") == 3
    assert value(text, "ucg_outbox_oldest_unpublished_age_seconds") == 0


def adjustment(sku: str, location: uuid.UUID, delta: int) -> bytes:
    event = {
        "specversion": "1.0",
        "id": unique("evt-"),
        "type": "ucg.inventory.adjustment.v1",
        "source": "pos/test",
        "data": {
            "sku": sku,
            "locationId": to_global_id("Location", location),
            "delta": delta,
            "reason": "RECEIVED",
        },
    }
    return json.dumps(event).encode()


async def test_consume_process_serves_dlq_counts_messages_and_lag(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 10)
    topic = env.settings().topic(topics.INVENTORY_ADJUSTMENTS)
    async with kafka_producer(env) as producer:
        await producer.send_and_wait(topic, b"{not json", key=sku.encode())
        await producer.send_and_wait(topic, adjustment(sku, location, 2), key=sku.encode())
        await producer.send_and_wait(topic, adjustment(sku, location, 3), key=sku.encode())
    port = free_port()
    with ucg_process(
        env, "consume", "--topics", "inventory", UCG_CONSUME_METRICS_PORT=str(port)
    ) as consume:
        text = await scrape_until(
            consume,
            port,
            lambda t: (
                value(t, "ucg_consumer_messages_total", topic=topic, outcome="applied") == 2
                and 'ucg_consumer_lag_messages{group="' in t
            ),
        )
    assert value(text, "ucg_dlq_messages_total", topic=topic, stage="unparseable") == 1
    assert value(text, "ucg_consumer_messages_total", topic=topic, outcome="dead_lettered") == 1
    lags = [line for line in text.splitlines() if line.startswith("ucg_consumer_lag_messages{")]
    assert lags and all(f'topic="{topic}"' in line for line in lags)
    assert all(line.endswith(" 0.0") for line in lags), lags  # all three handled
    on_hand = await db.fetchval(
        "SELECT on_hand FROM stock_levels WHERE sku = $1 AND location_id = $2", sku, location
    )
    assert on_hand == 15


def scrape() -> str:
    return generate_latest(REGISTRY).decode()


async def test_consumer_lag_is_what_the_group_has_not_handled_yet(env: TestEnv) -> None:
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    topic = unique(env.prefix + "lag.")
    await ensure_topics(settings.kafka_bootstrap_servers, [topic], partitions=1)
    async with kafka_producer(env) as producer:
        for n in range(5):
            await producer.send_and_wait(topic, str(n).encode(), key=b"k")
    release = asyncio.Semaphore(0)

    async def apply(_uow: Any, _inbound: Inbound) -> None:
        await release.acquire()

    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    group = unique("lag-group.")
    consumer = InboundConsumer(
        ConsumerConfig(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            topic=topic,
            group_id=group,
            name=group,
            max_poll_records=1,
        ),
        pool,
        lambda record: Inbound(f"{record.partition}:{record.offset}", None),
        apply,
    )
    task = asyncio.create_task(consumer.run())
    lag = {"topic": topic, "partition": "0", "group": group}
    try:
        release.release()  # the first message only

        async def four_behind() -> bool:
            return value(scrape(), "ucg_consumer_lag_messages", **lag) == 4

        await wait_for(four_behind)
        assert consumer.applied == 1
        for _ in range(4):
            release.release()

        async def caught_up() -> bool:
            return (
                consumer.applied == 5 and value(scrape(), "ucg_consumer_lag_messages", **lag) == 0
            )

        await wait_for(caught_up)
    finally:
        consumer.stop()
        for _ in range(5):
            release.release()
        await asyncio.wait_for(task, 15)
        await pool.close()
    # A stopped consumer reports no lag for partitions it no longer holds.
    assert f'group="{group}"' not in scrape()


async def test_sql_per_operation_and_dataloader_batches_are_recorded(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    for _ in range(6):
        await make_variant(db)
    page = "query SqlPage { products(first: 6) { edges { node { id variants { sku } } } } }"
    name = "ucg_sql_statements_per_operation"
    labels = {"operation": "SqlPage", "type": "query"}
    async with app_client(env.settings()) as client:
        before = (await client.get("/metrics")).text
        with log_statements() as logged:
            response = await client.post("/graphql", json={"query": page})
        assert "errors" not in response.json(), response.json()
        after = (await client.get("/metrics")).text
    assert value(after, f"{name}_count", **labels) - value(before, f"{name}_count", **labels) == 1
    statements = value(after, f"{name}_sum", **labels) - value(before, f"{name}_sum", **labels)
    assert statements == len(logged) > 0  # what the statement log saw, counted
    seconds = "ucg_sql_seconds_per_operation_sum"
    assert value(after, seconds, **labels) > value(before, seconds, **labels)
    batch = "ucg_dataloader_batch_size"
    loader = {"loader": "variants_by_product_ids"}
    assert value(after, f"{batch}_count", **loader) - value(before, f"{batch}_count", **loader) == 1
    assert value(after, f"{batch}_sum", **loader) - value(before, f"{batch}_sum", **loader) == 6
