"""Facets, filters and sort orders of `products` and `Collection.products`: counts per facet
(each counted with the other facets' filters), price ranges, availability, best-selling from
order lines, paging in every order, typed errors, and constant SQL whatever the page size."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from datasources.postgres.seed import seed_demo
from tests.helpers import graphql
from tests.integration.test_collections import make_products
from tests.stock_helpers import make_location, receive

LISTING = """query($f: [ProductFilter!], $sort: ProductSortKey, $rev: Boolean!, $n: Int!,
                  $after: String) {
  products(first: $n, after: $after, filters: $f, sortKey: $sort, reverse: $rev, channel: "WEB") {
    filters { id label type values { label count input } }
    edges { node { handle } }
    pageInfo { hasNextPage endCursor } } }"""


def _handles(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return [e["node"]["handle"] for e in body["data"]["products"]["edges"]]


def _facet(body: dict[str, Any], facet_id: str) -> dict[str, int]:
    for f in body["data"]["products"]["filters"]:
        if f["id"] == facet_id:
            return {v["label"]: v["count"] for v in f["values"]}
    return {}


async def _listing(client: httpx.AsyncClient, **variables: Any) -> dict[str, Any]:
    values = {"f": None, "sort": None, "rev": False, "n": 10, "after": None, **variables}
    return await graphql(client, LISTING, values)


async def test_facets_filters_and_sorts(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    await make_products(db)
    store = await make_location(db)
    await receive(db, "SUN-HAT", store, 4)
    await receive(db, "LINEN-SHIRT", store, 2)

    everything = await _listing(client)
    assert _handles(everything) == ["beach-towel", "linen-shirt", "sun-hat", "wool-scarf"]
    assert _facet(everything, "filter.p.vendor") == {"Grachten": 2, "Noord": 2}
    assert _facet(everything, "filter.v.availability") == {"In stock": 2, "Out of stock": 2}
    assert _facet(everything, "filter.p.tag") == {"summer": 3, "hats": 1, "winter": 1}
    assert _facet(everything, "filter.v.option.size") == {"One": 4}
    price = next(f for f in everything["data"]["products"]["filters"] if f["type"] == "PRICE_RANGE")
    assert price["values"] == [
        {"label": "19.95 - 79.95", "count": 4, "input": '{"price":{"min":"19.95","max":"79.95"}}'}
    ]

    # A vendor narrows the list; the vendor facet still counts the other vendor.
    noord = await _listing(client, f=[{"productVendor": "Noord"}])
    assert _handles(noord) == ["linen-shirt", "sun-hat"]
    assert _facet(noord, "filter.p.vendor") == {"Grachten": 2, "Noord": 2}
    assert _facet(noord, "filter.p.product_type") == {"Hats": 1, "Shirts": 1}
    both = await _listing(client, f=[{"productVendor": "Noord"}, {"productVendor": "Grachten"}])
    assert len(_handles(both)) == 4  # one kind's values widen the list

    # The facet's own input is a working filter.
    in_stock = next(
        v["input"]
        for f in everything["data"]["products"]["filters"]
        if f["id"] == "filter.v.availability"
        for v in f["values"]
        if v["label"] == "In stock"
    )
    import json

    assert _handles(await _listing(client, f=[json.loads(in_stock)])) == ["linen-shirt", "sun-hat"]
    sold_out = await _listing(client, f=[{"available": False}, {"tag": "summer"}])
    assert _handles(sold_out) == ["beach-towel"]
    sized = await _listing(client, f=[{"variantOption": {"name": "Size", "value": "One"}}])
    assert len(_handles(sized)) == 4

    # Price range (inclusive), cheapest first; its facet ignores the price filter itself.
    ranged = await _listing(client, f=[{"price": {"min": "20", "max": "49.95"}}], sort="PRICE")
    assert _handles(ranged) == ["wool-scarf", "linen-shirt"]
    assert _facet(ranged, "filter.v.price") == {"19.95 - 79.95": 4}
    assert _facet(ranged, "filter.p.vendor") == {"Grachten": 1, "Noord": 1}

    # Price high to low, two at a time.
    first = await _listing(client, sort="PRICE", rev=True, n=2)
    assert _handles(first) == ["beach-towel", "linen-shirt"]
    cursor = first["data"]["products"]["pageInfo"]["endCursor"]
    rest = await _listing(client, sort="PRICE", rev=True, n=2, after=cursor)
    assert _handles(rest) == ["wool-scarf", "sun-hat"]
    assert rest["data"]["products"]["pageInfo"]["hasNextPage"] is False
    wrong = await _listing(client, sort="PRICE", rev=False, n=2, after=cursor)
    assert wrong["errors"][0]["extensions"]["code"] == "INVALID"

    # Best-selling from real order lines (a cancelled order does not count).
    web = await db.fetchval("SELECT id FROM channels WHERE code = 'WEB'")
    for status, lines in [("UNFULFILLED", {"WOOL-SCARF": 5, "SUN-HAT": 2}),
                          ("CANCELLED", {"BEACH-TOWEL": 50})]:  # fmt: skip
        order = await db.fetchval(
            "INSERT INTO orders (channel_id, currency_code, status) VALUES ($1, 'EUR', $2) "
            "RETURNING id",
            web,
            status,
        )
        for position, (sku, qty) in enumerate(lines.items()):
            await db.execute(
                "INSERT INTO order_lines (order_id, position, variant_id, sku, quantity, "
                "unit_price_minor, total_minor) SELECT $1, $2, id, sku, $3, 100, 100 * $3 "
                "FROM variants WHERE sku = $4",
                order,
                position,
                qty,
                sku,
            )
    best = await _listing(client, sort="BEST_SELLING", n=2)
    assert _handles(best) == ["wool-scarf", "sun-hat"]
    page2 = await _listing(
        client, sort="BEST_SELLING", n=2, after=best["data"]["products"]["pageInfo"]["endCursor"]
    )
    assert sorted(_handles(page2)) == ["beach-towel", "linen-shirt"]
    by_title = await _listing(client, sort="TITLE", rev=True)
    assert _handles(by_title) == ["wool-scarf", "sun-hat", "linen-shirt", "beach-towel"]


async def test_bad_filters_are_typed_errors(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    await make_products(db)
    for filters, field in [
        ([{"price": {"min": "50", "max": "20"}}], ["filters", "0", "price", "min"]),
        ([{"price": {"min": "-1"}}], ["filters", "0", "price", "min"]),
        ([{"tag": "a"}, {}], ["filters", "1"]),
        ([{"tag": "a", "productVendor": "b"}], ["filters", "0"]),
        ([{"price": {"min": "1"}}, {"price": {"max": "5"}}], ["filters", "1"]),
        ([{"variantOption": {"name": "Size", "value": " "}}], ["filters", "0"]),
    ]:
        body = await _listing(client, f=filters)
        assert body["data"] is None or body["data"]["products"] is None
        error = body["errors"][0]["extensions"]
        assert (error["code"], error["field"]) == ("INVALID", field), (filters, body)
    inside = await graphql(
        client,
        """{ collections(first: 1) { edges { node {
             products(filters: [{price: {min: "9", max: "1"}}]) { edges { cursor } } } } } }""",
    )
    assert "errors" not in inside  # no collections yet: nothing ran


async def _statements(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> int:
    with log_statements() as seen:
        body = await graphql(client, query, variables)
    assert "errors" not in body, body
    housekeeping = ("pg_advisory_unlock_all", "typeinfo_tree", "jit")
    return len([q for q in seen if not any(mark in q for mark in housekeeping)])


async def test_listing_with_facets_costs_the_same_sql_at_2_and_20(
    env: Any, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    await seed_demo(env.database_url)
    # The demo's Shirts under 35: tag = shirt AND price < 35 (rule-based, nested).
    products = """query($n: Int!) { products(first: $n, channel: "WEB", sortKey: BEST_SELLING,
        filters: [{available: true}, {variantOption: {name: "Size", value: "M"}}]) {
        filters { id values { label count } }
        edges { node { title options { name values { value inStock } }
                       variants { sku price(channel: "WEB") { amount { amount } } } } } } }"""
    small = await _statements(client, products, {"n": 2})
    large = await _statements(client, products, {"n": 20})
    assert small == large
    collection = """query($n: Int!) { collection(handle: "shirts-under-35") { title breadcrumbs {
        handle } products(first: $n, filters: [{available: true}]) {
        filters { id values { label count } } edges { node { title } } } } }"""
    small = await _statements(client, collection, {"n": 2})
    large = await _statements(client, collection, {"n": 20})
    assert small == large
    body = await graphql(client, collection, {"n": 20})
    edges = body["data"]["collection"]["products"]["edges"]
    assert 0 < len(edges) <= 20
