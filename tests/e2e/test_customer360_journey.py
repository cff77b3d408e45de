"""Issue 16's done-when test, against `ucg serve` (relay and profile consumer in the process,
real Postgres, Redis and Kafka): an anonymous web session (views, a cart add), a sign-in on
the app that stitches it, a store visit; the profile and the stitched identity over HTTP,
segment events over WebSocket (graphql-transport-ws: the till is told a VIP walked in) and
on Kafka."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import orjson

from domain.auth import Role
from tests.conftest import TestEnv
from tests.customer_helpers import PASSWORD, gql, local_id, register, staff_token
from tests.integration.interaction_support import (
    PROFILE_FIELDS,
    event,
    grant_consent,
    make_product,
    make_store,
    track,
)
from tests.kafka_helpers import wait_for
from tests.live import GraphQLSocket, read_topic

SEGMENT_CREATE = """mutation($input: SegmentCreateInput!) { segmentCreate(input: $input) {
  segment { id } userErrors { code field } } }"""
CHANGES = """subscription($segments: [ID!], $store: ID) {
  customerSegmentChanged(segmentIds: $segments, storeId: $store) {
    change customerId segmentId storeId channel segment { name } customer { id } } }"""
VIP = {
    "name": "VIP",
    "rule": {
        "match": "ANY",
        "conditions": [
            {"field": "RFM_SEGMENT", "operator": "EQ", "values": ["CHAMPION"]},
            {"field": "LIFETIME_VALUE", "operator": "GTE", "values": ["500.00"]},
        ],
    },
}
OMNICHANNEL = {
    "name": "Omnichannel",
    "rule": {"conditions": [{"field": "CHANNEL_COUNT", "operator": "GTE", "values": ["3"]}]},
}


async def test_anonymous_web_then_app_sign_in_then_store_visit(
    env: TestEnv, db: asyncpg.Connection[Any], serve: Any
) -> None:
    boots = await make_product(db, category="Boots", brand="Nordic")
    scarf = await make_product(db, category="Scarves", brand="Wool&Co")
    store = await make_store(db)
    await db.execute(
        "INSERT INTO channels (code, name, currency_code) VALUES ('APP', 'App', 'EUR') "
        "ON CONFLICT (code) DO NOTHING"
    )
    for product in (boots, scarf):  # sold on the app, so FOR_YOU there may show them
        await db.execute(
            """WITH v AS (INSERT INTO variants (product_id, sku, title)
                          VALUES ($1::uuid, 'SKU-' || $1::uuid::text, 'x') RETURNING id)
               INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor)
               SELECT v.id, c.id, 'EUR', 4900 FROM v, channels c WHERE c.code = 'APP'""",
            product,
        )
    server = serve(UCG_CONSUMERS_ENABLED="true")
    support = staff_token(env.settings(), Role.SUPPORT)
    pos = staff_token(env.settings(), Role.POS)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        segment_ids = {}
        for spec in (VIP, OMNICHANNEL):
            body = await gql(client, SEGMENT_CREATE, {"input": spec}, token=support)
            assert body["data"]["segmentCreate"]["userErrors"] == [], body
            segment_ids[spec["name"]] = body["data"]["segmentCreate"]["segment"]["id"]
        # Bad subscriptions get a coded error, never a stream: a shopper may not watch
        # segments (whatever they name), and a store must be a Location id.
        shopper_socket = await GraphQLSocket.open(
            server.url, token=(await register(client))["accessToken"]
        )
        for variables in ({}, {"store": "gid://ucg/Product/x"}):
            await shopper_socket.subscribe(CHANGES, variables)
            refused = await shopper_socket.receive()
            assert refused["payload"]["data"] is None, refused
            assert refused["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert (await shopper_socket.receive())["type"] == "complete"
        await shopper_socket.close()
        # The till at the store, and marketing following VIPs anywhere.
        till = await GraphQLSocket.open(server.url, token=pos)
        await till.subscribe(CHANGES, {"store": "gid://ucg/Product/x"})
        bad = await till.receive()
        assert bad["payload"]["errors"][0]["extensions"]["code"] == "INVALID_ID", bad
        assert (await till.receive())["type"] == "complete"
        await till.subscribe(CHANGES, {"store": f"gid://ucg/Location/{store}"})
        marketing = await GraphQLSocket.open(server.url, token=support)
        await marketing.subscribe(CHANGES, {"segments": [segment_ids["VIP"]]})

        # 1. Anonymous on the web: views and a cart add, with the cookie banner's consent.
        anonymous = await track(
            client,
            [
                event("PRODUCT_VIEWED", ago=300, productId=scarf, deviceId="browser-1"),
                event("PRODUCT_VIEWED", ago=240, productId=boots, deviceId="browser-1"),
                event("ADDED_TO_CART", ago=200, productId=boots, deviceId="browser-1"),
            ],
            consent=True,
        )
        assert anonymous["accepted"] == 3

        # 2. The shopper (a known big spender) signs in on the app, which hands over the web
        #    browser's device id: the anonymous session is stitched to them.
        shopper = await register(client)
        cid = local_id(shopper["customer"]["id"])
        await db.execute(
            """INSERT INTO orders (customer_id, currency_code, total_minor, created_at)
               VALUES ($1, 'EUR', 65000, now() - interval '40 days')""",
            cid,
        )
        await grant_consent(client, shopper["accessToken"])
        login = await gql(
            client,
            """mutation($input: CustomerLoginInput!) { customerLogin(input: $input) {
                 accessToken userErrors { code } } }""",
            {"input": {"login": shopper["email"], "password": PASSWORD, "channel": "APP"}},
        )
        token = login["data"]["customerLogin"]["accessToken"]
        assert token, login
        linked = await gql(
            client,
            """mutation { customerIdentityLink(input: {kind: DEVICE, value: "browser-1"}) {
                 identity { kind value } userErrors { code } } }""",
            token=token,
        )
        assert linked["data"]["customerIdentityLink"]["userErrors"] == [], linked
        on_app = await track(
            client,
            [event("WISHLISTED", channel="APP", ago=50, productId=scarf, deviceId="app-1")],
            token=token,
        )
        assert on_app["accepted"] == 1

        # Their next profile change re-evaluates them: they enter VIP (real time). Which
        # interaction that is depends on the consumer's pace: the app's, or a web one still
        # queued when the link made browser-1 theirs.
        entered = (await marketing.next_data(within=20))["customerSegmentChanged"]
        assert entered["change"] == "ENTERED" and entered["segment"] == {"name": "VIP"}
        assert entered["customerId"] == shopper["customer"]["id"]
        assert entered["channel"] in ("APP", "WEB") and entered["storeId"] is None

        # 3. The shopper walks into the store; the POS records the visit.
        visit = event("STORE_VISITED", channel="POS", ago=1, locationId=store, customerId=cid)
        assert (await track(client, [visit], token=pos))["accepted"] == 1
        at_till = [(await till.next_data(within=20))["customerSegmentChanged"] for _ in range(2)]
        assert sorted((c["change"], c["segment"]["name"]) for c in at_till) == [
            ("ENTERED", "Omnichannel"),  # web, app and now the store
            ("VISITED_STORE", "VIP"),  # a VIP just walked in
        ]
        for change in at_till:
            assert change["storeId"] == f"gid://ucg/Location/{store}"
            assert change["customer"] == {"id": shopper["customer"]["id"]}
        walked_in = (await marketing.next_data(within=20))["customerSegmentChanged"]
        assert walked_in["change"] == "VISITED_STORE"
        await marketing.nothing_within(0.3)  # the Omnichannel entry is not a VIP event
        await till.close()
        await marketing.close()

        # The profile and the stitched identity, over HTTP.
        seen: dict[str, Any] = {}

        async def all_folded_in() -> bool:
            body = await gql(client, f"{{ me {{ {PROFILE_FIELDS} }} }}", token=token)
            seen.update(body["data"]["me"]["profile"])
            return bool(seen["interactionCount"] >= 5)

        await wait_for(all_folded_in)
        assert seen["interactionCount"] == 5  # the 3 anonymous ones stitched in
        assert seen["recentlyViewedProductIds"] == [
            f"gid://ucg/Product/{boots}", f"gid://ucg/Product/{scarf}"
        ]  # fmt: skip
        assert seen["categoryAffinities"][0]["key"] == "Boots"
        assert seen["lastSeenChannel"] == "POS"
        assert seen["preferredStoreId"] == f"gid://ucg/Location/{store}"
        assert seen["rfm"]["segment"] != "PROSPECT"
        view = await gql(
            client,
            """query($id: ID!) { customer360(id: $id) { customer { identities { kind value }
                 segments { name } } profile { interactionCount } } }""",
            {"id": shopper["customer"]["id"]},
            token=pos,
        )
        customer = view["data"]["customer360"]["customer"]
        assert {"kind": "DEVICE", "value": "browser-1"} in customer["identities"]
        assert [s["name"] for s in customer["segments"]] == ["Omnichannel", "VIP"]
        assert await db.fetchval(
            "SELECT count(*) FROM interactions WHERE customer_id = $1 AND device_id = 'browser-1'",
            cid,
        ) == 3  # fmt: skip
        rate = await gql(client, "{ identityMatchRate { matchedKeys rate } }", token=support)
        assert rate["data"]["identityMatchRate"] == {"matchedKeys": 2, "rate": 1.0}

        # FOR_YOU on another channel: personal picks from this profile, explained.
        picks = await gql(
            client,
            """{ productRecommendations(intent: FOR_YOU, first: 5) {
                 product { id } reason reasonText } }""",
            token=token,
        )
        personal = picks["data"]["productRecommendations"]
        assert personal and {p["reason"] for p in personal} <= {
            "RECENTLY_VIEWED", "AFFINITY", "BOUGHT_WITH_VIEWED"
        }  # fmt: skip
        assert f"gid://ucg/Product/{boots}" in {p["product"]["id"] for p in personal}
        assert all(p["reasonText"] for p in personal)

    # On Kafka: the three segment events, keyed by the customer, ids only.
    topic = f"{env.prefix}ucg.customers.v1"

    def segment_events(messages: list[Any]) -> list[dict[str, Any]]:
        decoded = [orjson.loads(m.value) for m in messages]
        return [e for e in decoded if e["type"] == "ucg.customer.segment_changed.v1"]

    messages = await read_topic(
        env.servers.kafka_bootstrap_servers, topic, lambda ms: len(segment_events(ms)) >= 3
    )
    events = segment_events(messages)
    assert sorted(e["data"]["change"] for e in events) == ["ENTERED", "ENTERED", "VISITED_STORE"]
    assert {e["subject"] for e in events} == {str(cid)}
    keys = {m.key for m in messages if orjson.loads(m.value)["type"].endswith("segment_changed.v1")}
    assert keys == {str(cid).encode()}
    raw = b" ".join(m.value for m in messages)
    assert shopper["email"].encode() not in raw
