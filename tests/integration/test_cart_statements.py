"""Reading a cart costs a constant number of SQL statements, whatever its size."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from tests.integration.cart_support import CART_QUERY, gid, gql, lines_of

FULL_QUERY = CART_QUERY.replace(
    "merchandise { id }", "merchandise { id sku title availability product { title } }"
)


def _asyncpg_internal(statement: str) -> bool:
    """asyncpg's own statements: type introspection the first time a connection sees a
    statement shape, and the reset run when a connection goes back to the pool."""
    return (
        "typeinfo_tree" in statement
        or "current_setting('jit')" in statement
        or "set_config('jit'" in statement
        or statement.startswith("SELECT pg_advisory_unlock_all()")
    )


async def _cart_with_lines(db: asyncpg.Connection[Any], channel: uuid.UUID, n: int) -> str:
    cart = await db.fetchval(
        "INSERT INTO carts (channel_id, currency_code, discount_codes, buyer_country_code) "
        "VALUES ($1, 'EUR', '{TEN,NOPE}', 'NL') RETURNING id",
        channel,
    )
    for i in range(n):
        product = await db.fetchval(
            "INSERT INTO products (handle, title, status) VALUES ($1, $1, 'ACTIVE') RETURNING id",
            f"p-{cart}-{i}",
        )
        variant = await db.fetchval(
            "INSERT INTO variants (product_id, sku, title) VALUES ($1, $2, 'x') RETURNING id",
            product,
            f"SKU-{cart}-{i}",
        )
        await db.execute(
            "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
            "VALUES ($1, $2, 'EUR', $3)",
            variant,
            channel,
            100 + i,
        )
        await db.execute(
            "INSERT INTO cart_lines (cart_id, variant_id, quantity, position) VALUES ($1, $2, 2, $3)",
            cart,
            variant,
            i,
        )
    return gid("Cart", cart)


async def test_reading_a_cart_of_50_lines_costs_what_one_line_costs(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    channel = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ('WEB', 'Web', 'EUR') RETURNING id"
    )
    await db.execute("INSERT INTO discounts (code, kind, value) VALUES ('TEN', 'PERCENTAGE', 1000)")
    small = await _cart_with_lines(db, channel, 1)
    large = await _cart_with_lines(db, channel, 50)
    counts = {}
    for name, cart_id in (("small", small), ("large", large)):
        with log_statements() as statements:
            body = await gql(client, FULL_QUERY, {"id": cart_id})
        assert "errors" not in body, body
        lines = lines_of(body["data"]["cart"])
        assert len(lines) == (1 if name == "small" else 50)
        assert all(line["merchandise"]["product"]["title"] for line in lines)
        counts[name] = len([s for s in statements if not _asyncpg_internal(s)])
    assert body["data"]["cart"]["cost"]["subtotal"]["amount"] == str(
        sum(2 * (100 + i) for i in range(50)) / 100
    ).ljust(len("127.50"), "0")
    # cart, lines (with prices), stock, discount codes, variants, products, channel.
    print("statements", counts)
    assert counts["small"] == counts["large"] <= 8, counts
