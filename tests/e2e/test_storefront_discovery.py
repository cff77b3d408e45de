"""A storefront over real HTTP against `ucg serve` and the demo data: the home page's
collections, a listing with facets, sorting and paging, then a product page with options,
a picked variant, its images and SEO. What a headless storefront's pages are made of."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from datasources.postgres.seed import seed_demo
from tests.conftest import TestEnv

HOME = """{ collections(first: 10, topLevelOnly: true, channel: "WEB") {
  edges { node { handle title image { url altText } children { handle title } } } } }"""
LISTING = """query($h: String!, $f: [ProductFilter!], $after: String) {
  collection(handle: $h, channel: "WEB") {
    title seo { title description } breadcrumbs { handle title }
    products(first: 4, after: $after, filters: $f, channel: "WEB") {
      filters { id label type values { label count input } }
      edges { node { handle title featuredImage { url altText }
        variants { price(channel: "WEB") { amount { amount } } } } }
      pageInfo { hasNextPage endCursor } } } }"""
PRODUCT = """query($h: String!, $pick: [SelectedOptionInput!]!) { product(handle: $h) {
  title seo { title description }
  options { name values { value inStock } }
  images { url altText width height position }
  variantBySelectedOptions(selectedOptions: $pick) { sku image { url altText } } } }"""


def _post(server: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


def _lowest(node: dict[str, Any]) -> Decimal:
    return min(Decimal(v["price"]["amount"]["amount"]) for v in node["variants"])


async def test_home_listing_and_product_page(env: TestEnv, serve: Any) -> None:
    counts = await seed_demo(env.database_url)
    assert counts["collections"] == 6
    server = serve()

    # Home page: top-level collections with their images and the category tree's next level.
    home = _post(server, HOME)["collections"]["edges"]
    by_handle = {e["node"]["handle"]: e["node"] for e in home}
    assert set(by_handle) == {"clothing", "mugs"}  # app-picks is published on APP only
    clothing = by_handle["clothing"]
    assert clothing["image"]["altText"]
    assert [c["handle"] for c in clothing["children"]] == ["jackets", "shirts-under-35"]

    # Listing: a rule-based collection three levels deep, cheapest first.
    rain = _post(server, LISTING, {"h": "rain-jackets"})["collection"]
    assert [b["handle"] for b in rain["breadcrumbs"]] == ["clothing", "jackets", "rain-jackets"]
    assert rain["seo"]["title"] == "Rain jackets"
    jackets = _post(server, LISTING, {"h": "jackets"})["collection"]
    page = jackets["products"]
    prices = [_lowest(e["node"]) for e in page["edges"]]
    assert prices == sorted(prices) and len(prices) == 4 and page["pageInfo"]["hasNextPage"]
    assert all(e["node"]["featuredImage"]["altText"] for e in page["edges"])
    facets = {f["id"]: f for f in page["filters"]}
    assert sum(v["count"] for v in facets["filter.p.vendor"]["values"]) == 40
    # Paging goes on where the first page ended, without repeats, still by price.
    more = _post(server, LISTING, {"h": "jackets", "after": page["pageInfo"]["endCursor"]})[
        "collection"
    ]["products"]
    handles = [e["node"]["handle"] for e in page["edges"] + more["edges"]]
    assert len(set(handles)) == 8
    assert _lowest(more["edges"][0]["node"]) >= prices[-1]

    # Narrow by a facet value, using its own `input`: only that vendor, counted right.
    vendor = facets["filter.p.vendor"]["values"][0]
    narrowed = _post(server, LISTING, {"h": "jackets", "f": [json.loads(vendor["input"])]})
    narrowed_page = narrowed["collection"]["products"]
    assert {f["id"]: f for f in narrowed_page["filters"]}["filter.p.vendor"]["values"][0][
        "count"
    ] == vendor["count"]
    size = {f["id"]: f for f in narrowed_page["filters"]}["filter.v.option.size"]
    assert {v["label"] for v in size["values"]} == {"S", "M", "L"}

    # Product page: options, a picked variant with its own image, the gallery, SEO.
    handle = page["edges"][0]["node"]["handle"]
    product = _post(server, PRODUCT, {"h": handle, "pick": [{"name": "Size", "value": "M"}]})[
        "product"
    ]
    assert product is not None
    colour = next(o for o in product["options"] if o["name"] == "Colour")["values"][0]["value"]
    product = _post(
        server,
        PRODUCT,
        {
            "h": handle,
            "pick": [{"name": "Colour", "value": colour}, {"name": "Size", "value": "M"}],
        },
    )["product"]
    assert [o["name"] for o in product["options"]] == ["Colour", "Size"]
    assert [i["position"] for i in product["images"]] == [0, 1]
    assert product["images"][0]["altText"].startswith(product["title"])
    assert product["images"][0]["width"] == 1200
    picked = product["variantBySelectedOptions"]
    assert picked["sku"].endswith("-M") and picked["image"] == {
        "url": product["images"][0]["url"],
        "altText": product["images"][0]["altText"],
    }
    assert product["seo"]["title"] == product["title"] and product["seo"]["description"]
