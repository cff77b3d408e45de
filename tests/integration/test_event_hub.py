"""The in-process event hub: fan-out by key, slow subscribers, invalidation, bad messages."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
import redis.asyncio as redis
from aiokafka import AIOKafkaProducer

from datasources.events.cloudevents import CloudEvent, decode, encode, envelope
from datasources.events.invalidation import register_invalidator
from datasources.kafka.fanout import EventHub
from datasources.kafka.relay import OutboxRelay
from datasources.postgres.pool import create_pool
from tests.conftest import TestEnv
from tests.live import change_stock, wait_until

STOCK = "ucg.inventory.stock_changed.v1"


def stock_event(sku: str, sequence: int = 1) -> CloudEvent:
    location = uuid.uuid4()
    raw = envelope(
        event_id=uuid.uuid4(),
        event_type=STOCK,
        subject=f"{sku}@{location}",
        sequence=sequence,
        time=datetime.now(UTC),
        data={"sku": sku, "locationId": str(location), "onHand": 1, "reserved": 0, "available": 1},
    )
    return decode(encode(raw))


async def test_a_slow_subscriber_is_closed_and_nobody_else_waits(env: TestEnv) -> None:
    hub = EventHub(env.settings(subscription_queue_size=3))
    closed: list[str] = []
    slow = hub.subscribe([("sku", "A")], on_overflow=lambda: closed.append("slow"))
    fast = hub.subscribe([("sku", "A")], on_overflow=lambda: closed.append("fast"))
    other = hub.subscribe([("sku", "B")], on_overflow=lambda: closed.append("other"))
    received = []
    for n in range(1, 11):
        assert hub.dispatch(stock_event("A", n)) >= 1
        received.append((await asyncio.wait_for(fast.get(), 1)).sequence)
    assert received == list(range(1, 11))
    assert closed == ["slow"], "only the subscriber that did not drain is closed, once"
    assert slow.closed and not fast.closed and hub.stats.overflows == 1
    assert hub.subscriber_count == 2, "the closed subscriber left the index"
    assert other.queue.empty(), "events are delivered by key, not to everyone"


async def test_a_subscriber_under_two_keys_gets_an_event_once(env: TestEnv) -> None:
    hub = EventHub(env.settings())
    both = hub.subscribe([("sku", "A"), ("sku", "*")])
    assert hub.dispatch(stock_event("A")) == 1
    assert both.queue.qsize() == 1
    hub.unsubscribe(both)
    assert hub.dispatch(stock_event("A")) == 0 and hub.subscriber_count == 0


@pytest.fixture
async def pool(env: TestEnv) -> AsyncIterator[asyncpg.Pool[Any]]:
    p = await create_pool(env.database_url, min_size=1, max_size=4)
    yield p
    await p.close()


@pytest.fixture
async def hub(env: TestEnv) -> AsyncIterator[EventHub]:
    client = redis.Redis.from_url(env.servers.redis_url)
    hub = EventHub(env.settings(), client)
    # The topics exist before a hub starts (Services.start creates them in the app).
    from datasources.kafka import topics
    from datasources.kafka.client import ensure_topics

    await ensure_topics(env.servers.kafka_bootstrap_servers, [env.prefix + t for t in topics.ALL])
    await hub.start()
    yield hub
    await hub.stop()
    await client.aclose()


async def test_events_invalidate_cache_entries_before_subscribers_hear_of_them(
    env: TestEnv, hub: EventHub, pool: asyncpg.Pool[Any]
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    cache_key = f"{env.prefix}availability:{sku}"
    await hub.redis.set(cache_key, "stale")
    key_when_delivered: list[Any] = []

    async def drop_availability(event: CloudEvent, client: Any) -> None:
        if event.data["sku"] == sku:
            await client.delete(cache_key)

    unregister = register_invalidator(STOCK, drop_availability)
    subscriber = hub.subscribe([("sku", sku)])
    try:
        async with contextlib.AsyncExitStack() as stack:
            relay_task = asyncio.create_task(OutboxRelay(env.settings()).run())
            stack.callback(relay_task.cancel)
            await change_stock(pool, sku, uuid.uuid4(), 4)
            event = await asyncio.wait_for(subscriber.get(), 15)
            key_when_delivered.append(await hub.redis.get(cache_key))
        assert event.data["sku"] == sku
        assert key_when_delivered == [None], "the cache entry was gone before delivery"
    finally:
        unregister()
        hub.unsubscribe(subscriber)


async def test_invalid_messages_are_dropped_and_valid_ones_still_flow(
    env: TestEnv, hub: EventHub
) -> None:
    subscriber = hub.subscribe([("sku", "GOOD")])
    good = envelope(
        event_id=uuid.uuid4(),
        event_type=STOCK,
        subject="GOOD@x",
        sequence=1,
        time=datetime.now(UTC),
        data={
            "sku": "GOOD",
            "locationId": str(uuid.uuid4()),
            "onHand": 1,
            "reserved": 0,
            "available": 1,
        },
    )
    bad_data = {**good, "id": str(uuid.uuid4()), "data": {"sku": "GOOD"}}
    producer = AIOKafkaProducer(bootstrap_servers=env.servers.kafka_bootstrap_servers)
    await producer.start()
    try:
        topic = env.prefix + "ucg.inventory.v1"
        for value in (b"not json", encode(bad_data), encode(good), encode(good)):
            await producer.send_and_wait(topic, value, key=b"GOOD@x")
    finally:
        await producer.stop()
    event = await asyncio.wait_for(subscriber.get(), 15)
    assert str(event.id) == good["id"]

    async def all_seen() -> bool:
        return hub.stats.received >= 4

    await wait_until(all_seen, what="the hub to read every message")
    assert hub.stats.invalid == 2 and hub.stats.duplicates == 1
    assert subscriber.queue.empty(), "the redelivered event is not delivered twice"


async def test_an_event_off_its_schema_fails_the_write_and_nothing_is_applied(
    pool: asyncpg.Pool[Any],
) -> None:
    from datasources.events.schemas import InvalidEvent
    from datasources.postgres.uow import UnitOfWork
    from domain.models import OutboxEvent

    with pytest.raises(InvalidEvent, match="required property"):
        async with UnitOfWork(pool) as uow:
            await uow.conn.execute("INSERT INTO customers (display_name) VALUES ('x')")
            await uow.add_event(
                OutboxEvent("ucg.inventory.v1", STOCK, "StockLevel", "S@L", {"sku": "S"})
            )
    assert await pool.fetchval("SELECT count(*) FROM customers") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_one_stock_event_is_executed_once_per_distinct_selection(env: TestEnv) -> None:
    from domain.auth import Principal, PrincipalKind, Role
    from resolvers.context import Context
    from resolvers.supergraph import supergraph_schema

    hub = EventHub(env.settings())
    schema = supergraph_schema()
    query = 'subscription { stockChanged(skus: ["A"]) { sku available onHand sequence } }'
    staff = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.STORE_ASSOCIATE}))

    async def subscribe(principal: Principal | None) -> Any:
        context = Context(pool=None, redis=None, producer=None, request_id="t", events=hub)  # type: ignore[arg-type]
        context.principal = principal
        stream = await schema.subscribe(query, context_value=context)
        return stream, asyncio.ensure_future(stream.__anext__())

    streams = [await subscribe(p) for p in (None, None, staff)]

    async def registered() -> bool:
        return hub.subscriber_count == 3

    await wait_until(registered, what="three subscribers")
    hub.dispatch(stock_event("A"))
    results = [await asyncio.wait_for(first, 5) for _, first in streams]
    anonymous_1, anonymous_2, as_staff = (r.data for r in results)
    assert anonymous_1["stockChanged"]["onHand"] is None
    assert as_staff["stockChanged"]["onHand"] == 1
    assert anonymous_1 is anonymous_2, "same selection, same viewer: executed once"
    assert as_staff is not anonymous_1, "a different viewer class is executed on its own"
    for stream, _ in streams:
        await stream.aclose()
