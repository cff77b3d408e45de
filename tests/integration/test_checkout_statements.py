"""The SQL statements of checkoutBegin and checkoutComplete, counted (asyncpg's own
introspection left out; an executemany counts once).

Per line of the cart, each still costs 3: the stock row's conditional UPDATE, the
reservation line (begin) or ledger row (complete), and the line's stock-change event.
Everything else is batched over the lines (prices, routing inputs, order and
fulfillment lines). Batching those three per-line writes too is what is left of
issue 23's "constant in the lines"."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from tests.helpers import graphql, keep_cart_tokens
from tests.integration.test_cart_statements import _asyncpg_internal
from tests.order_helpers import BEGIN, COMPLETE, SHIP, VISA, Sale, make_sale
from tests.stock_helpers import make_variant, receive


async def cart_of(db: asyncpg.Connection[Any], sale: Sale, lines: int) -> str:
    cart = uuid.uuid4()
    await db.execute(
        "INSERT INTO carts (id, channel_id, currency_code) VALUES ($1, $2, 'EUR')",
        cart,
        sale.channel,
    )
    variants = [sale.variant]
    for _ in range(lines - 1):
        sku = await make_variant(db)
        variant = await db.fetchval("SELECT id FROM variants WHERE sku = $1", sku)
        await db.execute(
            "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
            "VALUES ($1, $2, 'EUR', 500)",
            variant,
            sale.channel,
        )
        await receive(db, sku, sale.location, 10)
        variants.append(variant)
    await db.executemany(
        "INSERT INTO cart_lines (cart_id, variant_id, quantity, position) VALUES ($1, $2, 1, $3)",
        [(cart, v, i) for i, v in enumerate(variants)],
    )
    return f"gid://ucg/Cart/{cart}"


async def statements(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> list[str]:
    with log_statements() as sql:
        body = await graphql(client, query, variables)
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [], payload
    return [s for s in sql if not _asyncpg_internal(s)]


async def test_checkout_statements_counted_one_line_and_five(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: Any
) -> None:
    keep_cart_tokens(client, env.settings().jwt_secret)
    sale = await make_sale(db, units=10)
    counts: dict[int, tuple[int, int]] = {}
    for lines in (1, 5):
        cart = await cart_of(db, sale, lines)
        begin = await statements(client, BEGIN, {"cartId": cart, "store": None})
        complete = await statements(
            client, COMPLETE, {"cartId": cart, "f": SHIP, "p": VISA, "key": uuid.uuid4().hex}
        )
        counts[lines] = (len(begin), len(complete))
    # The order with its lines, fulfillments and payment is one statement (the Order
    # aggregate's add), plus the order number: 41 before, when they were four. The cart's
    # lines and their offers (variant, product, price) are one read, and so are a locked
    # hold and its lines: 13 and 39 before.
    assert counts[1] == (12, 35), counts
    # 3 statements a line more, for both, and nothing else grows.
    assert counts[5] == (12 + 4 * 3, 35 + 4 * 3), counts


async def test_cart_create_reads_no_lines_back_and_its_event_has_them(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    from domain.ids import to_global_id

    sale = await make_sale(db, units=10)
    other = await db.fetchval("SELECT id FROM variants WHERE sku = $1", await make_variant(db))
    await db.execute(
        "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
        "VALUES ($1, $2, 'EUR', 500)",
        other,
        sale.channel,
    )
    create = """mutation($input: CartInput!) {
      cartCreate(input: $input) { cart { id } userErrors { code } } }"""
    lines = [
        {"merchandiseId": to_global_id("ProductVariant", sale.variant), "quantity": 1},
        {"merchandiseId": to_global_id("ProductVariant", other), "quantity": 3},
        {"merchandiseId": to_global_id("ProductVariant", sale.variant), "quantity": 2},
    ]
    variables = {"input": {"channel": to_global_id("Channel", sale.channel), "lines": lines}}
    sql = await statements(client, create, variables)
    # A new cart has no lines to read: BEGIN, channel, cart, offers, the two inserts and
    # the one update of the repeated line, the event, COMMIT.
    in_transaction = sql[: sql.index("COMMIT;") + 1]
    assert not [s for s in in_transaction if s.startswith("SELECT") and "cart_lines" in s]
    assert len(in_transaction) == 9, in_transaction
    data = await db.fetchval(  # the db fixture decodes jsonb
        "SELECT payload FROM outbox WHERE type = 'ucg.cart.updated.v1' ORDER BY id DESC LIMIT 1"
    )
    assert data["reason"] == "CREATED"
    assert data["lines"] == [
        {"variantId": str(sale.variant), "quantity": 3},
        {"variantId": str(other), "quantity": 3},
    ]
    assert data["totalQuantity"] == 6
