"""The composition root (api/bootstrap.py) builds each shared service once per process and
hands the same objects to the request context, the sweepers, the consumers and MCP."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from starlette.routing import Route

from api.app import create_app
from api.bootstrap import Services
from api.graphql_view import GraphQLView
from datasources.kafka.consumer import InboundConsumer
from datasources.postgres.authorization_sweeper import AuthorizationSweeper
from datasources.postgres.pickup_sweeper import PickupSweeper
from tests.conftest import TestEnv


async def test_serve_builds_one_pool_producer_and_gateway_for_everything(
    env: TestEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[asyncpg.Pool[Any]] = []
    real_create_pool = asyncpg.create_pool

    def counting_create_pool(*args: Any, **kwargs: Any) -> Any:
        pool = real_create_pool(*args, **kwargs)
        pools.append(pool)
        return pool

    monkeypatch.setattr(asyncpg, "create_pool", counting_create_pool)
    settings = env.settings(
        consumers_enabled=True,
        reservation_sweeper_enabled=True,
        relay_enabled=False,  # the relay keeps its own lock connection by design
        interaction_sweep_interval_seconds=3600,
        business_sli_interval_seconds=3600,
    )
    app = create_app(settings)
    services: Services = app.state.services
    async with app.router.lifespan_context(app):
        assert pools == [services.pool]  # one pool in the whole process
        assert services.producer is not None

        workers = app.state.background.workers
        consumers = [w for w in workers if isinstance(w, InboundConsumer)]
        assert len(consumers) == 4  # inventory, fulfillment, interactions, co-purchases
        assert all(c._pool is services.pool for c in consumers)
        assert all(c._producer is services.producer for c in consumers)
        sweepers = [w for w in workers if hasattr(w, "sweep_once")]
        assert len(sweepers) >= 3
        assert all(s._pool is services.pool for s in sweepers)
        paying = [w for w in workers if isinstance(w, (PickupSweeper, AuthorizationSweeper))]
        assert len(paying) == 2
        assert all(s._gateway is services.payments for s in paying)
        assert all(s._clock is services.clock for s in paying)

        views = [r.endpoint for r in app.routes if isinstance(r, Route)]
        graphql_views = [v for v in views if isinstance(v, GraphQLView)]
        assert len(graphql_views) == 6  # the supergraph and five subgraphs
        assert all(v.services is services for v in graphql_views)

        context = services.context()
        assert (context.pool, context.redis, context.producer) == (
            services.pool,
            services.redis,
            services.producer,
        )
        assert context.payments is services.payments
        assert context.cache is services.cache
        assert context.clock is services.clock
        assert context.events is services.event_hub is not None
        async with context.new_unit_of_work() as uow:
            assert await uow.conn.fetchval("SELECT 1") == 1
    assert len(pools) == 1


async def test_services_start_once_and_close_without_start(env: TestEnv) -> None:
    idle = Services(env.settings())
    await idle.close()  # never started: nothing to close, no error

    services = Services(env.settings(), pool_min=1, pool_max=1, with_producer=False)
    await services.start()
    try:
        assert services.producer is None
        assert services.pool.get_max_size() == 1
        with pytest.raises(RuntimeError, match="runs once"):
            await services.start()
        async with services.unit_of_work() as uow:
            assert await uow.conn.fetchval("SELECT 2") == 2
        assert services.context(request_id="r1").request_id == "r1"
    finally:
        await services.close()


async def test_consumers_dead_letter_through_the_shared_producer_and_leave_it_running(
    env: TestEnv,
) -> None:
    from aiokafka import AIOKafkaConsumer

    from datasources.kafka import topics
    from entrypoints.consumers import build_consumers

    settings = env.settings()
    services = Services(settings, pool_min=1, pool_max=2)
    await services.start()
    try:
        assert services.producer is not None
        (consumer,) = build_consumers(services, {"inventory"})
        task = asyncio.create_task(consumer.run())
        topic = settings.topic(topics.INVENTORY_ADJUSTMENTS)
        await services.producer.send_and_wait(topic, b"{not json", key=b"k")
        dlq = AIOKafkaConsumer(
            f"{topic}.dlq",
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"{settings.kafka_topic_prefix}bootstrap-dlq-reader",
            auto_offset_reset="earliest",
            session_timeout_ms=3000,
            heartbeat_interval_ms=300,
        )
        await dlq.start()
        parked: list[bytes | None] = []
        try:
            async with asyncio.timeout(20):
                while not parked:
                    batch = await dlq.getmany(timeout_ms=300)
                    parked += [r.value for records in batch.values() for r in records]
        finally:
            await dlq.stop()
        assert parked == [b"{not json"]
        assert consumer.dead_lettered == 1
        consumer.stop()
        await asyncio.wait_for(task, 20)
        # The consumer did not own the producer, so stopping it left the producer running.
        await services.producer.send_and_wait(topic, b"{still not json", key=b"k")
    finally:
        await services.close()
