"""Real embedded Postgres, Redis and Kafka (Tansu) servers: no mocks."""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import asyncpg
import psutil
import pytest
import redis.asyncio as aioredis
import redis.exceptions
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from datasources.embedded import EmbeddedServers, ServerUrls, free_port

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServers]:
    embedded = EmbeddedServers(tmp_path_factory.mktemp("embedded"))
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


def _redis_client(url: str) -> aioredis.Redis:
    # No retries: a refused connection must fail at once, not after backoff.
    return aioredis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _child_pids() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if _alive(p)}


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Poll until none of *procs* is alive; return those still alive at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in procs if _alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 <= port <= 65535


def test_urls_are_tcp_on_localhost(servers: EmbeddedServers) -> None:
    urls = servers.urls
    assert urls.database_url.startswith("postgresql://postgres@127.0.0.1:")
    assert urls.database_url.endswith("/postgres")
    assert urls.redis_url.startswith("redis://127.0.0.1:")
    assert urls.redis_url.endswith("/0")
    assert urls.kafka_bootstrap_servers.startswith("127.0.0.1:")
    assert servers.start() == urls  # start() again is a no-op


@pytest.mark.asyncio
async def test_postgres_select_and_contrib_extensions(servers: EmbeddedServers) -> None:
    conn = await asyncpg.connect(servers.urls.database_url, timeout=10)
    try:
        assert await conn.fetchval("select 1") == 1
        for extension in ("pg_trgm", "cube", "earthdistance", "btree_gist"):
            await conn.execute(f"create extension if not exists {extension}")
        installed = {row["extname"] for row in await conn.fetch("select extname from pg_extension")}
        assert {"pg_trgm", "cube", "earthdistance", "btree_gist"} <= installed
        assert await conn.fetchval("select similarity('embedded', 'embedded')") == 1.0
        meters = await conn.fetchval("select earth_distance(ll_to_earth(0, 0), ll_to_earth(0, 1))")
        assert 110_000 < meters < 112_000
    finally:
        await conn.close()


@pytest.mark.asyncio
async def test_redis_set_get(servers: EmbeddedServers) -> None:
    client = _redis_client(servers.urls.redis_url)
    try:
        key = f"embedded-test:{uuid.uuid4()}"
        assert await client.set(key, b"value")
        assert await client.get(key) == b"value"
    finally:
        await client.aclose()


@pytest.mark.asyncio
async def test_kafka_produce_consume_and_commit(servers: EmbeddedServers) -> None:
    bootstrap = servers.urls.kafka_bootstrap_servers
    topic = f"embedded-test-{uuid.uuid4().hex}"

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()

    # Tansu does not support the idempotent producer (InitProducerId fails).
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"hello", key=b"k")
    finally:
        await producer.stop()

    # Tansu answers the first JoinGroup after about half the session timeout
    # (5 s with aiokafka's default 10 s), so keep it short here.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"embedded-test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=2000,
        heartbeat_interval_ms=200,
    )
    await consumer.start()
    try:
        message = await asyncio.wait_for(consumer.getone(), timeout=15)
        assert (message.key, message.value) == (b"k", b"hello")
        assert (message.partition, message.offset) == (sent.partition, sent.offset)
        await consumer.commit()
        committed = await consumer.committed(TopicPartition(topic, message.partition))
        assert committed == message.offset + 1
    finally:
        await consumer.stop()


@pytest.mark.asyncio
async def test_stop_redis_then_start_redis_on_same_url(servers: EmbeddedServers) -> None:
    url = servers.urls.redis_url
    before = _redis_client(url)
    try:
        assert await before.ping()
    finally:
        await before.aclose()

    servers.stop_redis()
    try:
        down = _redis_client(url)
        try:
            with pytest.raises(redis.exceptions.ConnectionError):
                await down.ping()
        finally:
            await down.aclose()
    finally:
        servers.start_redis()

    assert servers.urls.redis_url == url
    after = _redis_client(url)
    try:
        assert await after.ping()
        assert await after.set("after-restart", b"1")
    finally:
        await after.aclose()


