"""GraphQL over HTTP against the in-process app on real Postgres, Redis and Kafka."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import app_client, graphql, staff_token

CHANNEL_CREATE = """
mutation($input: ChannelCreateInput!) {
  channelCreate(input: $input) { channel { id code currencyCode } userErrors { code field message } }
}"""


async def test_typename(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "{ __typename }")
    assert body["data"] == {"__typename": "Query"}
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 0,
        "actualQueryCost": 0,
        "maxCost": 5000,
        "throttleStatus": {
            "maximumAvailable": 10_000,
            "currentlyAvailable": 10_000,
            "restoreRate": 500.0,
        },
    }


async def test_get_query_and_get_mutation_refused(client: httpx.AsyncClient) -> None:
    ok = await client.get("/graphql", params={"query": "{ __typename }"})
    assert ok.status_code == 200 and ok.json()["data"] == {"__typename": "Query"}
    refused = await client.get("/graphql", params={"query": "mutation { __typename }"})
    assert refused.status_code == 405


async def test_graphql_response_json_media_type(client: httpx.AsyncClient) -> None:
    accept = {"accept": "application/graphql-response+json"}
    bad = await client.post("/graphql", json={"query": "{ nope }"}, headers=accept)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in bad.json() and bad.json()["errors"]
    syntax = await client.post("/graphql", json={"query": "{"}, headers=accept)
    assert syntax.status_code == 400
    good = await client.post("/graphql", json={"query": "{ __typename }"}, headers=accept)
    assert good.status_code == 200
    assert good.headers["content-type"].startswith("application/graphql-response+json")


async def test_unknown_paths_are_404(client: httpx.AsyncClient) -> None:
    for path in ("/", "/graphql/x", "/subgraphs/nope/graphql", "/admin"):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.get("/healthz")).status_code == 200


async def test_channel_create_writes_row_and_event_together(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    token = staff_token(env.settings(), Role.MERCHANDISER)
    body = await graphql(
        client,
        CHANNEL_CREATE,
        {"input": {"code": "KIOSK", "name": "Kiosk", "currencyCode": "SEK"}},
        token=token,
    )
    payload = body["data"]["channelCreate"]
    assert payload["userErrors"] == []
    assert payload["channel"]["code"] == "KIOSK"
    assert payload["channel"]["id"].startswith("gid://ucg/Channel/")
    event = await db.fetchrow(
        "SELECT type, aggregate_type, sequence, payload FROM outbox WHERE type LIKE '%channel%'"
    )
    assert event is not None
    assert event["type"] == "ucg.catalog.channel_created.v1"
    assert event["sequence"] == 1
    channel_uuid = payload["channel"]["id"].rsplit("/", 1)[1]
    assert event["payload"] == {"channelId": channel_uuid, "code": "KIOSK", "currencyCode": "SEK"}


async def test_bad_input_is_a_typed_user_error_and_changes_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    token = staff_token(env.settings())
    before = await db.fetchval("SELECT count(*) FROM channels")
    cases = [
        ({"code": "web", "name": "x", "currencyCode": "EUR"}, "INVALID", ["input", "code"]),
        ({"code": "NEW", "name": " ", "currencyCode": "EUR"}, "INVALID", ["input", "name"]),
        (
            {"code": "NEW", "name": "x", "currencyCode": "euro"},
            "INVALID",
            ["input", "currencyCode"],
        ),
    ]
    for values, code, field in cases:
        body = await graphql(client, CHANNEL_CREATE, {"input": values}, token=token)
        payload = body["data"]["channelCreate"]
        assert payload["channel"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    dup = {"code": "DUP", "name": "x", "currencyCode": "EUR"}
    assert (await graphql(client, CHANNEL_CREATE, {"input": dup}, token=token))["data"][
        "channelCreate"
    ]["userErrors"] == []
    again = await graphql(client, CHANNEL_CREATE, {"input": dup}, token=token)
    assert again["data"]["channelCreate"]["userErrors"][0]["code"] == "TAKEN"
    assert await db.fetchval("SELECT count(*) FROM channels") == before + 1
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1


async def test_query_errors_carry_their_code(client: httpx.AsyncClient) -> None:
    body = await graphql(client, '{ product(id: "nope") { id } }')
    assert body["data"] == {"product": None}
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"


async def test_node_resolves_any_global_id(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    product_id = await db.fetchval(
        "INSERT INTO products (handle, title, status) VALUES ('mug', 'Mug', 'ACTIVE') RETURNING id"
    )
    await db.execute(
        "INSERT INTO variants (product_id, sku, title) VALUES ($1, 'MUG-1', 'Blue')", product_id
    )
    gid = f"gid://ucg/Product/{product_id}"
    body = await graphql(
        client,
        "query($id: ID!) { node(id: $id) { __typename id ... on Product { handle variants { sku } } } }",
        {"id": gid},
    )
    assert body["data"]["node"] == {
        "__typename": "Product",
        "id": gid,
        "handle": "mug",
        "variants": [{"sku": "MUG-1"}],
    }
    missing = await graphql(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": "gid://ucg/Product/00000000-0000-0000-0000-000000000000"},
    )
    assert missing["data"]["node"] is None


async def test_channel_create_needs_a_merchandiser(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    values = {"input": {"code": "NOPE", "name": "x", "currencyCode": "EUR"}}
    anonymous = await graphql(client, CHANNEL_CREATE, values)
    assert anonymous["data"]["channelCreate"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    clerk = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    forbidden = await graphql(client, CHANNEL_CREATE, values, token=clerk)
    assert forbidden["data"]["channelCreate"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert await db.fetchval("SELECT count(*) FROM channels WHERE code = 'NOPE'") == 0


async def test_query_cost_is_reported_and_capped(env: TestEnv) -> None:
    async with app_client(env.settings(max_query_cost=1000)) as client:
        await _check_cost(client)


async def _check_cost(client: httpx.AsyncClient) -> None:
    page = """query($n: Int!) { products(first: $n) {
        edges { node { title variants { sku stockLevels { available location { code } } } } } } }"""
    small = await graphql(client, page, {"n": 1})
    large = await graphql(client, page, {"n": 8})
    # products 1 + n * (edges 1 + node 1 + variants 1 + 10 x (stockLevels 1 + 10 x location 1)):
    # plain lists are priced by their declared bounds (10 variants, 10 stock levels).
    assert small["extensions"]["cost"]["requestedQueryCost"] == 1 + 1 * 113
    assert large["extensions"]["cost"]["requestedQueryCost"] == 1 + 8 * 113
    too_much = await graphql(client, page, {"n": 9})
    assert "data" not in too_much or too_much["data"] is None
    assert too_much["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


async def test_depth_is_limited(client: httpx.AsyncClient) -> None:
    inner = "variants { sku }"
    for _ in range(8):
        inner = f"variants {{ product {{ {inner} }} }}"
    nested = f"{{ products(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"
    body = await graphql(client, nested)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
