"""Limits of DESIGN section 6 against real Redis: APQ, the per-client leaky bucket,
and the introspection switch."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import app_client, graphql, staff_token
from tests.stock_helpers import make_variant

QUERY = "{ channels { code } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()
PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}


async def test_automatic_persisted_queries_over_post_and_get(client: httpx.AsyncClient) -> None:
    miss = await client.post("/graphql", json={"extensions": PERSISTED})
    assert miss.status_code == 200
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    wrong = await client.post("/graphql", json={"query": "{ __typename }", "extensions": PERSISTED})
    assert wrong.status_code == 400 and "sha does not match" in wrong.text
    still_missing = await client.post("/graphql", json={"extensions": PERSISTED})
    assert still_missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    registered = await client.post("/graphql", json={"query": QUERY, "extensions": PERSISTED})
    assert registered.status_code == 200 and "channels" in registered.json()["data"]
    by_hash = await client.post("/graphql", json={"extensions": PERSISTED})
    assert by_hash.json()["data"] == registered.json()["data"]
    by_get = await client.get(
        "/graphql",
        params={"extensions": json.dumps(PERSISTED)},
        headers={"accept": "application/json"},
    )
    assert by_get.status_code == 200 and by_get.json()["data"] == registered.json()["data"]
    bad_version = await client.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": DIGEST}}}
    )
    assert bad_version.status_code == 400


PAGE = "{ products(first: 10) { edges { node { title } } } }"  # cost 1 + 10 * 2 = 21


async def test_leaky_bucket_throttles_one_client_not_another(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    for _ in range(10):  # a full page: the actual cost equals the requested one
        await make_variant(db)
    settings = env.settings(max_query_cost=50, rate_limit_capacity=50, rate_limit_restore_rate=1)
    async with app_client(settings) as client:
        first = await graphql(client, PAGE)
        assert first["extensions"]["cost"]["actualQueryCost"] == 21
        status = first["extensions"]["cost"]["throttleStatus"]
        assert status == {"maximumAvailable": 50, "currentlyAvailable": 29, "restoreRate": 1.0}
        second = await graphql(client, PAGE)
        assert second["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] in (8, 9)
        refused = await client.post("/graphql", json={"query": PAGE})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 12  # 21 points at 1 point a second
        body = refused.json()
        assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert body.get("data") is None
        # The GraphQL-over-HTTP media type keeps the 429 too.
        modern = await client.post(
            "/graphql",
            json={"query": PAGE},
            headers={"accept": "application/graphql-response+json"},
        )
        assert modern.status_code == 429
        # Another client (a signed-in staff member) has its own bucket.
        other = await graphql(client, PAGE, token=staff_token(settings, Role.ADMIN))
        assert "errors" not in other
        assert other["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 29


async def test_unused_points_are_given_back(env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    """Charged the requested cost up front, a query gets back what it did not return."""
    await make_variant(db)  # one product on a page of ten
    settings = env.settings(max_query_cost=50, rate_limit_capacity=50, rate_limit_restore_rate=1)
    async with app_client(settings) as client:
        for _ in range(5):  # 5 x 21 requested would overflow 50; 5 x 3 actual does not
            body = await graphql(client, PAGE)
            assert "errors" not in body, body
            cost = body["extensions"]["cost"]
            assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (21, 3)
        assert cost["throttleStatus"]["currentlyAvailable"] >= 50 - 5 * 3


async def test_introspection_can_be_switched_off(env: TestEnv, client: httpx.AsyncClient) -> None:
    introspect = "{ __schema { queryType { name } } }"
    allowed = await graphql(client, introspect)
    assert allowed["data"]["__schema"]["queryType"]["name"] == "Query"
    async with app_client(env.settings(introspection=False)) as closed:
        refused = await closed.post("/graphql", json={"query": introspect})
        assert refused.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
        assert refused.json().get("data") is None
        typename = await graphql(closed, "{ __typename }")
        assert typename["data"] == {"__typename": "Query"}
        sdl = await graphql(closed, "{ _service { sdl } }", path="/subgraphs/order/graphql")
        assert "type Order" in sdl["data"]["_service"]["sdl"]
