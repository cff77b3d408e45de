"""The README's "A first order" runs as written against the demo store."""

from __future__ import annotations

import re
from typing import Any

import httpx

from datasources.postgres.seed import seed_demo
from tests.conftest import ROOT, TestEnv
from tests.helpers import graphql


def first_order_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A first order", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.S)


async def test_the_readme_first_order_places_an_order(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    lookup, cart_create, begin, complete = first_order_blocks()
    ids = (await graphql(client, lookup))["data"]
    channel = next(c["id"] for c in ids["channels"] if c["code"] == "WEB")
    store = next(loc["id"] for loc in ids["locations"] if loc["code"] == "ST-DAM")
    created = await graphql(client, cart_create, {"channel": channel, "mug": ids["variant"]["id"]})
    cart: dict[str, Any] = created["data"]["cartCreate"]
    assert cart["userErrors"] == []
    cart_id = cart["cart"]["id"]
    begun = (await graphql(client, begin, {"cart": cart_id, "store": store}))["data"][
        "checkoutBegin"
    ]
    assert begun["userErrors"] == [] and begun["reservedUntil"]
    pickup = next(o for o in begun["options"] if o["method"] == "PICKUP")
    assert pickup["available"] and pickup["price"]["amount"] == "0.00" and pickup["promisedAt"]
    placed = (await graphql(client, complete, {"cart": cart_id, "store": store}))["data"]
    order = placed["checkoutComplete"]
    assert order["userErrors"] == []
    assert order["order"]["total"] == cart["cart"]["cost"]["subtotal"]  # pickup: no shipping
    assert [f["status"] for f in order["order"]["fulfillments"]] == ["ALLOCATED"]
    again = (await graphql(client, complete, {"cart": cart_id, "store": store}))["data"]
    assert again["checkoutComplete"]["order"]["number"] == order["order"]["number"]


async def test_the_readme_first_query_lists_jackets_with_facets_in_german(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A first query", 1)[1].split("\n## ", 1)[0]
    (query,) = re.findall(r"```graphql\n(.*?)```", section, flags=re.S)
    body = await graphql(client, query)
    assert "errors" not in body, body
    collection = body["data"]["collection"]
    assert collection["title"] == "Jacken"
    products = collection["products"]
    assert len(products["edges"]) == 3 and products["pageInfo"]["hasNextPage"]
    assert {f["id"] for f in products["filters"]} >= {"filter.p.vendor", "filter.v.price"}
    price = products["edges"][0]["node"]["variants"][0]["marketPrice"]["amount"]
    assert price["currencyCode"] == "EUR"
