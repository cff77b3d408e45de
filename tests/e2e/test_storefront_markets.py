"""The storefront walk of issue 15's "Done when", over HTTP against `ucg serve` and the demo
data, in two markets and two languages: home page (collections), listing (facets, sort,
paging), product page (options -> variant, media, market price, recommendations) and the
search box."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from datasources.postgres.seed import seed_demo
from tests.conftest import TestEnv

CONTEXT = "@inContext(country: $country, language: $language)"
HOME = f"""query($country: String, $language: String) {CONTEXT} {{
  collections(first: 10, topLevelOnly: true, channel: "WEB") {{
    edges {{ node {{ handle title description image {{ url altText }}
      children {{ handle title }} }} }} }} }}"""
LISTING = f"""query($country: String, $language: String, $after: String, $f: [ProductFilter!])
  {CONTEXT} {{
  collection(handle: "jackets") {{ title breadcrumbs {{ handle title }}
    products(first: 6, after: $after, sortKey: PRICE, filters: $f) {{
      filters {{ id label type values {{ label count input }} }}
      edges {{ node {{ handle title featuredImage {{ url altText }}
        variants {{ marketPrice {{ amount {{ amount currencyCode }} taxIncluded }} }} }} }}
      pageInfo {{ hasNextPage endCursor }} }} }} }}"""
PRODUCT = f"""query($country: String, $language: String, $h: String!,
  $pick: [SelectedOptionInput!]!) {CONTEXT} {{ product(handle: $h) {{
  id title description options {{ name values {{ value inStock }} }}
  images {{ url altText width height position }}
  variantBySelectedOptions(selectedOptions: $pick) {{ sku image {{ url }}
    marketPrice {{ amount {{ amount currencyCode }} compareAt {{ amount }} taxIncluded
      includedTax {{ amount }} }} }} }} }}"""
# The product page's two recommendation rails, under the same @inContext.
RECS = f"""query($country: String, $language: String, $id: ID!) {CONTEXT} {{
  related: productRecommendations(productId: $id, intent: RELATED, first: 4) {{
    product {{ id title }} reason reasonText }}
  together: productRecommendations(productId: $id, intent: COMPLEMENTARY, first: 4) {{
    product {{ id title }} reason score }} }}"""
SEARCH = f"""query($country: String, $language: String, $q: String!) {CONTEXT} {{
  predictiveSearch(query: $q, limit: 4) {{ products {{ handle title }} collections {{ title }}
    queries {{ text }} }} }}"""

WALKS = [
    # country, language, currency, tax inside prices, "Jackets", a jacket's title word
    ("DE", "de", "EUR", True, "Jacken", "jacke in"),
    ("US", "en", "USD", False, "Jackets", "Jacket in"),
    ("NL", "en", "EUR", True, "Jackets", "Jacket in"),
]


def _post(server: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _lowest(node: dict[str, Any]) -> Decimal:
    return min(Decimal(v["marketPrice"]["amount"]["amount"]) for v in node["variants"])


@pytest.mark.slow
async def test_a_storefront_in_two_markets_and_two_languages(env: TestEnv, serve: Any) -> None:
    counts = await seed_demo(env.database_url)
    assert counts["markets"] == 2 and counts["translations"] > 400
    server = serve()
    seen_prices: dict[str, Decimal] = {}
    for country, language, currency, inclusive, jackets_title, word in WALKS:
        ctx = {"country": country, "language": language}

        # Home page: top-level collections, in the buyer's language.
        home = _post(server, HOME, ctx)["collections"]["edges"]
        titles = {e["node"]["handle"]: e["node"]["title"] for e in home}
        assert set(titles) == {"clothing", "mugs"}
        assert titles["clothing"] == ("Kleidung" if language == "de" else "Clothing")
        clothing = next(e["node"] for e in home if e["node"]["handle"] == "clothing")
        assert [c["title"] for c in clothing["children"]][0] == jackets_title

        # Listing: cheapest first in the market's currency, facets, then the next page.
        listing = _post(server, LISTING, ctx)["collection"]
        assert listing["title"] == jackets_title
        page = listing["products"]
        nodes = [e["node"] for e in page["edges"]]
        assert all(word in n["title"] for n in nodes), nodes
        prices = [_lowest(n) for n in nodes]
        assert prices == sorted(prices) and page["pageInfo"]["hasNextPage"]
        money = nodes[0]["variants"][0]["marketPrice"]
        assert money["amount"]["currencyCode"] == currency and money["taxIncluded"] is inclusive
        facets = {f["id"]: f for f in page["filters"]}
        assert sum(v["count"] for v in facets["filter.p.vendor"]["values"]) == 40
        price_range = facets["filter.v.price"]["values"][0]["label"]
        assert price_range.startswith(str(prices[0]))
        more = _post(server, LISTING, {**ctx, "after": page["pageInfo"]["endCursor"]})
        next_nodes = [e["node"] for e in more["collection"]["products"]["edges"]]
        assert not {n["handle"] for n in next_nodes} & {n["handle"] for n in nodes}
        assert _lowest(next_nodes[0]) >= prices[-1]
        size_m = next(v for v in facets["filter.v.option.size"]["values"] if v["label"] == "M")
        narrowed = _post(server, LISTING, {**ctx, "f": [json.loads(size_m["input"])]})
        assert narrowed["collection"]["products"]["edges"]

        # Product page: options -> a variant, its image and price; the gallery.
        handle = nodes[0]["handle"]
        first_look = _product(server, ctx, handle, [{"name": "Size", "value": "M"}])
        colour = next(o for o in first_look["options"] if o["name"] == "Colour")
        pick = [
            {"name": "Colour", "value": colour["values"][0]["value"]},
            {"name": "Size", "value": "M"},
        ]
        product = _product(server, ctx, handle, pick)
        assert word in product["title"]
        assert product["description"].startswith(product["title"]) or language == "en"
        assert [o["name"] for o in product["options"]] == ["Colour", "Size"]
        assert [i["position"] for i in product["images"]] == [0, 1]
        assert all(i["altText"] and i["width"] for i in product["images"])
        variant = product["variantBySelectedOptions"]
        assert (
            variant["sku"].endswith("-M") and variant["image"]["url"] == product["images"][0]["url"]
        )
        price = variant["marketPrice"]
        assert price["amount"]["currencyCode"] == currency
        assert (price["includedTax"] is not None) is inclusive
        seen_prices[country] = Decimal(price["amount"]["amount"])

        # Recommendations: similar products and what the demo orders bought with it.
        recs = _post(server, RECS, {**ctx, "id": product["id"]})
        assert recs["related"] and all(r["reason"] == "SIMILAR" for r in recs["related"])
        assert product["id"] not in {r["product"]["id"] for r in recs["related"]}
        together = recs["together"]
        assert together and together[0]["reason"] == "BOUGHT_TOGETHER" and together[0]["score"] > 0
        bought = [r["score"] for r in together if r["reason"] == "BOUGHT_TOGETHER"]
        assert bought == sorted(bought, reverse=True)

        # Search box: products and collections as the shopper types, in their language.
        found = _post(server, SEARCH, {**ctx, "q": "rain jac"})["predictiveSearch"]
        assert found["products"] and all(word in p["title"] for p in found["products"])
        assert found["queries"][0]["text"] == "rain jacket"
    # One product, two markets: euro prices (VAT inside) and dollar prices differ.
    assert seen_prices["US"] > seen_prices["DE"] == seen_prices["NL"]


def _product(server: Any, ctx: dict[str, Any], handle: str, pick: list[dict[str, str]]) -> Any:
    return _post(server, PRODUCT, {**ctx, "h": handle, "pick": pick})["product"]
