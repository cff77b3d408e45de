"""Long-lived resources of one API process, opened and closed in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import redis.asyncio as redis
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from api.settings import Settings, payment_gateway
from datasources.kafka import topics
from datasources.kafka.client import create_producer, ensure_topics
from datasources.postgres.cart_cleanup import run_cart_cleanup
from datasources.postgres.pool import create_pool
from datasources.redis.client import create_redis
from domain.order.payments import PaymentGateway

log = logging.getLogger("ucg.resources")


@dataclass
class Resources:
    settings: Settings
    pool: asyncpg.Pool[Any] = field(init=False)
    redis: redis.Redis = field(init=False)
    payments: PaymentGateway = field(init=False)
    producer: AIOKafkaProducer = field(init=False)
    # Set by api/live.py in the app lifespan: this process's event consumer and fan-out.
    event_hub: Any = field(default=None, init=False)

    async def open(self) -> None:
        s = self.settings
        assert s.database_url and s.redis_url and s.kafka_bootstrap_servers
        self.pool = await create_pool(
            s.database_url, min_size=s.db_pool_min, max_size=s.db_pool_max
        )
        self.payments = payment_gateway(s, self.pool)
        self.redis = create_redis(s.redis_url)
        await ensure_topics(s.kafka_bootstrap_servers, [s.topic(t) for t in topics.ALL])
        self.producer = create_producer(
            s.kafka_bootstrap_servers, enable_idempotence=s.kafka_enable_idempotence
        )
        await self.producer.start()
        self._start_cart_cleanup()

    def _start_cart_cleanup(self) -> None:
        self._cart_cleanup_stop = asyncio.Event()
        self._cart_cleanup: asyncio.Task[None] | None = None
        if self.settings.cart_cleanup_interval_seconds > 0:
            self._cart_cleanup = asyncio.create_task(
                run_cart_cleanup(
                    self.pool,
                    interval_seconds=self.settings.cart_cleanup_interval_seconds,
                    grace=timedelta(hours=self.settings.cart_cleanup_grace_hours),
                    stop=self._cart_cleanup_stop,
                )
            )

    async def _stop_cart_cleanup(self) -> None:
        if getattr(self, "_cart_cleanup", None) is not None:
            self._cart_cleanup_stop.set()
            await self._cart_cleanup  # type: ignore[misc]

    async def close(self) -> None:
        await self._stop_cart_cleanup()
        for closer in (self.producer.stop, self.redis.aclose, self.pool.close):
            try:
                await closer()
            except Exception:  # noqa: BLE001 - close the rest even if one fails
                log.exception("error while closing a resource")

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

        async def check(probe: Any) -> bool:
            try:
                return bool(await asyncio.wait_for(probe(), timeout=2))
            except Exception:  # noqa: BLE001 - any failure means not ready
                return False

        results = await asyncio.gather(check(postgres), check(redis_ok), check(kafka))
        return dict(zip(("postgres", "redis", "kafka"), results, strict=True))
