"""Markets and languages on the demo data: @inContext prices (currency, price list, tax shown),
translated titles with fallback, listings priced in the market, staff mutations, typed errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from datasources.postgres.seed import seed_demo
from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token

PRODUCT = """query($h: String!) @inContext(country: %s, language: %s) {
  product(handle: $h) { title description variants { sku marketPrice {
    amount { amount currencyCode } compareAt { amount } taxIncluded includedTax { amount } } } } }"""
LISTING = """query($c: String, $l: String, $n: Int!) @inContext(country: $c, language: $l) {
  collection(handle: "jackets") { title
    products(first: $n, sortKey: PRICE, filters: [{price: {min: "139"}}]) {
      filters { id values { label count } }
      edges { node { title variants { marketPrice { amount { amount currencyCode } } } } } } } }"""
MARKETS = "{ markets { handle countries currencyCode taxInclusive languages defaultLanguage } }"
CREATE = """mutation($input: MarketInput!) { marketCreate(input: $input) {
  market { handle countries currencyCode priceChannelCode languages defaultLanguage taxInclusive }
  userErrors { code field message } } }"""
UPDATE = """mutation($h: String!, $input: MarketInput!) { marketUpdate(handle: $h, input: $input) {
  market { handle name countries languages defaultLanguage } userErrors { code field } } }"""
TRANSLATE = """mutation($id: ID!, $lang: String!, $t: [TranslationInput!]!) {
  translationsRegister(resourceId: $id, language: $lang, translations: $t) {
    language keys userErrors { code field } } }"""


def _ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_prices_and_texts_follow_the_buyers_market_and_language(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    handle = {"h": "rain-navy-jacket"}
    german = _ok(await graphql(client, PRODUCT % ('"DE"', '"de"'), handle))["product"]
    assert german["title"] == "Regenjacke in Marineblau"
    assert german["description"].startswith("Regenjacke in Marineblau")
    price = german["variants"][0]["marketPrice"]
    assert price["amount"]["currencyCode"] == "EUR" and price["taxIncluded"] is True
    # 19% VAT inside a German price: 134.95 / 1.19 = 113.40, so 21.55 of it is tax.
    assert price["amount"]["amount"] == "134.95"
    assert price["includedTax"]["amount"] == "21.55"
    dutch = _ok(await graphql(client, PRODUCT % ('"NL"', "null"), handle))["product"]
    assert dutch["title"] == "Rain Jacket in Navy"  # no language: the market's default (en)
    assert dutch["variants"][0]["marketPrice"]["includedTax"]["amount"] == "23.42"  # 21%
    us = _ok(await graphql(client, PRODUCT % ('"US"', '"en"'), handle))["product"]
    us_price = us["variants"][0]["marketPrice"]
    assert us_price == {
        "amount": {"amount": "148.95", "currencyCode": "USD"},
        "compareAt": {"amount": "178.95"},
        "taxIncluded": False,
        "includedTax": None,
    }
    # The catalog subgraph, served alone, takes the directive too.
    sub = await graphql(
        client, PRODUCT % ('"DE"', '"de"'), handle, path="/subgraphs/catalog/graphql"
    )
    assert _ok(sub)["product"]["title"] == "Regenjacke in Marineblau"
    # Outside any context: as written, and no market price.
    plain = _ok(
        await graphql(client, PRODUCT.replace("@inContext(country: %s, language: %s)", ""), handle)
    )
    assert plain["product"]["title"] == "Rain Jacket in Navy"
    assert plain["product"]["variants"][0]["marketPrice"] is None


async def test_a_listing_is_priced_in_the_market_at_constant_sql(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    await seed_demo(env.database_url)
    eu = _ok(await graphql(client, LISTING, {"c": "DE", "l": "de", "n": 20}))["collection"]
    us = _ok(await graphql(client, LISTING, {"c": "US", "l": "en", "n": 20}))["collection"]
    assert eu["title"] == "Jacken" and us["title"] == "Jackets"
    eu_nodes = [e["node"] for e in eu["products"]["edges"]]
    us_nodes = [e["node"] for e in us["products"]["edges"]]
    # min 139 in EUR keeps the 139.95 jackets; in USD every jacket (>= 142.95) passes.
    assert {Decimal(n["variants"][0]["marketPrice"]["amount"]["amount"]) for n in eu_nodes} == {
        Decimal("139.95")
    }
    assert len(us_nodes) > len(eu_nodes)
    assert all(n["variants"][0]["marketPrice"]["amount"]["currencyCode"] == "USD" for n in us_nodes)
    us_prices = [Decimal(n["variants"][0]["marketPrice"]["amount"]["amount"]) for n in us_nodes]
    assert us_prices == sorted(us_prices)
    price_facet = next(f for f in us["products"]["filters"] if f["id"] == "filter.v.price")
    assert price_facet["values"][0]["label"].startswith(str(min(us_prices)))
    assert all(n["title"].endswith(("jacke", "Jacke")) or " in " in n["title"] for n in eu_nodes)
    assert all("jacke in" in n["title"] for n in eu_nodes)
    statements = []
    for n in (2, 20):
        with log_statements() as logged:
            _ok(await graphql(client, LISTING, {"c": "DE", "l": "de", "n": n}))
        housekeeping = ("pg_advisory_unlock_all", "typeinfo_tree", "jit")
        statements.append(len([q for q in logged if not any(m in q for m in housekeeping)]))
    # market, collection, its title, page, titles, facets, variants, prices
    assert statements == [8, 8]


async def test_unknown_country_or_language_is_a_typed_error(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    cases = [
        (('"JP"', "null"), "MARKET_NOT_FOUND", ["inContext", "country"]),
        (('"XX"', "null"), "MARKET_NOT_FOUND", ["inContext", "country"]),
        (('"US"', '"de"'), "LANGUAGE_NOT_SUPPORTED", ["inContext", "language"]),
        (("null", '"fr"'), "LANGUAGE_NOT_SUPPORTED", ["inContext", "language"]),
    ]
    for args, code, field in cases:
        body = await graphql(client, PRODUCT % args, {"h": "rain-navy-jacket"})
        assert body.get("data") is None, body
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
            (code, field)
        ]
    # Without a country a language any market offers is fine.
    body = await graphql(client, PRODUCT % ("null", '"de"'), {"h": "rain-navy-jacket"})
    assert _ok(body)["product"]["title"] == "Regenjacke in Marineblau"


async def test_staff_configure_markets_and_translations(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    staff = staff_token(env.settings(), Role.MERCHANDISER)
    clerk = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    uk = {
        "handle": "uk",
        "name": "United Kingdom",
        "countries": ["gb", "IM"],
        "currencyCode": "GBP",
        "priceChannel": "WEB",
        "taxInclusive": True,
        "languages": ["en"],
    }
    refused = await graphql(client, CREATE, {"input": uk}, token=clerk)
    assert refused["data"]["marketCreate"]["userErrors"][0]["code"] == "FORBIDDEN"
    made = _ok(await graphql(client, CREATE, {"input": uk}, token=staff))["marketCreate"]
    assert made["userErrors"] == []
    assert made["market"] == {
        "handle": "uk",
        "countries": ["GB", "IM"],
        "currencyCode": "GBP",
        "priceChannelCode": "WEB",
        "languages": ["en"],
        "defaultLanguage": "en",
        "taxInclusive": True,
    }
    bad = [
        ({**uk, "handle": "uk"}, "TAKEN", ["input", "handle"]),
        ({**uk, "handle": "uk2"}, "TAKEN", ["input", "countries"]),
        ({**uk, "handle": "x", "countries": ["ZZ"]}, "INVALID", ["input", "countries", "0"]),
        (
            {**uk, "handle": "x", "countries": ["JP"], "priceChannel": "NOPE"},
            "NOT_FOUND",
            ["input", "priceChannel"],
        ),
        (
            {**uk, "handle": "x", "countries": ["JP"], "currencyCode": "yen"},
            "INVALID",
            ["input", "currencyCode"],
        ),
        (
            {**uk, "handle": "x", "countries": ["JP"], "defaultLanguage": "ja"},
            "INVALID",
            ["input", "defaultLanguage"],
        ),
        ({**uk, "handle": "X Y"}, "INVALID", ["input", "handle"]),
    ]
    for given, code, field in bad:
        errors = _ok(await graphql(client, CREATE, {"input": given}, token=staff))["marketCreate"]
        assert [(e["code"], e["field"]) for e in errors["userErrors"]] == [(code, field)], given
    changed = _ok(
        await graphql(
            client,
            UPDATE,
            {"h": "uk", "input": {"languages": ["cy", "en"], "name": "UK"}},
            token=staff,
        )
    )["marketUpdate"]
    assert changed["market"] == {
        "handle": "uk",
        "name": "UK",
        "countries": ["GB", "IM"],
        "languages": ["cy", "en"],
        "defaultLanguage": "en",  # still offered: kept
    }
    missing = _ok(await graphql(client, UPDATE, {"h": "nope", "input": {}}, token=staff))
    assert missing["marketUpdate"]["userErrors"][0]["code"] == "MARKET_NOT_FOUND"
    handles = [m["handle"] for m in _ok(await graphql(client, MARKETS))["markets"]]
    assert handles == ["eu", "uk", "us"]

    product = _ok(await graphql(client, '{ product(handle: "rain-navy-jacket") { id } }'))
    pid = product["product"]["id"]
    welsh = [{"key": "TITLE", "value": "Siaced law"}]
    done = _ok(await graphql(client, TRANSLATE, {"id": pid, "lang": "cy", "t": welsh}, token=staff))
    assert done["translationsRegister"] == {"language": "cy", "keys": ["title"], "userErrors": []}
    seen = _ok(await graphql(client, PRODUCT % ('"GB"', '"cy"'), {"h": "rain-navy-jacket"}))
    assert seen["product"]["title"] == "Siaced law"
    # No Welsh description: the default language (en) has none either, so as written.
    assert seen["product"]["description"].startswith("A rain jacket")
    # The GB market has no GBP prices: no market price rather than a wrong one.
    assert seen["product"]["variants"][0]["marketPrice"] is None
    for variables, code in [
        ({"id": pid, "lang": "ja", "t": welsh}, "LANGUAGE_NOT_SUPPORTED"),
        ({"id": pid, "lang": "???", "t": welsh}, "INVALID"),
        ({"id": "gid://ucg/Order/x", "lang": "cy", "t": welsh}, "INVALID_ID"),
        ({"id": pid, "lang": "cy", "t": []}, "INVALID"),
    ]:
        body = _ok(await graphql(client, TRANSLATE, variables, token=staff))
        assert body["translationsRegister"]["userErrors"][0]["code"] == code, variables
    cleared = [{"key": "TITLE", "value": ""}]
    _ok(await graphql(client, TRANSLATE, {"id": pid, "lang": "cy", "t": cleared}, token=staff))
    seen = _ok(await graphql(client, PRODUCT % ('"GB"', '"cy"'), {"h": "rain-navy-jacket"}))
    assert seen["product"]["title"] == "Rain Jacket in Navy"


CART = """mutation($channel: ID!, $mug: ID!, $currency: String) @inContext(country: "US", language: "en") {
  cartCreate(input: {channel: $channel, currency: $currency,
                     lines: [{merchandiseId: $mug, quantity: 2}]}) {
    cart { currencyCode marketHandle language buyerIdentity { countryCode }
      cost { subtotal { amount currencyCode } } }
    userErrors { code field } } }"""


async def test_a_cart_keeps_the_market_it_was_created_in(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    ids = _ok(
        await graphql(client, '{ channels { id code } variant(sku: "MUG-STO-NAV-SMALL") { id } }')
    )
    web = next(c["id"] for c in ids["channels"] if c["code"] == "WEB")
    variables = {"channel": web, "mug": ids["variant"]["id"]}
    made = _ok(await graphql(client, CART, variables))["cartCreate"]
    assert made["userErrors"] == []
    cart = made["cart"]
    assert (cart["currencyCode"], cart["marketHandle"], cart["language"]) == ("USD", "us", "en")
    assert cart["buyerIdentity"]["countryCode"] == "US"  # taxes estimated for the market
    assert cart["cost"]["subtotal"] == {"amount": "33.90", "currencyCode": "USD"}  # 2 x 16.95
    refused = _ok(await graphql(client, CART, {**variables, "currency": "EUR"}))["cartCreate"]
    assert refused["userErrors"] == [
        {"code": "CURRENCY_NOT_SUPPORTED", "field": ["input", "currency"]}
    ]
    plain = CART.replace('@inContext(country: "US", language: "en")', "")
    outside = _ok(await graphql(client, plain, variables))["cartCreate"]["cart"]
    assert (outside["currencyCode"], outside["marketHandle"]) == ("EUR", None)


async def test_a_shopper_may_search_in_the_translated_words(
    env: TestEnv, client: httpx.AsyncClient
) -> None:
    await seed_demo(env.database_url)
    search = """query($q: String!) @inContext(country: "DE", language: "de") {
      products(first: 20, query: $q) { edges { node { title } } }
      predictiveSearch(query: $q, limit: 3) { products { title } } }"""
    found = _ok(await graphql(client, search, {"q": "regenjacke marineb"}))
    assert [e["node"]["title"] for e in found["products"]["edges"]] == ["Regenjacke in Marineblau"]
    assert [p["title"] for p in found["predictiveSearch"]["products"]] == [
        "Regenjacke in Marineblau"
    ]
    both = _ok(await graphql(client, search, {"q": "regenjacke"}))["products"]["edges"]
    assert len(both) == 8  # every rain jacket, each shown in German
    english = _ok(await graphql(client, search, {"q": "rain jacket"}))["products"]["edges"]
    assert sorted(e["node"]["title"] for e in english) == sorted(e["node"]["title"] for e in both)
