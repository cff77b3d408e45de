"""fulfillmentUpdate sets only working statuses, and never on an order held for review."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token, unique
from tests.order_helpers import complete, guest_carts, level, make_sale

UPDATE = """mutation($id: ID!, $status: FulfillmentStatus!) {
  fulfillmentUpdate(id: $id, status: $status) {
    fulfillment { status }
    order { status }
    userErrors { code field message }
  }
}"""


async def snapshot(db: asyncpg.Connection[Any]) -> dict[str, Any]:
    """Everything an update could change: statuses, payment, stock, events."""
    return {
        "order": dict(await db.fetchrow("SELECT status, on_hold FROM orders")),
        "fulfillments": [r["status"] for r in await db.fetch("SELECT status FROM fulfillments")],
        "payment": dict(await db.fetchrow("SELECT status, captured_minor FROM payments")),
        "lines": [dict(r) for r in await db.fetch("SELECT cancelled_quantity FROM order_lines")],
        "stock": [dict(r) for r in await db.fetch("SELECT on_hand, reserved FROM stock_levels")],
        "movements": await db.fetchval("SELECT count(*) FROM stock_movements"),
        "outbox": await db.fetchval("SELECT count(*) FROM outbox"),
    }


async def placed_order(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> tuple[str, Any]:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1, qty=2)
    result = await complete(client, cart, unique("k-"))
    assert result["userErrors"] == []
    assert await level(db, sale) == (3, 0)
    fulfillment = await db.fetchval("SELECT id FROM fulfillments")
    return to_global_id("Fulfillment", fulfillment), sale


async def move(client: httpx.AsyncClient, env: TestEnv, gid: str, status: str) -> dict[str, Any]:
    token = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    body = await graphql(client, UPDATE, {"id": gid, "status": status}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["fulfillmentUpdate"]
    return payload


async def test_a_held_order_cannot_be_released_or_shipped_by_fulfillment_update(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    gid, _ = await placed_order(client, db, env)
    # The state a fraud HOLD at checkout leaves.
    await db.execute("UPDATE orders SET on_hold = true, status = 'ON_HOLD'")
    await db.execute("UPDATE fulfillments SET status = 'ON_HOLD'")
    before = await snapshot(db)
    # Before the fix: ON_HOLD -> PENDING -> ALLOCATED -> SHIPPED captured the payment.
    for status in ("PENDING", "ALLOCATED", "PICKING", "SHIPPED"):
        refused = await move(client, env, gid, status)
        assert refused["fulfillment"] is None and refused["order"] is None
        [error] = refused["userErrors"]
        assert error["code"] == "INVALID_TRANSITION"
        assert "orderReview" in error["message"]
    # Only the order flag left (the fulfillment already released): still no work.
    await db.execute("UPDATE fulfillments SET status = 'ALLOCATED'")
    flagged = await move(client, env, gid, "SHIPPED")
    assert [(e["code"], e["field"]) for e in flagged["userErrors"]] == [
        ("INVALID_TRANSITION", ["id"])
    ]
    await db.execute("UPDATE fulfillments SET status = 'ON_HOLD'")
    assert await snapshot(db) == before
    assert before["payment"]["status"] == "AUTHORIZED"


async def test_fulfillment_update_does_not_cancel_that_is_order_cancel(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    gid, _ = await placed_order(client, db, env)
    await move(client, env, gid, "PICKING")
    before = await snapshot(db)
    assert before["fulfillments"] == ["PICKING"]
    # PICKING -> CANCELLED is in the lifecycle table, but only orderCancel restocks,
    # counts cancelled units, voids the payment and records why.
    refused = await move(client, env, gid, "CANCELLED")
    assert refused["fulfillment"] is None
    [error] = refused["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_TRANSITION", ["status"])
    assert "orderCancel" in error["message"]
    back = await move(client, env, gid, "ALLOCATED")
    assert "orderReview" in back["userErrors"][0]["message"]
    assert await snapshot(db) == before
    # The working moves still work.
    assert (await move(client, env, gid, "SHIPPED"))["fulfillment"]["status"] == "SHIPPED"
