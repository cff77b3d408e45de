"""A storefront's product page: options with sold-out values, picking a variant by them."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from tests.helpers import graphql, unique
from tests.stock_helpers import make_location, receive

PAGE = """query($handle: String!, $pick: [SelectedOptionInput!]!) {
  product(handle: $handle) {
    options { name values { value inStock variantSkus } }
    variantBySelectedOptions(selectedOptions: $pick) { sku title }
  } }"""
LISTING = """{ products(first: 50) { edges { node { options { values { inStock } } } } } }"""


async def _shirt(db: asyncpg.Connection[Any]) -> tuple[str, str]:
    handle = unique("shirt-")
    product = await db.fetchval(
        "INSERT INTO products (handle, title, status) VALUES ($1, 'Shirt', 'ACTIVE') RETURNING id",
        handle,
    )
    prefix = handle.upper()
    for position, (colour, size) in enumerate([("Red", "S"), ("Red", "M"), ("Blue", "M")]):
        await db.execute(
            "INSERT INTO variants (product_id, sku, title, options, position) "
            "VALUES ($1, $2, $3, $4, $5)",
            product,
            f"{prefix}-{colour}-{size}",
            f"{colour} / {size}",
            [{"name": "Colour", "value": colour}, {"name": "Size", "value": size}],
            position,
        )
    return handle, prefix


async def test_options_show_sold_out_values_and_select_a_variant(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    handle, prefix = await _shirt(db)
    store = await make_location(db)
    await receive(db, f"{prefix}-Red-M", store, 3)
    pick = [{"name": "Size", "value": "M"}, {"name": "Colour", "value": "Blue"}]
    body = await graphql(client, PAGE, {"handle": handle, "pick": pick})
    assert "errors" not in body, body
    product = body["data"]["product"]
    assert product["options"] == [
        {
            "name": "Colour",
            "values": [
                {
                    "value": "Red",
                    "inStock": True,
                    "variantSkus": [f"{prefix}-Red-S", f"{prefix}-Red-M"],
                },
                {"value": "Blue", "inStock": False, "variantSkus": [f"{prefix}-Blue-M"]},
            ],
        },
        {
            "name": "Size",
            "values": [
                {"value": "S", "inStock": False, "variantSkus": [f"{prefix}-Red-S"]},
                {
                    "value": "M",
                    "inStock": True,
                    "variantSkus": [f"{prefix}-Red-M", f"{prefix}-Blue-M"],
                },
            ],
        },
    ]
    assert product["variantBySelectedOptions"] == {"sku": f"{prefix}-Blue-M", "title": "Blue / M"}
    absent = [{"name": "Size", "value": "S"}, {"name": "Colour", "value": "Blue"}]
    none = await graphql(client, PAGE, {"handle": handle, "pick": absent})
    assert none["data"]["product"]["variantBySelectedOptions"] is None


async def test_an_unknown_option_name_is_a_typed_error(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    handle, _ = await _shirt(db)
    body = await graphql(
        client, PAGE, {"handle": handle, "pick": [{"name": "Material", "value": "Linen"}]}
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    assert body["data"]["product"]["options"][0]["name"] == "Colour"


async def test_stock_of_option_values_costs_the_same_sql_for_any_page(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    await _shirt(db)
    await graphql(client, LISTING)  # a fresh connection's type introspection is not counted
    with log_statements() as one:
        await graphql(client, LISTING)
    for _ in range(5):
        await _shirt(db)
    with log_statements() as six:
        body = await graphql(client, LISTING)
    assert len(body["data"]["products"]["edges"]) >= 6
    assert len(six) == len(one)
