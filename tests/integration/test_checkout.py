"""Checkout through GraphQL against real Postgres: flash sale, idempotency, declines."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token, unique
from tests.order_helpers import (
    BEGIN,
    COMPLETE,
    SHIP,
    VISA,
    complete,
    guest_carts,
    level,
    make_sale,
)
from tests.stock_helpers import assert_ledger_matches


async def test_flash_sale_500_buyers_50_units(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 50)
    carts = await guest_carts(db, sale, 500)
    results = await asyncio.gather(*(complete(client, c, unique("k-")) for c in carts))
    placed = [r for r in results if r["order"] is not None]
    refused = [r for r in results if r["order"] is None]
    assert len(placed) == 50
    assert len(refused) == 450
    for r in refused:
        assert [(e["code"], e["field"]) for e in r["userErrors"]] == [
            ("OUT_OF_STOCK", ["cart", "lines", "0"])
        ]
        assert sale.sku in r["userErrors"][0]["message"]
    assert await db.fetchval("SELECT count(*) FROM orders") == 50
    assert await db.fetchval("SELECT count(*) FROM carts WHERE status = 'COMPLETED'") == 50
    assert await db.fetchval("SELECT sum(quantity) FROM order_lines") == 50
    assert await level(db, sale) == (0, 0)
    assert (
        await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'ucg.order.created.v1'") == 50
    )
    assert await db.fetchval("SELECT count(*) FROM reservations WHERE status = 'ACTIVE'") == 0
    # Refused before any payment was asked for: 50 authorizations, each with its order.
    assert await db.fetchval("SELECT count(*) FROM test_provider_authorizations") == 50
    assert (
        await db.fetchval(
            "SELECT count(*) FROM payment_transactions WHERE kind = 'AUTHORIZE' "
            "AND state = 'AUTHORIZED' AND order_id IS NOT NULL"
        )
        == 50
    )
    assert await db.fetchval("SELECT count(*) FROM payment_transactions") == 50
    await assert_ledger_matches(db)


async def test_same_key_sequential_and_concurrent_is_one_order(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 10)
    first, second = await guest_carts(db, sale, 2)
    key = unique("k-")
    a = await complete(client, first, key)
    b = await complete(client, first, key)
    assert a["userErrors"] == [] and a["order"] == b["order"]
    # Concurrently: 8 calls with one key, one order.
    key2 = unique("k-")
    results = await asyncio.gather(*(complete(client, second, key2) for _ in range(8)))
    assert {r["order"]["id"] for r in results} == {results[0]["order"]["id"]}
    assert all(r["userErrors"] == [] for r in results)
    assert await db.fetchval("SELECT count(*) FROM orders") == 2
    assert await level(db, sale) == (8, 0)
    # The same key with different input is refused and changes nothing.
    conflict = await complete(client, first, key, payment={"token": "tok_mastercard"})
    assert conflict["order"] is None
    assert [e["code"] for e in conflict["userErrors"]] == ["IDEMPOTENCY_CONFLICT"]
    await assert_ledger_matches(db)


async def test_declined_payment_leaves_nothing_behind(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 3)
    (cart,) = await guest_carts(db, sale, 1, qty=2)
    begun = await graphql(client, BEGIN, {"cartId": cart})
    assert begun["data"]["checkoutBegin"]["userErrors"] == []
    assert begun["data"]["checkoutBegin"]["subtotalMinor"] == 2 * 1999
    assert await level(db, sale) == (3, 2)  # held by checkoutBegin
    events_before = await db.fetchval("SELECT count(*) FROM outbox")
    result = await complete(client, cart, unique("k-"), payment={"token": "tok_declined"})
    assert result["order"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("PAYMENT_DECLINED", ["payment", "token"])
    ]
    assert await db.fetchval("SELECT count(*) FROM orders") == 0
    assert await level(db, sale) == (3, 0)  # the hold was released
    assert await db.fetchval("SELECT count(*) FROM checkouts") == 0
    assert not await db.fetchval(
        "SELECT count(*) FROM outbox WHERE id > $1 AND type LIKE 'ucg.order.%'", events_before
    )
    assert await db.fetchval("SELECT status FROM carts") == "ACTIVE"
    # The buyer retries with a good card (new key): the order is placed.
    ok = await complete(client, cart, unique("k-"))
    # 2 x 19.99 + 4.95 SHIP (EUR rate; free only from 50.00), no tax without a country.
    assert ok["userErrors"] == [] and ok["order"]["total"]["amount"] == "44.93"
    assert await level(db, sale) == (1, 0)
    await assert_ledger_matches(db)


async def test_begin_then_complete_commits_the_hold_with_a_price_snapshot(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5, kind="STORE")
    (cart,) = await guest_carts(db, sale, 1, qty=2)
    store = f"gid://ucg/Location/{sale.location}"
    begun = await graphql(client, BEGIN, {"cartId": cart, "store": store})
    assert begun["data"]["checkoutBegin"]["userErrors"] == []
    assert await level(db, sale) == (5, 2)
    await db.execute("UPDATE prices SET amount_minor = 5000")  # price change after checkout
    result = await complete(
        client, cart, unique("k-"), fulfillment={"method": "PICKUP", "locationId": store}
    )
    assert result["userErrors"] == []
    assert await level(db, sale) == (3, 0)
    line = await db.fetchrow("SELECT sku, quantity, unit_price_minor FROM order_lines")
    assert dict(line) == {"sku": sale.sku, "quantity": 2, "unit_price_minor": 5000}
    f = await db.fetchrow("SELECT method, location_id, status FROM fulfillments")
    assert dict(f) == {"method": "PICKUP", "location_id": sale.location, "status": "ALLOCATED"}
    pay = await db.fetchrow("SELECT status, amount_minor FROM payments")
    assert dict(pay) == {"status": "AUTHORIZED", "amount_minor": 10000}
    assert await db.fetchval("SELECT count(*) FROM reservations WHERE status = 'COMMITTED'") == 1
    # A completed cart cannot be checked out again with a new key.
    again = await complete(client, cart, unique("k-"))
    assert [e["code"] for e in again["userErrors"]] == ["INVALID"]
    await assert_ledger_matches(db)


async def test_missing_address_or_store_is_a_user_error(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1)
    no_address = await complete(client, cart, unique("k-"), fulfillment={"method": "SHIP"})
    assert [(e["code"], e["field"]) for e in no_address["userErrors"]] == [
        ("INVALID", ["fulfillment", "address"])
    ]
    no_store = await complete(client, cart, unique("k-"), fulfillment={"method": "PICKUP"})
    assert [(e["code"], e["field"]) for e in no_store["userErrors"]] == [
        ("INVALID", ["fulfillment", "locationId"])
    ]
    assert await db.fetchval("SELECT count(*) FROM orders") == 0
    assert await level(db, sale) == (5, 0)


UPDATE = """mutation($id: ID!, $status: FulfillmentStatus!, $tracking: TrackingInput) {
  fulfillmentUpdate(id: $id, status: $status, tracking: $tracking) {
    fulfillment { id status tracking method }
    order { id status }
    userErrors { code field message }
  }
}"""
COMPLETE_WITH_FULFILLMENTS = COMPLETE.replace(
    "order { id number status total { amount currencyCode } }",
    "order { id status lines { sku quantity unitPrice { amount } total { amount } } "
    "fulfillments { id status method locationId } }",
)


async def test_bopis_ready_then_picked_up_captures_the_payment(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 4, kind="STORE")
    (cart,) = await guest_carts(db, sale, 1, qty=1)
    store = f"gid://ucg/Location/{sale.location}"
    body = await graphql(
        client,
        COMPLETE_WITH_FULFILLMENTS,
        {
            "cartId": cart,
            "f": {"method": "PICKUP", "locationId": store},
            "p": VISA,
            "key": unique("k-"),
        },
    )
    placed = body["data"]["checkoutComplete"]
    assert placed["userErrors"] == []
    order = placed["order"]
    assert order["status"] == "UNFULFILLED"
    assert order["lines"] == [
        {
            "sku": sale.sku,
            "quantity": 1,
            "unitPrice": {"amount": "19.99"},
            "total": {"amount": "19.99"},
        }
    ]
    (fulfillment,) = order["fulfillments"]
    assert fulfillment["method"] == "PICKUP" and fulfillment["locationId"] == store
    associate = staff_token(env.settings(), Role.STORE_ASSOCIATE)

    async def move(status: str, token: str | None = associate) -> dict[str, Any]:
        result = await graphql(
            client, UPDATE, {"id": fulfillment["id"], "status": status}, token=token
        )
        assert "errors" not in result, result
        payload: dict[str, Any] = result["data"]["fulfillmentUpdate"]
        return payload

    anonymous = await move("PICKING", token=None)
    assert anonymous["fulfillment"] is None and anonymous["userErrors"][0]["code"] in (
        "UNAUTHENTICATED",
        "FORBIDDEN",
    )
    assert (await move("PICKING"))["order"]["status"] == "IN_PROGRESS"
    wrong = await move("SHIPPED")  # a pickup never ships
    assert [e["code"] for e in wrong["userErrors"]] == ["INVALID_TRANSITION"]
    ready = await move("READY_FOR_PICKUP")
    assert ready["order"]["status"] == "READY_FOR_PICKUP"
    assert await db.fetchval("SELECT status FROM payments") == "AUTHORIZED"
    done = await move("PICKED_UP")
    assert done["fulfillment"]["status"] == "PICKED_UP"
    assert done["order"]["status"] == "COMPLETED"  # all handed over at the counter
    pay = await db.fetchrow("SELECT status, captured_minor, amount_minor FROM payments")
    assert pay["status"] == "CAPTURED" and pay["captured_minor"] == pay["amount_minor"] == 1999
    again = await move("PICKED_UP")  # setting the same status again changes nothing
    assert again["userErrors"] == []
    statuses = await db.fetch(
        "SELECT payload->>'status' AS s FROM outbox WHERE type = 'ucg.order.status_changed.v1' "
        "ORDER BY sequence"
    )
    assert [r["s"] for r in statuses] == ["IN_PROGRESS", "READY_FOR_PICKUP", "COMPLETED"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'ucg.fulfillment.status_changed.v1'"
        )
        == 3
    )


async def test_database_error_mid_checkout_leaves_nothing_behind(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    """A real Postgres error after the order, stock and fulfillments were written (the
    payment row is refused by a trigger): everything rolls back and the hold is released."""
    sale = await make_sale(db, 3)
    (cart,) = await guest_carts(db, sale, 1, qty=2)
    await graphql(client, BEGIN, {"cartId": cart})
    assert await level(db, sale) == (3, 2)
    await db.execute(
        """CREATE FUNCTION refuse_payment() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'injected failure'; END $$;
           CREATE TRIGGER refuse_payment BEFORE INSERT ON payments
           FOR EACH ROW EXECUTE FUNCTION refuse_payment();"""
    )
    events_before = await db.fetchval("SELECT count(*) FROM outbox")
    body = await graphql(
        client, COMPLETE, {"cartId": cart, "f": SHIP, "p": VISA, "key": unique("k-")}
    )
    assert body.get("errors") and not (body.get("data") or {}).get("checkoutComplete")
    assert await db.fetchval("SELECT count(*) FROM orders") == 0
    assert await db.fetchval("SELECT count(*) FROM order_lines") == 0
    assert await db.fetchval("SELECT count(*) FROM fulfillments") == 0
    assert await level(db, sale) == (3, 0)
    assert await db.fetchval("SELECT status FROM carts") == "ACTIVE"
    assert not await db.fetchval(
        "SELECT count(*) FROM outbox WHERE id > $1 AND type LIKE 'ucg.order.%'", events_before
    )
    await assert_ledger_matches(db)
