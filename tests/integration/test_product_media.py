"""Product images: the staff mutation (validation, nothing half-applied, event) and what a
product page reads (gallery in order, the variant's own image, SEO with fallbacks)."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token

ADD = """mutation($p: ID!, $input: ProductImageInput!) { productImageAdd(productId: $p, input: $input) {
  image { url altText width height position } userErrors { code field } } }"""
PAGE = """query($h: String!) { product(handle: $h) {
  seo { title description } featuredImage { url }
  images { url altText position } variants { sku image { url } } } }"""


async def test_images_with_alt_text_and_variant_images(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    product = await db.fetchval(
        "INSERT INTO products (handle, title, description, status, seo_title) "
        "VALUES ('sun-hat', 'Sun Hat', 'A wide straw hat.', 'ACTIVE', 'Straw sun hat') RETURNING id"
    )
    for sku in ("HAT-RED", "HAT-BLUE"):
        await db.execute(
            "INSERT INTO variants (product_id, sku, title) VALUES ($1, $2, $2)", product, sku
        )
    gid = to_global_id("Product", product)
    staff = staff_token(env.settings(), Role.MERCHANDISER)
    front = {"url": "https://img.test/hat.jpg", "altText": " A straw hat ", "width": 800,
             "height": 600}  # fmt: skip

    anonymous = await graphql(client, ADD, {"p": gid, "input": front})
    assert anonymous["data"]["productImageAdd"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    for bad, code, field in [
        ({"url": "javascript:alert(1)"}, "INVALID", ["input", "url", "0"]),
        ({"width": 0}, "INVALID", ["input", "width"]),
        ({"altText": "x" * 513}, "INVALID", ["input", "altText"]),
        ({"variantSkus": ["HAT-RED", "NOPE"]}, "NOT_FOUND", ["input", "variantSkus", "1"]),
    ]:
        body = await graphql(client, ADD, {"p": gid, "input": {**front, **bad}}, token=staff)
        assert body["data"]["productImageAdd"]["userErrors"] == [{"code": code, "field": field}]
    assert await db.fetchval("SELECT count(*) FROM product_images") == 0
    assert await db.fetchval("SELECT count(*) FROM variants WHERE image_id IS NOT NULL") == 0

    made = await graphql(client, ADD, {"p": gid, "input": front}, token=staff)
    assert made["data"]["productImageAdd"]["image"] == {
        "url": "https://img.test/hat.jpg", "altText": "A straw hat", "width": 800, "height": 600,
        "position": 0,
    }  # fmt: skip
    blue = {"url": "https://img.test/hat-blue.jpg", "altText": "The blue band",
            "variantSkus": ["HAT-BLUE"]}  # fmt: skip
    made = await graphql(client, ADD, {"p": gid, "input": blue}, token=staff)
    assert made["data"]["productImageAdd"]["image"]["position"] == 1

    page = (await graphql(client, PAGE, {"h": "sun-hat"}))["data"]["product"]
    assert [i["position"] for i in page["images"]] == [0, 1]
    assert page["featuredImage"] == {"url": "https://img.test/hat.jpg"}
    assert {v["sku"]: v["image"] for v in page["variants"]} == {
        "HAT-RED": None,
        "HAT-BLUE": {"url": "https://img.test/hat-blue.jpg"},
    }
    assert page["seo"] == {"title": "Straw sun hat", "description": "A wide straw hat."}
    events = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE type = 'ucg.catalog.product_updated.v1' "
        "AND aggregate_id = $1",
        str(product),
    )
    assert events == 2