async def test_postgres_is_fast_for_tests_and_crash_safe_when_durable(
    servers: EmbeddedServers, tmp_path: pathlib.Path
) -> None:
    async def settings_of(url: str) -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            return [
                await conn.fetchval(f"SHOW {name}")
                for name in ("fsync", "synchronous_commit", "full_page_writes")
            ]
        finally:
            await conn.close()

    assert await settings_of(servers.urls.database_url) == ["off", "off", "off"]
    durable = EmbeddedServers(
        tmp_path,
        redis_url=servers.urls.redis_url,
        kafka_bootstrap_servers=servers.urls.kafka_bootstrap_servers,
        durable=True,
    )
    with durable:
        urls = durable.start()
        assert await settings_of(urls.database_url) == ["on", "on", "on"]


def test_given_urls_start_nothing(tmp_path: pathlib.Path) -> None:
    before = _child_pids()
    given = ServerUrls(
        database_url="postgresql://app@db.example:5432/app",
        redis_url="redis://cache.example:6379/0",
        kafka_bootstrap_servers="kafka.example:9092",
    )
    embedded = EmbeddedServers(
        tmp_path,
        database_url=given.database_url,
        redis_url=given.redis_url,
        kafka_bootstrap_servers=given.kafka_bootstrap_servers,
    )
    with embedded:
        assert embedded.urls == given
        assert embedded.pids() == {}
        with pytest.raises(RuntimeError):
            embedded.stop_redis()
        assert _child_pids() == before


def test_stop_leaves_no_child_processes(tmp_path: pathlib.Path) -> None:
    before = _child_pids()
    embedded = EmbeddedServers(tmp_path)
    urls = embedded.start()
    children = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert set(embedded.pids().values()) <= {p.pid for p in children}
    assert len(children) > 3  # postmaster workers too

    embedded.stop()
    embedded.stop()  # idempotent

    assert _wait_gone(children, timeout=10) == []
    assert _child_pids() <= before
    for url in (urls.database_url, urls.redis_url):
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        assert not _port_open(port)
    assert not _port_open(int(urls.kafka_bootstrap_servers.rsplit(":", 1)[1]))


def test_failed_start_names_the_server_and_cleans_up(tmp_path: pathlib.Path) -> None:
    pgdata = tmp_path / "postgres" / "data"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("1\n")  # not a usable data directory
    before = _child_pids()
    embedded = EmbeddedServers(tmp_path, redis_url="redis://unused:1/0")
    with pytest.raises(RuntimeError, match="embedded postgres") as excinfo:
        embedded.start()
    assert "postgres.log" in str(excinfo.value)
    assert _wait_gone([psutil.Process(pid) for pid in _child_pids() - before], timeout=10) == []


_PARENT_SCRIPT = """
import json, os, pathlib, signal, sys
sys.path.insert(0, sys.argv[1])
from datasources.embedded import EmbeddedServers
servers = EmbeddedServers(pathlib.Path(sys.argv[2]))
servers.start()
pids = []
import psutil
for child in psutil.Process().children(recursive=True):
    pids.append([child.pid, child.create_time()])
print(json.dumps(pids), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no cleanup
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_servers_die_with_a_killed_parent(tmp_path: pathlib.Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PARENT_SCRIPT, str(REPO_ROOT), str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    procs: list[psutil.Process] = []
    for pid, created in json.loads(result.stdout):
        try:
            proc = psutil.Process(pid)
        except psutil.NoSuchProcess:
            continue
        if proc.create_time() == created:
            procs.append(proc)
    leftover = _wait_gone(procs, timeout=10)
    for proc in leftover:  # don't leak them from the test either
        proc.kill()
    assert leftover == []
