"""Customer 360 end to end against `ucg serve` (relay and profile consumer in the process,
real Postgres, Redis and Kafka): an anonymous web session views and carts, the shopper
signs in on the web and uses the app, a POS records a store visit; the profile, the
stitched identity and the match rate are read back over HTTP."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from tests.conftest import TestEnv
from tests.customer_helpers import gql, local_id, login, register, staff_token
from tests.integration.interaction_support import (
    PROFILE_FIELDS,
    event,
    grant_consent,
    make_product,
    make_store,
    track,
)
from tests.kafka_helpers import wait_for


async def test_a_shopper_across_web_app_and_store(
    env: TestEnv, db: asyncpg.Connection[Any], serve: Any
) -> None:
    boots = await make_product(db, category="Boots", brand="Nordic")
    scarf = await make_product(db, category="Scarves", brand="Wool&Co")
    store = await make_store(db)
    server = serve(UCG_CONSUMERS_ENABLED="true")
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
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
        # 2. The shopper signs in (web, same browser), then uses the app.
        shopper = await register(client)
        await grant_consent(client, shopper["accessToken"])
        token = (await login(client, shopper["email"]))["accessToken"]
        cid = local_id(shopper["customer"]["id"])
        signed_in = await track(
            client,
            [
                event("SEARCHED", ago=100, searchTerm="wool scarf", deviceId="browser-1"),
                event("WISHLISTED", channel="APP", ago=50, productId=scarf, deviceId="app-1"),
            ],
            token=token,
        )
        assert signed_in["accepted"] == 2
        # 3. A store visit recorded by the POS.
        pos = staff_token(env.settings(), Role.POS)
        visit = event("STORE_VISITED", channel="POS", ago=1, locationId=store, customerId=cid)
        assert (await track(client, [visit], token=pos))["accepted"] == 1

        async def profile() -> dict[str, Any]:
            body = await gql(client, f"{{ me {{ {PROFILE_FIELDS} }} }}", token=token)
            assert "errors" not in body, body
            result: dict[str, Any] = body["data"]["me"]["profile"]
            return result

        seen: dict[str, Any] = {}

        async def all_folded_in() -> bool:
            seen.update(await profile())
            return bool(seen["interactionCount"] >= 6)

        await wait_for(all_folded_in)
        assert seen["interactionCount"] == 6  # the 3 anonymous ones stitched in
        assert seen["recentlyViewedProductIds"] == [
            f"gid://ucg/Product/{boots}", f"gid://ucg/Product/{scarf}"
        ]  # fmt: skip
        assert seen["categoryAffinities"][0]["key"] == "Boots"
        assert {a["key"] for a in seen["brandAffinities"]} == {"Nordic", "Wool&Co"}
        assert seen["lastSeenChannel"] == "POS" and seen["preferredChannel"] == "WEB"
        assert seen["preferredStoreId"] == f"gid://ucg/Location/{store}"
        assert await db.fetchval(
            "SELECT count(*) FROM interactions WHERE customer_id = $1", cid
        ) == 6  # fmt: skip

        staff = staff_token(env.settings(), Role.SUPPORT)
        body = await gql(
            client,
            """query($id: ID!) { customer360(id: $id) { customer { id identities { kind } }
                 profile { interactionCount lastSeenChannel } ordersByChannel { channel } } }""",
            {"id": shopper["customer"]["id"]},
            token=staff,
        )
        view = body["data"]["customer360"]
        assert view["profile"] == {"interactionCount": 6, "lastSeenChannel": "POS"}
        rate = await gql(
            client,
            "{ identityMatchRate { anonymousKeys matchedKeys rate crossChannelCustomers } }",
            token=staff,
        )
        assert rate["data"]["identityMatchRate"] == {
            "anonymousKeys": 2, "matchedKeys": 2, "rate": 1.0, "crossChannelCustomers": 1
        }  # fmt: skip
