"""The standard GraphQL clients against a real `ucg serve`: graphql-ws, Apollo Client and
urql (Node, tests/interop/run_client.mjs over the snippets of docs/CLIENTS.md) and gql."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from domain.ids import to_global_id
from tests.conftest import ROOT, TestEnv
from tests.helpers import keep_cart_tokens, staff_token, unique
from tests.interop.snippets.gql_client import (
    LEGACY_WS,
    TRANSPORT_WS,
    GraphQLRequest,
    http_client,
    ws_client,
)
from tests.order_helpers import Sale, complete, guest_carts, make_sale

INTEROP = ROOT / "tests" / "interop"


@dataclass
class Store:
    url: str
    token: str
    sale: Sale
    order_id: str
    order_status: str

    def node_env(self, env: TestEnv) -> dict[str, str]:
        return {
            **env.environ(),
            "UCG_URL": self.url,
            "UCG_TOKEN": self.token,
            "UCG_SKU": self.sale.sku,
            "UCG_LOCATION": to_global_id("Location", self.sale.location),
            "UCG_ORDER": self.order_id,
        }


@pytest.fixture
async def store(env: TestEnv, db: asyncpg.Connection[Any], serve: Any) -> Store:
    """A served store with a SKU in stock and one placed order."""
    sale = await make_sale(db, 10)
    (cart,) = await guest_carts(db, sale, 1)
    server = serve()
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        keep_cart_tokens(http, env.settings().jwt_secret)  # the storefront that made the cart
        placed = await complete(http, cart, unique("k-"))
    assert placed["userErrors"] == [], placed
    return Store(
        server.url,
        staff_token(env.settings()),
        sale,
        placed["order"]["id"],
        placed["order"]["status"],
    )


async def run_node(script: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    assert (INTEROP / "node_modules").is_dir(), "run scripts/install (npm ci in tests/interop)"
    proc = await asyncio.create_subprocess_exec(
        "node",
        script,
        *args,
        cwd=INTEROP,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(45):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.slow
async def test_graphql_ws_apollo_and_urql_query_mutate_and_subscribe(
    env: TestEnv, store: Store
) -> None:
    node_env = store.node_env(env)
    graphql_ws, apollo, urql = await asyncio.gather(
        *(
            run_node("run_client.mjs", name, env=node_env)
            for name in ("graphql-ws", "apollo", "urql")
        )
    )
    sku = store.sale.sku
    assert graphql_ws["stock"]["stockChanged"]["sku"] == sku
    assert graphql_ws["mutation"]["inventorySet"] == {
        "stockLevel": {"onHand": 1, "available": 1},
        "userErrors": [],
    }
    assert graphql_ws["cancel"]["orderCancel"]["userErrors"] == []
    changes = graphql_ws["order"]
    assert changes[-1]["status"] == "CANCELLED"
    assert changes[-1]["previousStatus"] == store.order_status
    assert graphql_ws["cancel"]["orderCancel"]["order"] == {"status": "CANCELLED"}
    sequences = [c["sequence"] for c in changes]
    assert sequences == sorted(set(sequences)), changes
    for result in (apollo, urql):
        assert result["query"]["variant"]["sku"] == sku
        assert result["mutation"]["inventorySet"]["userErrors"] == []
        assert result["stock"]["stockChanged"]["sku"] == sku


QUERY = "query($sku: String!) { variant(sku: $sku) { sku } }"
SET = """mutation($sku: String!, $location: ID!, $onHand: Int!, $key: String!) {
  inventorySet(sku: $sku, locationId: $location, onHand: $onHand, reason: CYCLE_COUNT,
               idempotencyKey: $key) { stockLevel { onHand available } userErrors { code } } }"""
STOCK_SUB = "subscription($skus: [String!]) { stockChanged(skus: $skus) { sku onHand } }"


async def gql_query_and_set(session: Any, store: Store, on_hand: int) -> dict[str, Any]:
    sku = store.sale.sku
    found = await session.execute(GraphQLRequest(QUERY, variable_values={"sku": sku}))
    assert found == {"variant": {"sku": sku}}
    variables = {
        "sku": sku,
        "location": to_global_id("Location", store.sale.location),
        "onHand": on_hand,
        "key": unique("gql-"),
    }
    result: dict[str, Any] = await session.execute(GraphQLRequest(SET, variable_values=variables))
    return result["inventorySet"]


@pytest.mark.slow
async def test_python_gql_over_http_and_both_websocket_protocols(store: Store) -> None:
    async with http_client(store.url, store.token) as session:
        assert await gql_query_and_set(session, store, 4) == {
            "stockLevel": {"onHand": 4, "available": 4},
            "userErrors": [],
        }
    # The store's own checkout (10 units, 1 sold) may still be on its way through the
    # relay when the first subscription goes live: its levels count as seen too.
    counted = [10, 9, 4]
    for protocol, on_hand in ((TRANSPORT_WS, 100), (LEGACY_WS, 200)):
        async with ws_client(store.url, store.token, protocol) as session:
            request = GraphQLRequest(STOCK_SUB, variable_values={"skus": [store.sale.sku]})
            events = session.subscribe(request)
            first = asyncio.ensure_future(anext(events))
            # No protocol ack says when a subscription is live: repeat the change until it is seen.
            async with asyncio.timeout(15):
                while not first.done():
                    on_hand += 1
                    counted.append(on_hand)
                    payload = await gql_query_and_set(session, store, on_hand)
                    assert payload["userErrors"] == [], payload
                    await asyncio.wait({first}, timeout=0.3)
            change = first.result()["stockChanged"]
            await events.aclose()
        assert change["sku"] == store.sale.sku, protocol
        # the event of a change just before the subscription went live may come first
        assert change["onHand"] in counted, (protocol, change, counted)
