"""Admin catalog mutations: validation codes, nothing half-applied, cache dropped on change."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token

CREATE = """mutation($input: ProductCreateInput!) { productCreate(input: $input) {
  product { id handle title status tags vendor } userErrors { code field message } } }"""
UPDATE = """mutation($id: ID!, $input: ProductUpdateInput!) { productUpdate(id: $id, input: $input) {
  product { title status } userErrors { code field } } }"""
ARCHIVE = (
    """mutation($id: ID!) { productArchive(id: $id) { product { status } userErrors { code } } }"""
)
VARIANT = """mutation($p: ID!, $input: ProductVariantCreateInput!) {
  productVariantCreate(productId: $p, input: $input) {
    variant { sku options { name value } } userErrors { code field } } }"""
PRICE = """mutation($sku: String!, $ch: String!, $amount: Decimal!, $cmp: Decimal) {
  variantPriceSet(sku: $sku, channel: $ch, amount: $amount, compareAt: $cmp) {
    price { channelCode amount { amount currencyCode } compareAt { amount } }
    userErrors { code field } } }"""
BY_HANDLE = "query($h: String!) { product(handle: $h) { title status } }"


async def test_product_lifecycle_with_validation(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    await db.execute(
        "INSERT INTO channels (code, name, currency_code) VALUES ('WEB', 'Web', 'EUR'), "
        "('JP', 'Japan', 'JPY')"
    )
    token = staff_token(env.settings(), Role.MERCHANDISER)
    product_input = {
        "handle": "rain-jacket",
        "title": " Rain Jacket ",
        "status": "ACTIVE",
        "tags": ["Outdoor", "outdoor", "rain"],
        "vendor": "Noord",
    }
    anonymous = await graphql(client, CREATE, {"input": product_input})
    assert anonymous["data"]["productCreate"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    clerk = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    forbidden = await graphql(client, CREATE, {"input": product_input}, token=clerk)
    assert forbidden["data"]["productCreate"]["userErrors"][0]["code"] == "FORBIDDEN"

    created = await graphql(client, CREATE, {"input": product_input}, token=token)
    product = created["data"]["productCreate"]["product"]
    assert product["title"] == "Rain Jacket" and product["tags"] == ["outdoor", "rain"]
    duplicate = await graphql(client, CREATE, {"input": product_input}, token=token)
    assert duplicate["data"]["productCreate"]["userErrors"][0]["code"] == "TAKEN"
    bad = await graphql(
        client, CREATE, {"input": {"handle": "Bad Handle", "title": "x"}}, token=token
    )
    assert bad["data"]["productCreate"]["userErrors"][0]["field"] == ["input", "handle"]

    variant = {"sku": "RJ-M", "title": "M", "options": [{"name": "Size", "value": "M"}]}
    made = await graphql(client, VARIANT, {"p": product["id"], "input": variant}, token=token)
    assert made["data"]["productVariantCreate"]["variant"]["options"] == [
        {"name": "Size", "value": "M"}
    ]
    again = await graphql(client, VARIANT, {"p": product["id"], "input": variant}, token=token)
    assert again["data"]["productVariantCreate"]["userErrors"][0]["code"] == "TAKEN"

    priced = await graphql(
        client, PRICE, {"sku": "RJ-M", "ch": "WEB", "amount": "89.95", "cmp": "119.00"}, token=token
    )
    price = priced["data"]["variantPriceSet"]["price"]
    assert price["amount"] == {"amount": "89.95", "currencyCode": "EUR"}
    assert price["compareAt"]["amount"] == "119.00"
    for values, code, field in [
        ({"amount": "-1"}, "INVALID", ["amount"]),
        ({"amount": "1.005"}, "INVALID", ["amount"]),
        ({"ch": "NOPE", "amount": "1"}, "NOT_FOUND", ["channel"]),
        ({"ch": "JP", "amount": "10.5"}, "INVALID", ["amount"]),
        ({"sku": "NOPE", "amount": "1"}, "NOT_FOUND", ["sku"]),
    ]:
        body = await graphql(client, PRICE, {"sku": "RJ-M", "ch": "WEB", **values}, token=token)
        errors = body["data"]["variantPriceSet"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], values
    assert await db.fetchval("SELECT amount_minor FROM prices") == 8995

    # The product document is cached on read, dropped when the change commits.
    assert (await graphql(client, BY_HANDLE, {"h": "rain-jacket"}))["data"]["product"][
        "title"
    ] == "Rain Jacket"
    updated = await graphql(
        client, UPDATE, {"id": product["id"], "input": {"title": "Storm Jacket"}}, token=token
    )
    assert updated["data"]["productUpdate"]["userErrors"] == []
    fresh = await graphql(client, BY_HANDLE, {"h": "rain-jacket"})
    assert fresh["data"]["product"]["title"] == "Storm Jacket"
    archived = await graphql(client, ARCHIVE, {"id": product["id"]}, token=token)
    assert archived["data"]["productArchive"]["product"]["status"] == "ARCHIVED"
    assert (await graphql(client, BY_HANDLE, {"h": "rain-jacket"}))["data"]["product"] is None
    events = await db.fetch("SELECT type, sequence FROM outbox WHERE aggregate_type = 'Product'")
    assert [e["type"] for e in events] == [
        "ucg.catalog.product_created.v1",
        "ucg.catalog.variant_created.v1",
        "ucg.catalog.product_updated.v1",
        "ucg.catalog.product_updated.v1",
    ]
