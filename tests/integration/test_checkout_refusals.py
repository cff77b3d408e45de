"""checkoutBegin refusals and re-begins through GraphQL: unknown and empty carts, a line
no longer for sale, an unknown pickup store, no stock anywhere, and a second begin; and
checkoutComplete with no stock left anywhere or a cart changed since checkoutBegin."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from tests.helpers import graphql, unique
from tests.order_helpers import BEGIN, complete, guest_carts, level, make_sale


async def begin_errors(client: httpx.AsyncClient, cart: str, store: str | None = None) -> Any:
    body = await graphql(client, BEGIN, {"cartId": cart, "store": store})
    return [(e["code"], e["field"]) for e in body["data"]["checkoutBegin"]["userErrors"]]


async def test_an_unknown_cart_is_not_found(client: httpx.AsyncClient) -> None:
    cart = f"gid://ucg/Cart/{uuid.uuid4()}"
    assert await begin_errors(client, cart) == [("NOT_FOUND", ["cartId"])]


async def test_an_empty_cart_is_refused_and_holds_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1)
    await db.execute("DELETE FROM cart_lines")
    assert await begin_errors(client, cart) == [("INVALID", ["cartId"])]
    assert await level(db, sale) == (5, 0)


async def test_a_line_whose_product_is_no_longer_active_names_the_line(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1)
    await db.execute(
        "UPDATE products SET status = 'ARCHIVED' WHERE id = "
        "(SELECT product_id FROM variants WHERE id = $1)",
        sale.variant,
    )
    assert await begin_errors(client, cart) == [("INVALID", ["cart", "lines", "0"])]
    assert await level(db, sale) == (5, 0)


async def test_an_unknown_pickup_store_is_not_found(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5, kind="STORE")
    (cart,) = await guest_carts(db, sale, 1)
    store = f"gid://ucg/Location/{uuid.uuid4()}"
    assert await begin_errors(client, cart, store) == [("NOT_FOUND", ["pickupLocationId"])]
    assert await level(db, sale) == (5, 0)


async def test_no_stock_anywhere_is_out_of_stock_on_the_carts_line(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 1)
    (cart,) = await guest_carts(db, sale, 1, qty=3)
    assert await begin_errors(client, cart) == [("OUT_OF_STOCK", ["cart", "lines", "0"])]
    assert await level(db, sale) == (1, 0)


async def test_a_second_begin_replaces_the_first_hold(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1, qty=2)
    assert await begin_errors(client, cart) == []
    assert await begin_errors(client, cart) == []
    assert await level(db, sale) == (5, 2)  # not 4: the first hold was released
    statuses = await db.fetch("SELECT status FROM reservations ORDER BY created_at")
    assert [r["status"] for r in statuses] == ["RELEASED", "ACTIVE"]


async def test_complete_with_no_stock_left_anywhere_is_out_of_stock(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 1)
    first, second = await guest_carts(db, sale, 2)
    assert (await complete(client, first, unique("k-")))["userErrors"] == []
    result = await complete(client, second, unique("k-"))
    assert result["order"] is None
    assert [e["code"] for e in result["userErrors"]] == ["OUT_OF_STOCK"]
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    assert await level(db, sale) == (0, 0)


async def test_complete_after_the_cart_changed_replaces_the_begin_hold(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1, qty=2)
    assert await begin_errors(client, cart) == []
    await db.execute("UPDATE cart_lines SET quantity = 3")
    result = await complete(client, cart, unique("k-"))
    assert result["userErrors"] == []
    assert await level(db, sale) == (2, 0)  # 3 units shipped, the 2-unit hold released
    statuses = await db.fetch("SELECT status FROM reservations ORDER BY created_at")
    assert [r["status"] for r in statuses] == ["RELEASED", "COMMITTED"]
