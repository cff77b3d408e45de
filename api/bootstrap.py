"""The composition root: what one process shares, built once and handed to everything.

`Services` holds the Postgres pool, the Redis client, the Kafka producer, the payment
gateway, the unit-of-work factory, the clock and the read-through cache. Every entry point
builds one (`ucg serve` in the app lifespan, `ucg mcp`, `ucg consume`, `ucg relay`) and
passes it on: the per-request `Context` (`Services.context`), the sweepers and consumers
(`entrypoints/background.py`), the MCP tools and the event hub. Nothing else opens a pool
or a client of its own, except the outbox relay: it holds its advisory lock on a dedicated
connection and replaces its producer after a send fails (`datasources/kafka/relay.py`).

Construct with the settings, `await start()`, `await close()`; a `Services` is not usable
before `start()`, and `start()` runs once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import redis.asyncio as redis
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from api.settings import Settings, payment_gateway
from datasources.kafka import topics
from datasources.kafka.client import create_producer, ensure_topics
from datasources.kafka.fanout import EventHub
from datasources.postgres.cart_cleanup import run_cart_cleanup
from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from datasources.redis.cache import ReadThroughCache
from datasources.redis.client import create_redis
from domain.auth import Principal
from domain.order.payments import PaymentGateway
from resolvers.context import Context

log = logging.getLogger("ucg.bootstrap")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, timezone-aware (UTC)."""
    return datetime.now(UTC)


@dataclass
class Services:
    """One process's shared services; `start()` builds each exactly once."""

    settings: Settings
    # Pool bounds; None: the settings' UCG_DB_POOL_MIN / UCG_DB_POOL_MAX.
    pool_min: int | None = None
    pool_max: int | None = None
    # `ucg relay` and `ucg consume` publish nothing through the shared producer.
    with_producer: bool = True
    # The periodic delete of abandoned carts (`ucg serve` only).
    with_cart_cleanup: bool = False
    clock: Clock = system_clock
    pool: asyncpg.Pool[Any] = field(init=False)
    redis: redis.Redis = field(init=False)
    payments: PaymentGateway = field(init=False)
    producer: AIOKafkaProducer | None = field(default=None, init=False)
    cache: ReadThroughCache = field(init=False)
    # Set by api/live.py in the app lifespan: this process's event consumer and fan-out.
    event_hub: EventHub | None = field(default=None, init=False)
    started: bool = field(default=False, init=False)
    _cart_cleanup: asyncio.Task[None] | None = field(default=None, init=False)
    _cart_cleanup_stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    async def start(self) -> None:
        s = self.settings
        assert s.database_url and s.redis_url and s.kafka_bootstrap_servers
        if self.started:
            raise RuntimeError("Services.start() runs once per process")
        self.started = True
        self.pool = await create_pool(
            s.database_url,
            min_size=s.db_pool_min if self.pool_min is None else self.pool_min,
            max_size=s.db_pool_max if self.pool_max is None else self.pool_max,
        )
        self.payments = payment_gateway(s, self.pool)
        self.redis = create_redis(s.redis_url)
        self.cache = ReadThroughCache(self.redis, s.cache_key_prefix, s.cache_ttl_seconds)
        await ensure_topics(s.kafka_bootstrap_servers, [s.topic(t) for t in topics.ALL])
        if self.with_producer:
            self.producer = create_producer(
                s.kafka_bootstrap_servers, enable_idempotence=s.kafka_enable_idempotence
            )
            await self.producer.start()
        if self.with_cart_cleanup and s.cart_cleanup_interval_seconds > 0:
            self._cart_cleanup = asyncio.create_task(
                run_cart_cleanup(
                    self.pool,
                    interval_seconds=s.cart_cleanup_interval_seconds,
                    grace=timedelta(hours=s.cart_cleanup_grace_hours),
                    stop=self._cart_cleanup_stop,
                )
            )

    async def close(self) -> None:
        if not self.started:
            return
        if self._cart_cleanup is not None:
            self._cart_cleanup_stop.set()
            await self._cart_cleanup
            self._cart_cleanup = None
        closers = [self.redis.aclose, self.pool.close]
        if self.producer is not None:
            closers.insert(0, self.producer.stop)
        for closer in closers:
            try:
                await closer()
            except Exception:  # noqa: BLE001 - close the rest even if one fails
                log.exception("error while closing a service")

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work on the shared pool (`async with services.unit_of_work():`)."""
        return UnitOfWork(self.pool)

    def context(
        self,
        *,
        principal: Principal | None = None,
        request_id: str | None = None,
        request: Any = None,
        response: Any = None,
        cart_tokens: list[str] | None = None,
        internal: bool = False,
    ) -> Context:
        """The resolvers' context of one operation, over these services."""
        return Context(
            pool=self.pool,
            redis=self.redis,
            producer=self.producer,
            request_id=request_id or uuid.uuid4().hex,
            principal=principal,
            settings=self.settings,
            request=request,
            response=response,
            events=self.event_hub,
            payments=self.payments,
            cart_tokens=cart_tokens,
            internal=internal,
            unit_of_work=self.unit_of_work,
            clock=self.clock,
            cache=self.cache,
        )

    async def readiness(self) -> dict[str, bool]:
        """Which backing servers answer now (each checked with a short timeout)."""

        async def postgres() -> bool:
            async with self.pool.acquire(timeout=1) as conn:
                return bool(await conn.fetchval("SELECT 1", timeout=1))

        async def redis_ok() -> bool:
            return bool(await self.redis.ping())

        async def kafka() -> bool:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.settings.kafka_bootstrap_servers, request_timeout_ms=1000
            )
            await admin.start()
            try:
                await admin.list_topics()
                return True
            finally:
                await admin.close()

        async def check(probe: Callable[[], Any]) -> bool:
            try:
                return bool(await asyncio.wait_for(probe(), timeout=2))
            except Exception:  # noqa: BLE001 - any failure means not ready
                return False

        results = await asyncio.gather(check(postgres), check(redis_ok), check(kafka))
        return dict(zip(("postgres", "redis", "kafka"), results, strict=True))
