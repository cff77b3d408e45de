"""productRecommendations over HTTP on real servers: RELATED and COMPLEMENTARY on the demo
catalog (constant SQL whatever `first`), COMPLEMENTARY following a real checkout's
ucg.order.created.v1 through the relay and the co-purchase consumer group (once per event
id), staff picks first, FOR_YOU changed by an interaction, the PERSONAL sort, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer

from datasources.kafka import topics
from datasources.kafka.co_purchases import co_purchases_consumer
from datasources.kafka.interactions import interactions_consumer
from datasources.kafka.relay import OutboxRelay
from datasources.postgres.pool import log_statements
from datasources.postgres.seed import _id, seed_demo
from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token, unique
from tests.integration.interaction_support import event, track
from tests.integration.test_outbox_relay import running as running_relay
from tests.kafka_helpers import kafka_producer, running_consumer, wait_for
from tests.order_helpers import complete
from tests.stock_helpers import make_location, make_variant, receive

RECS = """query($id: ID, $intent: RecommendationIntent!, $n: Int!, $ch: String,
                $shopper: ShopperInput) {
  productRecommendations(productId: $id, intent: $intent, first: $n, channel: $ch,
                         shopper: $shopper) {
    product { id handle title productType } reason reasonText score } }"""
SET = """mutation($id: ID!, $intent: RecommendationIntent!, $ids: [ID!]!) {
  productRecommendationsSet(productId: $id, intent: $intent, productIds: $ids) {
    productIds userErrors { code field message } } }"""


def pid(handle: str) -> str:
    return to_global_id("Product", _id("product", handle))


async def recs(client: httpx.AsyncClient, **variables: Any) -> list[dict[str, Any]]:
    body = await graphql(client, RECS, {"intent": "RELATED", "n": 10, **variables})
    assert "errors" not in body, body
    items: list[dict[str, Any]] = body["data"]["productRecommendations"]
    return items


async def _statements(client: httpx.AsyncClient, variables: dict[str, Any]) -> int:
    with log_statements() as seen:
        await recs(client, **variables)
    housekeeping = ("pg_advisory_unlock_all", "typeinfo_tree", "jit")
    return len([q for q in seen if not any(mark in q for mark in housekeeping)])


async def test_related_complementary_and_staff_picks_on_the_demo_catalog(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    jacket = pid("rain-navy-jacket")
    related = await recs(client, id=jacket, ch="WEB")
    assert len(related) == 10
    assert all(r["reason"] == "SIMILAR" for r in related)
    assert all(r["product"]["productType"] == "Jacket" for r in related)
    assert related[0]["reasonText"].startswith("Also a Jacket; tagged ")
    scores = [r["score"] for r in related]
    assert scores == sorted(scores, reverse=True) and jacket not in [
        r["product"]["id"] for r in related
    ]
    # The demo's orders buy a Rain jacket with Trail sneakers of the same colour.
    bought = await recs(client, id=jacket, intent="COMPLEMENTARY", n=3)
    assert bought[0]["product"]["title"] == "Trail Sneaker in Navy"
    assert bought[0]["reason"] == "BOUGHT_TOGETHER"
    assert bought[0]["reasonText"] == f"Bought together in {int(bought[0]['score'])} orders"
    for intent in ("RELATED", "COMPLEMENTARY", "FOR_YOU"):
        small = await _statements(client, {"id": jacket, "intent": intent, "n": 2})
        large = await _statements(client, {"id": jacket, "intent": intent, "n": 40})
        assert small == large <= 2, intent

    mug = pid("glass-teal-mug")
    staff = staff_token(env.settings(), Role.MERCHANDISER)
    body = await graphql(
        client, SET, {"id": jacket, "intent": "COMPLEMENTARY", "ids": [mug, mug]}, token=staff
    )
    assert body["data"]["productRecommendationsSet"] == {"productIds": [mug], "userErrors": []}
    picked = await recs(client, id=jacket, intent="COMPLEMENTARY", n=3)
    assert [p["reason"] for p in picked][:2] == ["STAFF_PICK", "BOUGHT_TOGETHER"]
    assert picked[0]["product"]["id"] == mug and picked[0]["score"] is None
    assert picked[1]["product"]["id"] == bought[0]["product"]["id"]
    assert (await recs(client, id=jacket, n=3))[0]["reason"] == "SIMILAR"  # RELATED untouched

    refusals = [
        ({"id": jacket, "intent": "COMPLEMENTARY", "ids": [mug]}, None, "UNAUTHENTICATED", None),
        ({"id": jacket, "intent": "FOR_YOU", "ids": [mug]}, staff, "INVALID", ["intent"]),
        ({"id": jacket, "intent": "RELATED", "ids": [jacket]}, staff, "INVALID", None),
        (
            {"id": jacket, "intent": "RELATED", "ids": [to_global_id("Product", uuid.uuid4())]},
            staff,
            "NOT_FOUND",
            ["productIds", "0"],
        ),
        ({"id": "nope", "intent": "RELATED", "ids": []}, staff, "INVALID_ID", ["productId"]),
    ]
    for variables, token, code, field in refusals:
        body = await graphql(client, SET, variables, token=token)
        errors = body["data"]["productRecommendationsSet"]["userErrors"]
        assert errors[0]["code"] == code, (variables, body)
        if field is not None:
            assert errors[0]["field"] == field
    assert (await recs(client, id=jacket, intent="COMPLEMENTARY", n=1))[0]["product"]["id"] == mug


async def test_bad_input_is_a_typed_error(env: TestEnv, client: httpx.AsyncClient) -> None:
    product = to_global_id("Product", uuid.uuid4())
    for variables, code, field in [
        ({"id": product}, "NOT_FOUND", ["productId"]),
        ({"id": "gid://ucg/Cart/x"}, "INVALID_ID", ["productId"]),
        ({"id": None, "intent": "COMPLEMENTARY"}, "INVALID", ["productId"]),
        ({"id": product, "n": 0}, "INVALID", ["first"]),
        ({"id": product, "n": 51}, "INVALID", ["first"]),
        ({"intent": "FOR_YOU", "shopper": {"deviceId": ""}}, "INVALID", ["shopper", "deviceId"]),
    ]:
        body = await graphql(client, RECS, {"intent": "RELATED", "n": 10, **variables})
        assert body["data"] is None, body
        error = body["errors"][0]["extensions"]
        assert (error["code"], error.get("field")) == (code, field), (variables, body)


async def _two_product_sale(db: asyncpg.Connection[Any]) -> tuple[str, list[uuid.UUID], str]:
    channel_code = unique("CH_").upper()
    channel = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ($1, 'Web', 'EUR') RETURNING id",
        channel_code,
    )
    location = await make_location(db, kind="WAREHOUSE")
    variants, products = [], []
    for _ in range(2):
        sku = await make_variant(db)
        variant, product = await db.fetchrow(
            "SELECT id, product_id FROM variants WHERE sku = $1", sku
        )
        await db.execute(
            "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
            "VALUES ($1, $2, 'EUR', 1000)",
            variant,
            channel,
        )
        await receive(db, sku, location, 5)
        variants.append(variant)
        products.append(product)
    cart = uuid.uuid4()
    await db.execute(
        "INSERT INTO carts (id, channel_id, currency_code) VALUES ($1, $2, 'EUR')", cart, channel
    )
    await db.executemany(
        "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, 1)",
        [(cart, v) for v in variants],
    )
    return f"gid://ucg/Cart/{cart}", products, channel_code


async def test_complementary_follows_a_real_order_event_once(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    cart, (a, b), channel = await _two_product_sale(db)
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    assert await recs(client, id=to_global_id("Product", a), intent="COMPLEMENTARY") == []
    async with kafka_producer(env) as producer:
        async with (
            running_consumer(env, co_purchases_consumer) as consumer,
            running_relay(OutboxRelay(settings)),
        ):
            result = await complete(client, cart, unique("k-"))
            assert result["userErrors"] == [], result

            async def counted() -> bool:
                return consumer.applied >= 1

            await wait_for(counted)
            bought = await recs(
                client, id=to_global_id("Product", a), intent="COMPLEMENTARY", ch=channel
            )
            assert [r["product"]["id"] for r in bought] == [to_global_id("Product", b)]
            assert bought[0]["reasonText"] == "Bought together in 1 order"
            # The same event again (a redelivery): counted once.
            created = await _order_created(
                settings.kafka_bootstrap_servers, settings.topic(topics.ORDERS)
            )
            other = b'{"id": "e-1", "type": "ucg.order.status_changed.v1", "data": {}}'
            await producer.send_and_wait(settings.topic(topics.ORDERS), other)
            off_schema = b'{"id": "e-2", "type": "ucg.order.created.v1", "data": {}}'
            for poison in (b"{not json", off_schema):
                await producer.send_and_wait(settings.topic(topics.ORDERS), poison)
            await producer.send_and_wait(settings.topic(topics.ORDERS), created)

            async def seen_twice() -> bool:
                return (
                    consumer.duplicates >= 1
                    and consumer.ignored >= 1
                    and (consumer.dead_lettered >= 2)
                )

            await wait_for(seen_twice)
        orders = await db.fetchval(
            "SELECT orders FROM product_co_purchases WHERE product_id = $1 AND other_id = $2", b, a
        )
        assert orders == 1 and consumer.applied == 1


async def _order_created(bootstrap: str, topic: str) -> bytes:
    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await reader.start()
    try:
        while True:
            batch = await reader.getmany(timeout_ms=2000)
            for records in batch.values():
                for record in records:
                    if b'"ucg.order.created.v1"' in (record.value or b""):
                        return record.value or b""
    finally:
        await reader.stop()


async def test_for_you_follows_an_interaction_on_another_channel(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    device = {"deviceId": unique("dev-")}
    anonymous = await recs(client, intent="FOR_YOU", shopper=device, ch="APP")
    assert {r["reason"] for r in anonymous} == {"BEST_SELLER"}
    assert anonymous[0]["reasonText"].startswith("A best seller: ")
    sold = [r["score"] for r in anonymous]
    assert sold == sorted(sold, reverse=True)
    viewed = _id("product", "rain-navy-jacket")
    async with kafka_producer(env), running_consumer(env, interactions_consumer) as consumer:
        tracked = await track(
            client,
            [event("PRODUCT_VIEWED", channel="WEB", productId=viewed, **device)],
            consent=True,
        )
        assert tracked["accepted"] == 1
        async with running_relay(OutboxRelay(env.settings())):

            async def folded() -> bool:
                return consumer.applied >= 1

            await wait_for(folded)
    personal = await recs(client, intent="FOR_YOU", shopper=device, ch="APP")
    reasons = [r["reason"] for r in personal]
    assert reasons[0] == "AFFINITY", personal
    assert personal[0]["product"]["productType"] == "Jacket"
    assert personal[0]["reasonText"].startswith("Because you like Jacket")
    everything = await recs(client, intent="FOR_YOU", shopper=device, ch="APP", n=50)
    # The Trail sneakers the demo's orders buy with that jacket (another brand) come next.
    sneaker = next(r for r in everything if r["product"]["title"] == "Trail Sneaker in Navy")
    assert sneaker["reason"] == "BOUGHT_WITH_VIEWED"
    assert sneaker["reasonText"] == "Often bought with Rain Jacket in Navy"
    assert personal != anonymous
    page = await graphql(
        client,
        """query($s: ShopperInput) { products(first: 5, channel: "APP", sortKey: PERSONAL,
             shopper: $s) { edges { node { handle productType } } pageInfo { endCursor } } }""",
        {"s": device},
    )
    assert "errors" not in page, page
    assert [e["node"]["productType"] for e in page["data"]["products"]["edges"]] == ["Jacket"] * 5
    after = page["data"]["products"]["pageInfo"]["endCursor"]
    more = await graphql(
        client,
        """query($s: ShopperInput, $a: String) { products(first: 5, after: $a, channel: "APP",
             sortKey: PERSONAL, shopper: $s) { edges { node { handle productType } } } }""",
        {"s": device, "a": after},
    )
    assert "errors" not in more, more
    assert [e["node"]["productType"] for e in more["data"]["products"]["edges"]] == ["Jacket"] * 5
    first_handles = {e["node"]["handle"] for e in page["data"]["products"]["edges"]}
    assert not first_handles & {e["node"]["handle"] for e in more["data"]["products"]["edges"]}
    nobody = await graphql(
        client, "{ products(first: 2, sortKey: PERSONAL) { edges { node { title } } } }"
    )
    assert "errors" not in nobody  # a shopper nobody knows: by title
