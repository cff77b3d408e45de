"""The profile consumer group on ucg.interactions.v1 (real broker, real Postgres): streamed
interactions admitted once per event id with consent, poison to the DLQ with a reason,
stitching at sign-in, identity link and merge, state that survives a restart."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from datasources.kafka import topics
from datasources.kafka.consumer import InboundConsumer
from datasources.kafka.interactions import interactions_consumer
from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.customer_helpers import gql, local_id, register, staff_token
from tests.helpers import unique
from tests.integration.interaction_support import (
    PROFILE_FIELDS,
    event,
    grant_consent,
    make_product,
    make_store,
    track,
)
from tests.kafka_helpers import consume_until, kafka_producer, running_consumer, wait_for


def streamed(event_id: str | None = None, ago: float = 30, **data: Any) -> bytes:
    at = (datetime.now(UTC) - timedelta(seconds=ago)).isoformat()
    body = {"type": "PRODUCT_VIEWED", "channel": "APP", "occurredAt": at, **data}
    for name, type_name in (("productId", "Product"), ("locationId", "Location"),
                            ("customerId", "Customer")):  # fmt: skip
        if isinstance(body.get(name), uuid.UUID):
            body[name] = to_global_id(type_name, body[name])
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id or unique("ix-"),
            "type": "ucg.interaction.v1",
            "source": "app/ios",
            "data": body,
        }
    ).encode()


@pytest.fixture
async def producer(env: TestEnv) -> AsyncIterator[AIOKafkaProducer]:
    async with kafka_producer(env) as p:
        yield p


@pytest.fixture
async def running(env: TestEnv) -> AsyncIterator[InboundConsumer]:
    async with running_consumer(env, interactions_consumer) as consumer:
        yield consumer


async def _state(db: asyncpg.Connection[Any], subject: str) -> dict[str, Any] | None:
    value = await db.fetchval("SELECT state FROM customer_profiles WHERE subject = $1", subject)
    return json.loads(value) if isinstance(value, str) else value


async def _handled(consumer: InboundConsumer, n: int) -> None:
    async def done() -> bool:
        return consumer.applied + consumer.duplicates + consumer.dead_lettered >= n

    await wait_for(done)


async def test_streamed_interactions_once_per_event_id_with_consent(
    env: TestEnv, db: asyncpg.Connection[Any], producer: AIOKafkaProducer, running: InboundConsumer
) -> None:
    product = await make_product(db, category="Boots", brand="Nordic")
    topic = env.settings().topic(topics.INTERACTIONS)
    view = streamed("ev-1", productId=product, deviceId="ios-1", consent=True)
    await producer.send_and_wait(topic, view, key=b"device:ios-1")
    await producer.send_and_wait(topic, view, key=b"device:ios-1")
    no_consent = streamed("ev-2", productId=product, deviceId="ios-2")
    await producer.send_and_wait(topic, no_consent, key=b"device:ios-2")
    await _handled(running, 3)
    assert running.applied == 2 and running.duplicates == 1
    assert await db.fetchval("SELECT count(*) FROM interactions") == 1
    assert await db.fetchval("SELECT device_id FROM interactions") == "ios-1"
    assert running.profile_counters.not_consented == 1  # type: ignore[attr-defined]
    state = await _state(db, "device:ios-1")
    assert state is not None and state["interactions"] == 1
    assert [v["productId"] for v in state["recentlyViewed"]] == [str(product)]
    assert set(state["categories"]) == {"Boots"} and set(state["brands"]) == {"Nordic"}
    assert await _state(db, "device:ios-2") is None


async def test_poison_goes_to_the_dlq_with_a_reason(
    env: TestEnv, db: asyncpg.Connection[Any], producer: AIOKafkaProducer, running: InboundConsumer
) -> None:
    product = await make_product(db)
    settings = env.settings()
    topic = settings.topic(topics.INTERACTIONS)
    poison = [
        b"{not json",
        streamed(type="CLICKED", productId=product, deviceId="d"),
        streamed(ago=-7200, productId=product, deviceId="d", consent=True),
        streamed(productId=product, customerId=uuid.uuid4()),
        streamed(productId=uuid.uuid4(), deviceId="d", consent=True),
        streamed(type="SEARCHED", searchTerm="jane@example.com", deviceId="d", consent=True),
    ]
    for value in poison:
        await producer.send_and_wait(topic, value, key=b"d")
    good = streamed(productId=product, deviceId="d", consent=True)
    await producer.send_and_wait(topic, good, key=b"d")
    await _handled(running, len(poison) + 1)
    assert await db.fetchval("SELECT count(*) FROM interactions") == 1
    dlq = AIOKafkaConsumer(
        topic + ".dlq",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=unique("dlq-reader."),
        auto_offset_reset="earliest",
        session_timeout_ms=3000,
        heartbeat_interval_ms=300,
    )
    await dlq.start()
    parked: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        async with asyncio.timeout(20):
            while len(parked) < len(poison):
                batch = await dlq.getmany(timeout_ms=300)
                for records in batch.values():
                    parked += [(r.value, dict(r.headers)) for r in records]
    finally:
        await dlq.stop()
    reasons = {v: h["reason"].decode() for v, h in parked}
    assert reasons[poison[0]].startswith("unparseable: not JSON")
    assert "schema violation at data/type" in reasons[poison[1]]
    assert reasons[poison[2]].startswith("unparseable: INVALID") and "future" in reasons[poison[2]]
    assert reasons[poison[3]].startswith("rejected: NOT_FOUND: Customer")
    assert reasons[poison[4]].startswith("rejected: NOT_FOUND: Product")
    assert (
        reasons[poison[5]].startswith("unparseable: INVALID") and "personal" in reasons[poison[5]]
    )
    assert running.dead_lettered == len(poison)


async def test_profile_state_survives_a_restart_and_dedupe_holds(
    env: TestEnv, db: asyncpg.Connection[Any], producer: AIOKafkaProducer
) -> None:
    product = await make_product(db)
    topic = env.settings().topic(topics.INTERACTIONS)
    first = streamed("ev-r1", productId=product, deviceId="r", consent=True)
    async with running_consumer(env, interactions_consumer) as consumer:
        await producer.send_and_wait(topic, first, key=b"r")
        await _handled(consumer, 1)
    # A new member of the group (a restart): it resumes from the committed offset, and a
    # redelivered event id changes nothing.
    async with running_consumer(env, interactions_consumer) as consumer:
        await producer.send_and_wait(topic, first, key=b"r")
        await producer.send_and_wait(
            topic, streamed("ev-r2", productId=product, deviceId="r", consent=True), key=b"r"
        )
        await _handled(consumer, 2)
        assert consumer.applied == 1 and consumer.duplicates == 1
    state = await _state(db, "device:r")
    assert state is not None and state["interactions"] == 2


async def test_sign_in_link_and_merge_stitch_anonymous_activity(
    env: TestEnv,
    db: asyncpg.Connection[Any],
    client: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    running: InboundConsumer,
) -> None:
    shoes = await make_product(db, category="Shoes", brand="Acme")
    coat = await make_product(db, category="Coats", brand="Nordic")
    topic = env.settings().topic(topics.INTERACTIONS)
    shopper = await register(client)
    sid = local_id(shopper["customer"]["id"])
    await grant_consent(client, shopper["accessToken"])
    # Anonymous on the phone, then signed in on the same device: stitched.
    await producer.send_and_wait(
        topic, streamed("s-1", productId=shoes, deviceId="phone", consent=True), key=b"phone"
    )
    await producer.send_and_wait(
        topic, streamed("s-2", ago=10, productId=coat, deviceId="phone", customerId=sid),
        key=str(sid).encode(),
    )  # fmt: skip
    await _handled(running, 2)
    assert await _state(db, "device:phone") is None
    state = await _state(db, f"customer:{sid}")
    assert state is not None and state["interactions"] == 2
    assert [v["productId"] for v in state["recentlyViewed"]] == [str(coat), str(shoes)]
    assert await db.fetchval("SELECT count(*) FROM interactions WHERE customer_id = $1", sid) == 2
    # Later anonymous interactions of that device are the customer's.
    await producer.send_and_wait(
        topic, streamed("s-3", ago=5, productId=shoes, deviceId="phone", consent=True), key=b"phone"
    )
    # A tablet browsed anonymously, then linked as a DEVICE identity: stitched too.
    await producer.send_and_wait(
        topic, streamed("s-4", ago=20, productId=coat, deviceId="tablet", consent=True), key=b"t"
    )
    await _handled(running, 4)
    body = await gql(
        client,
        """mutation { customerIdentityLink(input: {kind: DEVICE, value: "tablet"}) {
             userErrors { code } } }""",
        token=shopper["accessToken"],
    )
    assert body["data"]["customerIdentityLink"]["userErrors"] == []
    assert await _state(db, "device:tablet") is None
    state = await _state(db, f"customer:{sid}")
    assert state is not None and state["interactions"] == 4
    assert await db.fetchval("SELECT count(*) FROM interactions WHERE customer_id = $1", sid) == 4

    # A merge: the duplicate's activity and profile follow the survivor.
    other = await register(client)
    oid = local_id(other["customer"]["id"])
    await grant_consent(client, other["accessToken"])
    await producer.send_and_wait(
        topic, streamed("s-5", channel="POS", productId=shoes, customerId=oid), key=b"o"
    )
    await _handled(running, 5)
    staff = staff_token(env.settings(), Role.SUPPORT)
    body = await gql(
        client,
        "mutation($s: ID!, $m: ID!) { customerMerge(survivorId: $s, mergedId: $m) { merged } }",
        {"s": shopper["customer"]["id"], "m": other["customer"]["id"]},
        token=staff,
    )
    assert body["data"]["customerMerge"]["merged"] is True
    assert await _state(db, f"customer:{oid}") is None
    state = await _state(db, f"customer:{sid}")
    assert state is not None and state["interactions"] == 5
    assert state["channels"] == {"APP": 4, "POS": 1}
    assert await db.fetchval("SELECT count(*) FROM interactions WHERE customer_id = $1", sid) == 5

    # Read back over GraphQL: the customer themself, and the match rate for staff.
    body = await gql(client, f"{{ me {{ {PROFILE_FIELDS} }} }}", token=shopper["accessToken"])
    profile = body["data"]["me"]["profile"]
    assert profile["interactionCount"] == 5 and profile["preferredChannel"] == "APP"
    assert {a["key"] for a in profile["categoryAffinities"]} == {"Shoes", "Coats"}
    assert profile["rfm"]["segment"] == "PROSPECT"
    rate = await gql(
        client, "{ identityMatchRate { anonymousKeys matchedKeys rate attributedRate } }",
        token=staff,
    )  # fmt: skip
    assert rate["data"]["identityMatchRate"] == {
        "anonymousKeys": 2, "matchedKeys": 2, "rate": 1.0, "attributedRate": 1.0
    }  # fmt: skip
    # A sender still using the merged record's id files under the survivor.
    await producer.send_and_wait(
        topic, streamed("s-6", channel="POS", productId=shoes, customerId=oid), key=b"o"
    )
    await _handled(running, 6)
    state = await _state(db, f"customer:{sid}")
    assert state is not None and state["interactions"] == 6
    assert await _state(db, f"customer:{oid}") is None


async def test_mutation_interactions_reach_the_profile_through_the_relay(
    env: TestEnv, db: asyncpg.Connection[Any], running: InboundConsumer
) -> None:
    """interactionsTrack -> outbox -> relay -> ucg.interactions.v1 -> this group -> profile."""
    from datasources.kafka.relay import OutboxRelay
    from tests.helpers import app_client

    product = await make_product(db)
    store = await make_store(db)
    settings = env.settings()
    relay = OutboxRelay(settings)
    task = asyncio.create_task(relay.run())
    try:
        async with app_client(settings) as client:
            payload = await track(
                client,
                [
                    event("PRODUCT_VIEWED", productId=product, deviceId="web-9"),
                    event(
                        "STORE_VISITED", channel="POS", ago=5, locationId=store, deviceId="web-9"
                    ),
                ],
                consent=True,
            )
            assert payload["accepted"] == 2
            await _handled(running, 2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    state = await _state(db, "device:web-9")
    assert state is not None and state["interactions"] == 2
    assert state["stores"] == {str(store): 1} and state["lastSeenChannel"] == "POS"


async def test_ucg_consume_runs_the_profile_group(
    env: TestEnv, db: asyncpg.Connection[Any], producer: AIOKafkaProducer
) -> None:
    product = await make_product(db)
    topic = env.settings().topic(topics.INTERACTIONS)
    await producer.send_and_wait(
        topic, streamed("cli-1", productId=product, deviceId="cli", consent=True), key=b"cli"
    )

    async def folded() -> bool:
        return await _state(db, "device:cli") is not None

    assert await consume_until(env, "interactions", folded) == 0
    assert await db.fetchval("SELECT count(*) FROM interactions WHERE device_id = 'cli'") == 1


async def test_two_members_split_the_partitions_and_each_event_counts_once(
    env: TestEnv, db: asyncpg.Connection[Any], producer: AIOKafkaProducer
) -> None:
    product = await make_product(db)
    topic = env.settings().topic(topics.INTERACTIONS)
    sent: dict[str, int] = {}
    async with (
        running_consumer(env, interactions_consumer) as one,
        running_consumer(env, interactions_consumer) as two,
    ):
        # Keep sending (shoppers spread over the 3 partitions) until both members applied
        # some: the group split the partitions between them.
        async with asyncio.timeout(45):
            i = 0
            while one.applied == 0 or two.applied == 0:
                device = f"m-{i % 12}"
                sent[device] = sent.get(device, 0) + 1
                value = streamed(f"m-ev-{i}", productId=product, deviceId=device, consent=True)
                await producer.send_and_wait(topic, value, key=f"device:{device}".encode())
                i += 1
                await asyncio.sleep(0.05)  # noqa: ASYNC110 - pacing the producer, not waiting

        async def all_applied() -> bool:
            return one.applied + two.applied >= sum(sent.values())

        # A redelivery around the rebalance is a duplicate, never a second effect.
        await wait_for(all_applied)
    for device, count in sent.items():
        state = await _state(db, f"device:{device}")
        assert state is not None and state["interactions"] == count, device
