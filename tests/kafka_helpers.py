"""Kafka fixtures shared by the inbound-consumer tests (real broker, in-process consumer)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaProducer

from datasources.kafka import topics
from datasources.kafka.client import create_producer, ensure_topics
from datasources.kafka.consumer import InboundConsumer
from datasources.postgres.pool import create_pool
from tests.conftest import ROOT, TestEnv


@asynccontextmanager
async def kafka_producer(env: TestEnv) -> AsyncIterator[AIOKafkaProducer]:
    """A producer, with every topic of this test's prefix created first."""
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    await ensure_topics(settings.kafka_bootstrap_servers, [settings.topic(t) for t in topics.ALL])
    producer = create_producer(settings.kafka_bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@asynccontextmanager
async def running_consumer(
    env: TestEnv, factory: Callable[..., InboundConsumer], *, backoff_initial: float | None = None
) -> AsyncIterator[InboundConsumer]:
    """`factory` (e.g. adjustments_consumer) running in this process on its own pool."""
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    consumer = factory(
        pool,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.kafka_topic_prefix,
        session_timeout_ms=3000,
        heartbeat_interval_ms=300,
    )
    if backoff_initial is not None:
        consumer.config.backoff_initial = backoff_initial
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 20)
        await pool.close()


async def wait_for(predicate: Any, within: float = 30) -> None:
    """Poll `predicate` until true; fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            if await predicate():
                return
            await asyncio.sleep(0.05)


async def consume_until(
    env: TestEnv, topic_names: str, done: Callable[[], Any], within: float = 60
) -> int:
    """Run `ucg consume --topics <topic_names>` as a real process until `await done()` holds
    (failing with its log if it exits first), stop it with SIGTERM; its exit code."""
    log = tempfile.TemporaryFile()

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "consume", "--topics", topic_names],
            env=env.environ(UCG_LOG_LEVEL="WARNING"),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    process = start()
    try:

        async def ready() -> bool:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(f"ucg consume exited: {log.read().decode()[-2000:]}")
            return bool(await done())

        await wait_for(ready, within=within)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    return process.returncode
