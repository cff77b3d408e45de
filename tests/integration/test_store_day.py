"""A day at a store over HTTP (issue 17): two till sales (cash; split tender), an
endless-aisle order, a BORIS return of a web order; the store's stock and ledger agree."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token
from tests.integration.test_store_pos import aisle, codes, pos_store, sell
from tests.live import new_customer
from tests.order_helpers import level, make_sale
from tests.return_helpers import picked_up_order
from tests.stock_helpers import assert_ledger_matches, make_location, receive

BORIS = """mutation($loc: ID!, $order: ID!, $lines: [ReturnLineInput!]!, $reason: ReturnReason!,
                   $key: String!) {
  posReturn(locationId: $loc, orderId: $order, lines: $lines, reason: $reason,
            idempotencyKey: $key) {
    return { id status locationId lines { sku quantity resellable } refunded { amount } }
    userErrors { code field message }
  }
}"""
SHARE = """query($loc: ID!) { storeReturnShare(locationId: $loc) { received crossChannel } }"""


async def boris(
    client: httpx.AsyncClient, token: str, store: Any, order: str, line: str, qty: int, key: str
) -> dict[str, Any]:
    body = await graphql(
        client,
        BORIS,
        {
            "loc": to_global_id("Location", store),
            "order": order,
            "lines": [{"lineId": line, "quantity": qty}],
            "reason": "CHANGED_MIND",
            "key": key,
        },
        token=token,
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["posReturn"]
    return result


async def test_a_day_at_a_store(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    # The store, on the POS channel, with 10 units; it does not ship.
    shop = await pos_store(db, 10, price=1000)
    await db.execute("UPDATE locations SET can_ship = false WHERE id = $1", shop.location)
    warehouse = await make_location(db, kind="WAREHOUSE")
    await receive(db, shop.sku, warehouse, 20)
    # A web order of another SKU, collected at another store yesterday.
    web = await make_sale(db, 3, kind="STORE", price=2500)
    web_order = await picked_up_order(client, db, settings, web, qty=2)
    bob = await new_customer(db)
    await db.execute(
        "INSERT INTO customer_identities (customer_id, kind, normalized) "
        "VALUES ($1, 'EMAIL', 'bob@example.com')",
        bob,
    )
    till = staff_token(settings, Role.POS)

    # 1. A cash sale.
    first = await sell(client, till, shop, 2, [{"kind": "CASH", "amountMinor": 5000}], "day-1")
    assert first["userErrors"] == [] and first["sale"]["changeMinor"] == 3000
    # 2. A split tender for Bob, found by email.
    split = [
        {"kind": "CARD", "amountMinor": 2000, "cardToken": "tok_mastercard"},
        {"kind": "CASH", "amountMinor": 1000},
    ]
    second = await sell(
        client, till, shop, 3, split, "day-2", {"kind": "EMAIL", "value": "bob@example.com"}
    )
    assert second["userErrors"] == [] and second["sale"]["pointsEarned"] > 0
    assert second["sale"]["customerId"] == to_global_id("Customer", bob)
    assert await level(db, shop) == (5, 0)

    # 3. Endless aisle: 8 for home delivery, more than the shop has: from the warehouse.
    ordered = await aisle(client, till, shop.location, shop, 8, "day-3", customer={"id": None})
    assert ordered["userErrors"] == [], ordered
    assert (
        await db.fetchval(
            "SELECT f.location_id FROM fulfillments f JOIN orders o ON o.id = f.order_id "
            "WHERE o.number = $1",
            ordered["order"]["orderNumber"],
        )
        == warehouse
    )
    assert await level(db, shop) == (5, 0)

    # 4. BORIS: one unit of the web order back at this shop; too many is refused.
    too_many = await boris(client, till, shop.location, web_order.id, web_order.line_id, 3, "b0")
    assert codes(too_many)[0][0] == "NOT_RETURNABLE"
    back = await boris(client, till, shop.location, web_order.id, web_order.line_id, 1, "b1")
    assert back["userErrors"] == [], back
    ret = back["return"]
    assert ret["status"] == "RECEIVED" and ret["locationId"] == to_global_id(
        "Location", shop.location
    )
    assert ret["lines"] == [{"sku": web.sku, "quantity": 1, "resellable": True}]
    assert ret["refunded"] == {"amount": "25.00"}
    assert (
        await db.fetchval(
            "SELECT on_hand FROM stock_levels WHERE sku = $1 AND location_id = $2",
            web.sku,
            shop.location,
        )
        == 1
    )
    assert (
        await db.fetchval(
            "SELECT refunded_minor FROM payments p JOIN orders o ON o.id = p.order_id "
            "WHERE o.customer_id = $1",
            web_order.customer_id,
        )
        == 2500
    )
    again = await boris(client, till, shop.location, web_order.id, web_order.line_id, 1, "b1")
    assert again["return"]["id"] == ret["id"]

    # A till sale of this shop cannot be returned at another store.
    elsewhere = await make_location(db, kind="STORE")
    sale_one = await db.fetchrow(
        "SELECT o.id, l.id AS line FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.number = $1",
        first["sale"]["orderNumber"],
    )
    refused = await boris(
        client,
        till,
        elsewhere,
        to_global_id("Order", sale_one["id"]),
        to_global_id("OrderLine", sale_one["line"]),
        1,
        "b2",
    )
    assert codes(refused) == [("NOT_RETURNABLE", ["orderId"])]

    share = await graphql(
        client, SHARE, {"loc": to_global_id("Location", shop.location)}, token=till
    )
    assert share["data"]["storeReturnShare"] == {"received": 1, "crossChannel": 1}

    # The end of the day: the shop's stock is what it received less what the till sold,
    # plus what came back; every level equals its ledger.
    assert await level(db, shop) == (10 - 2 - 3, 0)
    assert (
        await db.fetchval(
            "SELECT sum(delta) FROM stock_movements WHERE location_id = $1", shop.location
        )
        == 5 + 1
    )
    await assert_ledger_matches(db)
    events = await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'ucg.order.created.v1'")
    assert events == 4  # the web order, two till sales, the endless-aisle order


async def test_boris_damaged_units_are_refunded_not_restocked_and_a_till_sale_is_not_cross_channel(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    shop = await pos_store(db, 4, price=1000)
    web = await make_sale(db, 2, kind="STORE", price=2500)
    web_order = await picked_up_order(client, db, settings, web, qty=1)
    till = staff_token(settings, Role.POS)
    body = await graphql(
        client,
        BORIS.replace('"CHANGED_MIND"', "$reason"),
        {
            "loc": to_global_id("Location", shop.location),
            "order": web_order.id,
            "lines": [{"lineId": web_order.line_id, "quantity": 1}],
            "reason": "DAMAGED",
            "key": "dmg",
        },
        token=till,
    )
    ret = body["data"]["posReturn"]["return"]
    assert ret["lines"][0]["resellable"] is False and ret["refunded"] == {"amount": "25.00"}
    assert (
        await db.fetchval(
            "SELECT count(*) FROM stock_levels WHERE sku = $1 AND location_id = $2",
            web.sku,
            shop.location,
        )
        == 0
    )
    # A till sale returned where it was sold: back on this shelf, not cross-channel.
    sold = await sell(client, till, shop, 2, [{"kind": "CASH", "amountMinor": 2000}], "t1")
    row = await db.fetchrow(
        "SELECT o.id, l.id AS line FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.number = $1",
        sold["sale"]["orderNumber"],
    )
    back = await boris(
        client,
        till,
        shop.location,
        to_global_id("Order", row["id"]),
        to_global_id("OrderLine", row["line"]),
        1,
        "t1-back",
    )
    assert back["userErrors"] == [], back
    assert await level(db, shop) == (4 - 2 + 1, 0)
    # The cash goes back from the drawer: the cash payment records the refund.
    assert (
        await db.fetchval(
            "SELECT refunded_minor FROM payments WHERE order_id = $1 AND provider = 'cash'",
            row["id"],
        )
        == 1000
    )
    share = await graphql(
        client, SHARE, {"loc": to_global_id("Location", shop.location)}, token=till
    )
    assert share["data"]["storeReturnShare"] == {"received": 2, "crossChannel": 1}
    await assert_ledger_matches(db)
