"""Live subscriptions over a real WebSocket against `ucg serve` subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from websockets.exceptions import ConnectionClosed

from datasources.events.cloudevents import decode
from datasources.postgres.pool import create_pool
from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import customer_token, staff_token
from tests.live import (
    LEGACY_WS,
    GraphQLSocket,
    change_order_status,
    change_stock,
    new_customer,
    new_order,
    read_topic,
    wait_until,
)

ORDER_SUB = """subscription($id: ID!, $after: Int) {
  orderStatusChanged(orderId: $id, afterSequence: $after) {
    orderId status previousStatus sequence occurredAt eventId
  }
}"""
STOCK_SUB = """subscription($skus: [String!], $locations: [ID!]) {
  stockChanged(skus: $skus, locationIds: $locations) { sku locationId available onHand sequence }
}"""


@pytest.fixture
async def pool(env: TestEnv) -> AsyncIterator[asyncpg.Pool[Any]]:
    p = await create_pool(env.database_url, min_size=1, max_size=4)
    yield p
    await p.close()


def order_vars(order_id: uuid.UUID, after: int | None = 0) -> dict[str, Any]:
    return {"id": to_global_id("Order", order_id), "after": after}


async def receive_changes(socket: GraphQLSocket, count: int) -> list[dict[str, Any]]:
    return [(await socket.next_data())["orderStatusChanged"] for _ in range(count)]


@pytest.mark.slow
async def test_customer_sees_own_order_changes_in_order_and_no_one_elses(
    env: TestEnv, serve: Any, pool: asyncpg.Pool[Any]
) -> None:
    server = serve()
    alice, bob = await new_customer(pool), await new_customer(pool)
    alice_order, bob_order = await new_order(pool, alice), await new_order(pool, bob)

    as_alice = await GraphQLSocket.open(server.url, token=customer_token(env.settings(), alice))
    await as_alice.subscribe(ORDER_SUB, order_vars(alice_order))
    as_staff = await GraphQLSocket.open(server.url, token=staff_token(env.settings(), Role.SUPPORT))
    await as_staff.subscribe(ORDER_SUB, order_vars(bob_order))

    # Statuses are OrderStatus values (orders.status has a CHECK, migration 0013).
    await change_order_status(pool, bob_order, "IN_PROGRESS")
    for status in ("IN_PROGRESS", "PARTIALLY_FULFILLED", "FULFILLED"):
        await change_order_status(pool, alice_order, status)
    await change_order_status(pool, bob_order, "CANCELLED")
    await change_order_status(pool, alice_order, "COMPLETED")

    changes = await receive_changes(as_alice, 4)
    assert [c["sequence"] for c in changes] == [1, 2, 3, 4]
    assert [c["status"] for c in changes] == [
        "IN_PROGRESS",
        "PARTIALLY_FULFILLED",
        "FULFILLED",
        "COMPLETED",
    ]
    assert [c["previousStatus"] for c in changes] == [
        "UNFULFILLED",
        "IN_PROGRESS",
        "PARTIALLY_FULFILLED",
        "FULFILLED",
    ]
    assert {c["orderId"] for c in changes} == {to_global_id("Order", alice_order)}
    # The staff watcher of Bob's order is the barrier: once it has both of Bob's changes,
    # the server has fanned them out, and Alice got none of them.
    bob_changes = await receive_changes(as_staff, 2)
    assert [c["status"] for c in bob_changes] == ["IN_PROGRESS", "CANCELLED"]
    await as_alice.nothing_within(0.3)

    # Alice may not follow Bob's order.
    await as_alice.subscribe(ORDER_SUB, order_vars(bob_order))
    refused = await as_alice.receive()
    assert refused["type"] in ("next", "error"), refused
    errors = refused["payload"]["errors"] if refused["type"] == "next" else refused["payload"]
    # Like an order that does not exist: no answer tells Alice that the id is Bob's.
    assert errors[0].get("extensions", {}).get("code") == "NOT_FOUND", refused
    await as_alice.close()
    await as_staff.close()


@pytest.mark.slow
async def test_resume_with_after_sequence_delivers_exactly_the_missed_changes(
    env: TestEnv, serve: Any, pool: asyncpg.Pool[Any]
) -> None:
    server = serve()
    alice = await new_customer(pool)
    order = await new_order(pool, alice)
    token = customer_token(env.settings(), alice)

    # The legacy graphql-ws protocol, to cover both.
    first = await GraphQLSocket.open(server.url, token=token, protocol=LEGACY_WS)
    await first.subscribe(ORDER_SUB, order_vars(order))
    await change_order_status(pool, order, "IN_PROGRESS")
    await change_order_status(pool, order, "READY_FOR_PICKUP")
    seen = await receive_changes(first, 2)
    assert [c["sequence"] for c in seen] == [1, 2]
    await first.close()

    # Missed while disconnected.
    await change_order_status(pool, order, "PARTIALLY_FULFILLED")
    await change_order_status(pool, order, "FULFILLED")

    # Resume while more changes are being committed: the replay/live seam must hold.
    second = await GraphQLSocket.open(server.url, token=token, protocol=LEGACY_WS)

    async def keep_changing() -> None:
        for n in range(6):
            # Each change differs from the one before (an OrderStatus value each).
            await change_order_status(
                pool, order, "PARTIALLY_FULFILLED" if n % 2 == 0 else "FULFILLED"
            )

    writer = asyncio.create_task(keep_changing())
    await second.subscribe(ORDER_SUB, order_vars(order, after=seen[-1]["sequence"]))
    resumed = await receive_changes(second, 8)
    await writer
    assert [c["sequence"] for c in resumed] == list(range(3, 11))
    assert [c["status"] for c in resumed[:2]] == ["PARTIALLY_FULFILLED", "FULFILLED"]
    await change_order_status(pool, order, "COMPLETED")
    last = await receive_changes(second, 1)
    assert last[0]["sequence"] == 11 and last[0]["status"] == "COMPLETED"
    await second.nothing_within(0.3)
    await second.close()


@pytest.mark.slow
async def test_stock_subscriber_filtered_to_two_skus_sees_only_those(
    env: TestEnv, serve: Any, pool: asyncpg.Pool[Any]
) -> None:
    server = serve()
    here, there = uuid.uuid4(), uuid.uuid4()
    sku_a, sku_b, sku_c = (f"SKU-{uuid.uuid4().hex[:6]}" for _ in range(3))
    anonymous = await GraphQLSocket.open(server.url)
    await anonymous.subscribe(STOCK_SUB, {"skus": [sku_a, sku_b]})
    at_here = await GraphQLSocket.open(
        server.url, token=staff_token(env.settings(), Role.STORE_ASSOCIATE)
    )
    await at_here.subscribe(
        STOCK_SUB, {"skus": [sku_a], "locations": [to_global_id("Location", here)]}
    )

    # A live-only subscription has no replay: probe until both subscriptions are registered.
    async def probe() -> None:
        on_hand = 1000
        while True:
            on_hand += 1
            await change_stock(pool, sku_a, here, on_hand)
            await asyncio.sleep(0.05)

    prober = asyncio.create_task(probe())
    first_anon = (await anonymous.next_data(within=15))["stockChanged"]
    first_staff = (await at_here.next_data(within=15))["stockChanged"]
    prober.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await prober
    assert first_anon["sku"] == first_staff["sku"] == sku_a

    for sku, location, on_hand in (
        (sku_c, here, 5),
        (sku_b, there, 7),
        (sku_c, there, 9),
        (sku_a, there, 3),
        (sku_b, here, 2),
        (sku_a, here, 11),
    ):
        await change_stock(pool, sku, location, on_hand)

    # Skip the probe's changes (available >= 1000), then collect what the real ones produced.
    # Different stock levels may sit on different partitions: compare without order.
    async def real_changes(socket: GraphQLSocket, count: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while len(got) < count:
            change = (await socket.next_data())["stockChanged"]
            if change["available"] < 1000:
                got.append(change)
        return got

    anon = await real_changes(anonymous, 4)
    assert sorted((c["sku"], c["available"]) for c in anon) == sorted(
        [(sku_b, 7), (sku_a, 3), (sku_b, 2), (sku_a, 11)]
    )
    assert all(c["onHand"] is None for c in anon), "onHand is for staff only"
    staff = await real_changes(at_here, 1)
    assert [(c["sku"], c["locationId"], c["onHand"]) for c in staff] == [
        (sku_a, to_global_id("Location", here), 11)
    ]
    # Every change has reached the anonymous subscriber, so the server has fanned them all
    # out: neither subscriber gets anything more (sku_c, or sku_a elsewhere for staff).
    await anonymous.nothing_within(0.3)
    await at_here.nothing_within(0.3)
    await anonymous.close()
    await at_here.close()


@pytest.mark.slow
async def test_two_instances_share_events(
    env: TestEnv, serve: Any, pool: asyncpg.Pool[Any]
) -> None:
    first, second = serve(), serve()
    customer = await new_customer(pool)
    order = await new_order(pool, customer)
    token = customer_token(env.settings(), customer)
    on_first = await GraphQLSocket.open(first.url, token=token)
    on_second = await GraphQLSocket.open(second.url, token=token)
    await on_first.subscribe(ORDER_SUB, order_vars(order))
    await on_second.subscribe(ORDER_SUB, order_vars(order))
    await change_order_status(pool, order, "IN_PROGRESS")
    for socket in (on_first, on_second):
        assert (await receive_changes(socket, 1))[0]["status"] == "IN_PROGRESS"
    # Both subscriptions are live now (past any replay): this one comes through Kafka.
    await change_order_status(pool, order, "FULFILLED")
    for socket in (on_first, on_second):
        changes = await receive_changes(socket, 1)
        assert [(c["sequence"], c["status"]) for c in changes] == [(2, "FULFILLED")]

    # Exactly one of the two relays published them, once.
    async def both_published() -> bool:
        count = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
        return bool(count == 2)

    await wait_until(both_published, what="the outbox to be published")
    messages = await read_topic(
        env.servers.kafka_bootstrap_servers, f"{env.prefix}ucg.orders.v1", lambda m: len(m) >= 2
    )
    assert sorted(decode(m.value).sequence for m in messages) == [1, 2]
    await on_first.close()
    await on_second.close()


@pytest.mark.slow
async def test_bad_token_is_refused_and_anonymous_cannot_follow_orders(
    env: TestEnv, serve: Any, pool: asyncpg.Pool[Any]
) -> None:
    server = serve()
    with pytest.raises((ConnectionRefusedError, ConnectionClosed)):
        socket = await GraphQLSocket.open(server.url, token="not-a-token")
        await socket.receive()
    order = await new_order(pool, await new_customer(pool))
    anonymous = await GraphQLSocket.open(server.url)
    await anonymous.subscribe(ORDER_SUB, order_vars(order))
    refused = await anonymous.receive()
    errors = refused["payload"]["errors"] if refused["type"] == "next" else refused["payload"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    await anonymous.close()


@pytest.mark.slow
async def test_a_subscriber_that_falls_behind_is_closed_with_4429_and_others_go_on(
    env: TestEnv, serve: Any, pool: asyncpg.Pool[Any]
) -> None:
    server = serve(UCG_SUBSCRIPTION_QUEUE_SIZE="2")
    busy_sku, other_sku = f"SKU-{uuid.uuid4().hex[:6]}", f"SKU-{uuid.uuid4().hex[:6]}"
    flooded = await GraphQLSocket.open(server.url)
    await flooded.subscribe(STOCK_SUB, {"skus": [busy_sku]})
    bystander = await GraphQLSocket.open(server.url)
    await bystander.subscribe(STOCK_SUB, {"skus": [other_sku]})
    here = uuid.uuid4()

    # One change at a time until the bystander's subscription is live: with a queue of 2,
    # a burst of probes could itself overflow it on a slow machine.
    async with asyncio.timeout(30):
        while True:
            await change_stock(pool, other_sku, here, 1)
            try:
                await bystander.next_data(within=1)
                break
            except TimeoutError:
                continue
    # The flooded subscription is registered once a change for it gets through.
    await change_stock(pool, busy_sku, here, 1)
    await flooded.next_data(within=15)

    # A burst: many stock levels of one SKU in one transaction, far more than 2 queued.
    from datasources.postgres.uow import UnitOfWork
    from domain.models import OutboxEvent

    async with UnitOfWork(pool) as uow:
        for n in range(60):
            location = uuid.uuid4()
            await uow.add_event(
                OutboxEvent(
                    "ucg.inventory.v1",
                    "ucg.inventory.stock_changed.v1",
                    "StockLevel",
                    f"{busy_sku}@{location}",
                    {
                        "sku": busy_sku,
                        "locationId": str(location),
                        "onHand": n,
                        "reserved": 0,
                        "available": n,
                    },
                )
            )
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await flooded.receive(within=15)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
    # Nobody else was held up: the other subscriber still gets its changes.
    await change_stock(pool, other_sku, here, 42)
    while (await bystander.next_data())["stockChanged"]["available"] != 42:
        pass
    await bystander.close()


@pytest.mark.slow
async def test_legacy_protocol_answers_queries_and_mutations_over_start(
    env: TestEnv, serve: Any, pool: asyncpg.Pool[Any]
) -> None:
    """subscriptions-transport-ws carried every operation type: one `data`, then `complete`."""
    server = serve()
    socket = await GraphQLSocket.open(server.url, protocol=LEGACY_WS)
    query_id = await socket.subscribe("{ __typename locations { code } }")
    answer = await socket.receive()
    assert answer["type"] == "data" and answer["id"] == query_id, answer
    assert answer["payload"]["data"] == {"__typename": "Query", "locations": []}
    assert answer["payload"]["extensions"]["cost"]["requestedQueryCost"] >= 1
    assert await socket.receive() == {"type": "complete", "id": query_id}

    email = f"legacy-{uuid.uuid4().hex[:8]}@example.com"
    mutation_id = await socket.subscribe(
        """mutation($input: CustomerRegisterInput!) {
             customerRegister(input: $input) { customer { displayName } userErrors { code } }
           }""",
        {"input": {"email": email, "password": "correct horse battery"}},
    )
    registered = await socket.receive()
    assert registered["type"] == "data" and registered["id"] == mutation_id, registered
    assert registered["payload"]["data"]["customerRegister"]["userErrors"] == []
    assert await socket.receive() == {"type": "complete", "id": mutation_id}
    stored = await pool.fetchval(
        "SELECT count(*) FROM customer_identities WHERE kind = 'EMAIL' AND normalized = $1", email
    )
    assert stored == 1
    await socket.close()


@pytest.mark.slow
async def test_shared_stock_subscriptions_are_charged_to_the_clients_rate_limit(
    env: TestEnv, serve: Any
) -> None:
    # A bucket of 2 points that hardly refills; each stockChanged subscription costs 1.
    server = serve(
        UCG_MAX_QUERY_COST="2", UCG_RATE_LIMIT_CAPACITY="2", UCG_RATE_LIMIT_RESTORE_RATE="0.001"
    )
    socket = await GraphQLSocket.open(server.url)
    for sku in ("A", "B"):
        await socket.subscribe(STOCK_SUB, {"skus": [f"{sku}-{uuid.uuid4().hex[:6]}"]})
    await socket.nothing_within(0.3)  # both accepted, silently waiting for changes
    await socket.subscribe(STOCK_SUB, {"skus": ["C"]})
    refused = await socket.receive()
    assert refused["type"] == "error", refused
    assert refused["payload"][0]["extensions"]["code"] == "THROTTLED"
    await socket.close()
