"""Search on the demo catalog that forgives typos and accents, and predictive search."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from datasources.postgres.seed import seed_demo
from tests.conftest import TestEnv
from tests.helpers import graphql

SEARCH = """query($q: String!) { products(first: 50, query: $q) { edges { node { title } } } }"""
PREDICT = """query($q: String!, $n: Int) { predictiveSearch(query: $q, limit: $n) {
  products { title } queries { text } } }"""


async def _titles(client: httpx.AsyncClient, text: str) -> list[str]:
    body = await graphql(client, SEARCH, {"q": text})
    assert "errors" not in body, body
    return [e["node"]["title"] for e in body["data"]["products"]["edges"]]


async def test_typos_and_accents_are_forgiven_and_exact_words_still_win(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    rain = await _titles(client, "rain jacket")
    assert len(rain) == 8 and all(t.startswith("Rain Jacket") for t in rain)
    assert await _titles(client, "rain jacekt") == rain  # a swapped pair of letters
    assert sorted(await _titles(client, "rian jakcet")) == sorted(rain)
    assert await _titles(client, "RAÍN jácket") == rain  # accents and case
    assert await _titles(client, "zzqx") == []  # nothing close: nothing found
    # A known prefix is not "corrected" into another word.
    assert all("Linen" in t for t in await _titles(client, "line"))


async def test_predictive_search_suggests_products_and_whole_queries(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    body = await graphql(client, PREDICT, {"q": "rain jac", "n": 3})
    result = body["data"]["predictiveSearch"]
    assert len(result["products"]) == 3
    assert all(p["title"].startswith("Rain Jacket") for p in result["products"])
    assert result["queries"] == [{"text": "rain jacket"}]
    typo = (await graphql(client, PREDICT, {"q": "quilted jacekt"}))["data"]["predictiveSearch"]
    assert typo["queries"] == [{"text": "quilted jacket"}]
    assert all(p["title"].startswith("Quilted Jacket") for p in typo["products"])
    empty = (await graphql(client, PREDICT, {"q": "  "}))["data"]["predictiveSearch"]
    assert empty == {"products": [], "queries": []}
    with log_statements() as seen:
        await graphql(client, PREDICT, {"q": "rain jac", "n": 10})
    assert len([q for q in seen if "search_terms" in q or "FROM products" in q]) == 3


async def test_a_bad_limit_is_a_typed_error(client: httpx.AsyncClient) -> None:
    body = await graphql(client, PREDICT, {"q": "shirt", "n": 0})
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    assert body["errors"][0]["extensions"]["field"] == ["limit"]


async def test_catalog_words_follow_product_changes(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    async def count(term: str) -> Any:
        return await db.fetchval("SELECT products FROM search_terms WHERE term = $1", term)

    await db.execute(
        "INSERT INTO products (handle, title, status) VALUES ('x1', 'Zebra Scarf', 'ACTIVE'), "
        "('x2', 'Zebra Hat', 'DRAFT')"
    )
    assert (await count("zebra"), await count("scarf"), await count("hat")) == (1, 1, None)
    await db.execute("UPDATE products SET status = 'ACTIVE' WHERE handle = 'x2'")
    assert (await count("zebra"), await count("hat")) == (2, 1)
    await db.execute("UPDATE products SET title = 'Striped Scarf' WHERE handle = 'x1'")
    assert (await count("zebra"), await count("striped")) == (1, 1)
    await db.execute("DELETE FROM products WHERE handle = 'x2'")
    assert (await count("zebra"), await count("hat")) == (0, 0)
    assert await _titles(client, "zebar") == []  # a word no product has any more
    assert await _titles(client, "stripd scraf") == ["Striped Scarf"]
