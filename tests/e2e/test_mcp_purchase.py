"""A whole purchase by an agent through the MCP server (SDK client, stdio and HTTP):
search -> availability -> cart -> quote -> buy with PICKUP -> order status -> cancel."""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import asyncpg
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from entrypoints.mcp import issue_quote_token
from tests.conftest import ROOT, TestEnv
from tests.stock_helpers import make_location, receive


async def _store(db: asyncpg.Connection[Any]) -> tuple[str, uuid.UUID]:
    product_id = await db.fetchval(
        "INSERT INTO products (handle, title, status) VALUES ('tote', 'Canvas Tote', 'ACTIVE') "
        "RETURNING id"
    )
    variant_id = await db.fetchval(
        "INSERT INTO variants (product_id, sku, title) VALUES ($1, 'TOTE-1', 'Natural') "
        "RETURNING id",
        product_id,
    )
    channel_id = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ('AGENT', 'Agents', 'EUR') "
        "RETURNING id"
    )
    await db.execute(
        "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
        "VALUES ($1, $2, 'EUR', 2500)",
        variant_id,
        channel_id,
    )
    store = await make_location(db, kind="STORE", can_pickup=True)
    await receive(db, "TOTE-1", store, 5)
    return f"gid://ucg/Location/{store}", store


def _data(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return dict(result.structured_content)
    return dict(json.loads(result.content[0].text))


async def _purchase(client: Client, env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    store_gid, store = await _store(db)
    found = _data(await client.call_tool("search_products", {"first": 5}))
    variant = found["products"][0]["variants"][0]
    assert variant["sku"] == "TOTE-1" and variant["availability"] == 5
    stock = _data(await client.call_tool("check_availability", {"skus": ["TOTE-1"]}))
    [level] = stock["availability"][0]["variant"]["stockLevels"]
    assert level["location"]["id"] == store_gid and level["available"] == 5

    created = _data(
        await client.call_tool(
            "create_cart", {"lines": [{"variantId": variant["id"], "quantity": 2}]}
        )
    )
    cart, cart_token = created["cart"], created["cartToken"]
    assert cart_token and cart["accessToken"] == cart_token
    # The cart is held by its token, not its id: without it the cart reads like a missing one.
    blind = _data(await client.call_tool("begin_checkout", {"cart_id": cart["id"]}))
    assert blind["quote"] is None and blind["userErrors"][0]["code"] == "NOT_FOUND"
    held = {"cart_id": cart["id"], "cart_token": cart_token}
    quote = _data(await client.call_tool("begin_checkout", held))["quote"]
    assert quote["cost"]["subtotal"] == {"amount": "50.00", "currencyCode": "EUR"}

    buy = held | {
        "idempotency_key": "agent-order-1",
        "payment_token": "tok_visa",
        "method": "PICKUP",
        "location_id": store_gid,
    }
    # No quote, a forged one, or an expired one: typed errors, nothing bought.
    missing = await client.call_tool("complete_checkout", buy | {"confirmation_token": "nope"})
    assert missing.is_error and "QUOTE_REQUIRED" in missing.content[0].text
    expired_token = issue_quote_token(env.settings(), cart["id"], None, ttl_seconds=-5)
    expired = await client.call_tool(
        "complete_checkout", buy | {"confirmation_token": expired_token}
    )
    assert expired.is_error and "QUOTE_EXPIRED" in expired.content[0].text
    assert await db.fetchval("SELECT count(*) FROM orders") == 0

    placed = _data(
        await client.call_tool(
            "complete_checkout", buy | {"confirmation_token": quote["confirmationToken"]}
        )
    )
    assert placed["userErrors"] == []
    order = placed["order"]
    again = _data(
        await client.call_tool(
            "complete_checkout", buy | {"confirmation_token": quote["confirmationToken"]}
        )
    )
    assert again["order"]["id"] == order["id"]  # a retry never buys twice

    # The guest's order is held by the cart's token too.
    blind = _data(await client.call_tool("order_status", {"order_id": order["id"]}))
    assert blind["order"] is None
    status = _data(
        await client.call_tool("order_status", {"order_id": order["id"], "cart_token": cart_token})
    )["order"]
    [line] = status["lines"]
    assert line == {
        "id": line["id"],
        "sku": "TOTE-1",
        "quantity": 2,
        "cancelledQuantity": 0,
        "unitPrice": {"amount": "25.00", "currencyCode": "EUR"},
        "total": {"amount": "50.00", "currencyCode": "EUR"},
    }
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    rows = await db.fetch("SELECT sku, quantity FROM order_lines")
    assert [(r["sku"], r["quantity"]) for r in rows] == [("TOTE-1", 2)]
    on_hand, reserved = await db.fetchrow(
        "SELECT on_hand, reserved FROM stock_levels WHERE sku = 'TOTE-1' AND location_id = $1",
        store,
    )
    assert (on_hand, reserved) == (3, 0)  # stock taken
    await _cancel(client, db, order["id"], line["id"], store, cart_token)


async def _cancel(
    client: Client,
    db: asyncpg.Connection[Any],
    order_id: str,
    line_id: str,
    store: uuid.UUID,
    cart_token: str,
) -> None:
    """The shopper changes their mind: one unit, then the rest; stock back each time."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert tools["cancel_order"].annotations.read_only_hint is False
    one = {
        "order_id": order_id,
        "cart_token": cart_token,
        "idempotency_key": "agent-cancel-1",
        "lines": [{"lineId": line_id, "quantity": 1}],
    }
    first = _data(await client.call_tool("cancel_order", one))
    assert first["userErrors"] == []
    assert first["amountGivenBack"] == {"amount": "25.00", "currencyCode": "EUR"}
    assert first["order"]["lines"][0]["cancelledQuantity"] == 1
    again = _data(await client.call_tool("cancel_order", one))  # a retry changes nothing
    assert again["amountGivenBack"] == first["amountGivenBack"]

    async def on_hand() -> int:
        value: int = await db.fetchval(
            "SELECT on_hand FROM stock_levels WHERE sku = 'TOTE-1' AND location_id = $1", store
        )
        return value

    assert await on_hand() == 4
    rest = _data(
        await client.call_tool(
            "cancel_order",
            {"order_id": order_id, "cart_token": cart_token, "idempotency_key": "agent-cancel-2"},
        )
    )
    assert rest["userErrors"] == [] and rest["order"]["status"] == "CANCELLED"
    assert rest["order"]["cancelReason"] == "CUSTOMER_REQUEST"
    assert await on_hand() == 5
    assert await db.fetchval("SELECT status FROM payments") == "VOIDED"
    refused = _data(
        await client.call_tool(
            "cancel_order",
            {"order_id": order_id, "cart_token": cart_token, "idempotency_key": "agent-cancel-3"},
        )
    )
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_CANCELLABLE"]


async def test_purchase_over_http(serve: Any, env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    server = serve()
    async with Client(f"{server.url}/mcp/") as client:
        await _purchase(client, env, db)


async def test_purchase_over_stdio(env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "entrypoints.cli", "mcp"],
        env=env.environ(UCG_LOG_LEVEL="WARNING"),
        cwd=str(ROOT),
    )
    async with Client(params) as client:
        await _purchase(client, env, db)
