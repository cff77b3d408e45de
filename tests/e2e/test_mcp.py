"""The MCP server, driven by the official SDK client over stdio and streamable HTTP."""

from __future__ import annotations

import json
import sys
from typing import Any

import asyncpg
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import ROOT, TestEnv


async def _catalog(db: asyncpg.Connection[Any]) -> None:
    product_id = await db.fetchval(
        "INSERT INTO products (handle, title, description, status) "
        "VALUES ('rain-jacket', 'Rain Jacket', 'Keeps you dry.', 'ACTIVE') RETURNING id"
    )
    variant_id = await db.fetchval(
        "INSERT INTO variants (product_id, sku, title) VALUES ($1, 'RJ-M', 'M') RETURNING id",
        product_id,
    )
    channel_id = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ('AGENT', 'Agents', 'EUR') "
        "RETURNING id"
    )
    await db.execute(
        "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
        "VALUES ($1, $2, 'EUR', 8999)",
        variant_id,
        channel_id,
    )
    store = await db.fetchval(
        "INSERT INTO locations (code, name, kind, latitude, longitude) "
        "VALUES ('ST-DAM', 'Dam store', 'STORE', 52.37, 4.89) RETURNING id"
    )
    await db.execute(
        "INSERT INTO stock_levels (sku, location_id, on_hand) VALUES ('RJ-M', $1, 4)", store
    )


def _structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return dict(result.structured_content)
    return dict(json.loads(result.content[0].text))


async def _exercise(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert {"search_products", "get_product", "check_availability"} <= set(tools)
    assert tools["search_products"].annotations.read_only_hint is True
    assert all(tool.description for tool in tools.values())

    found = _structured(await client.call_tool("search_products", {"first": 5}))
    assert [p["handle"] for p in found["products"]] == ["rain-jacket"]

    product = _structured(await client.call_tool("get_product", {"handle": "rain-jacket"}))
    assert product["product"]["variants"] == [
        {
            "id": product["product"]["variants"][0]["id"],
            "sku": "RJ-M",
            "title": "M",
            "availability": 4,
        }
    ]
    stock = _structured(await client.call_tool("check_availability", {"skus": ["RJ-M", "NOPE"]}))
    assert stock["availability"][0]["variant"]["stockLevels"][0]["location"]["code"] == "ST-DAM"
    assert stock["availability"][1] == {"sku": "NOPE", "variant": None}

    bad = await client.call_tool("get_product", {"id": "not-an-id"})
    assert bad.is_error and "INVALID_ID" in bad.content[0].text

    variant_id = product["product"]["variants"][0]["id"]
    created = _structured(
        await client.call_tool("create_cart", {"lines": [{"variantId": variant_id, "quantity": 2}]})
    )
    assert created["userErrors"] == []
    cart = created["cart"]
    assert cart["totalQuantity"] == 2
    assert cart["cost"]["subtotal"] == {"amount": "179.98", "currencyCode": "EUR"}
    line_id = cart["lines"]["edges"][0]["node"]["id"]
    # more than the 4 in stock: a typed warning, nothing reserved
    changed = _structured(
        await client.call_tool(
            "update_cart",
            {
                "cart_id": cart["id"],
                "cart_token": created["cartToken"],
                "lines": [{"lineId": line_id, "quantity": 6}],
            },
        )
    )
    line = changed["cart"]["lines"]["edges"][0]["node"]
    assert [w["code"] for w in line["warnings"]] == ["NOT_ENOUGH_STOCK"]
    assert line["warnings"][0]["availableQuantity"] == 4
    bad = _structured(
        await client.call_tool(
            "update_cart",
            {
                "cart_id": cart["id"],
                "cart_token": created["cartToken"],
                "lines": [{"lineId": line_id, "quantity": 0}],
            },
        )
    )
    assert bad["userErrors"][0]["code"] == "INVALID_QUANTITY"
    again = _structured(
        await client.call_tool(
            "get_cart", {"cart_id": cart["id"], "cart_token": created["cartToken"]}
        )
    )
    assert again["cart"]["totalQuantity"] == 6
    # The bare id is no key: without the token the cart reads like a missing one.
    blind = _structured(await client.call_tool("get_cart", {"cart_id": cart["id"]}))
    assert blind["cart"] is None

    schema = await client.read_resource("ucg://schema")
    assert "type Product" in schema.contents[0].text


async def test_mcp_over_http(serve: Any, db: asyncpg.Connection[Any]) -> None:
    await _catalog(db)
    server = serve()
    async with Client(f"{server.url}/mcp/") as client:
        await _exercise(client)


async def test_mcp_over_stdio(env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    await _catalog(db)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "entrypoints.cli", "mcp"],
        env=env.environ(UCG_LOG_LEVEL="WARNING"),
        cwd=str(ROOT),
    )
    async with Client(params) as client:
        await _exercise(client)
