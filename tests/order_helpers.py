"""Order fixtures shared by the checkout and after-sale tests: a priced sku in stock,
guest carts, checkoutComplete through GraphQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from tests.helpers import graphql, unique
from tests.stock_helpers import make_location, make_variant, receive

COMPLETE = """
mutation($cartId: ID!, $f: CheckoutFulfillmentInput!, $p: CheckoutPaymentInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, fulfillment: $f, payment: $p, idempotencyKey: $key) {
    order { id number status total { amount currencyCode } }
    userErrors { code field message }
  }
}"""
BEGIN = """mutation($cartId: ID!, $store: ID) {
  checkoutBegin(cartId: $cartId, pickupLocationId: $store) {
    reservedUntil subtotalMinor userErrors { code field message } } }"""
SHIP = {"method": "SHIP", "address": {"line1": "Damrak 1", "city": "Amsterdam"}}
VISA = {"token": "tok_visa"}


@dataclass
class Sale:
    channel: uuid.UUID
    sku: str
    variant: uuid.UUID
    location: uuid.UUID


async def make_sale(
    db: asyncpg.Connection[Any], units: int, *, kind: str = "WAREHOUSE", price: int = 1999
) -> Sale:
    channel = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ($1, 'Web', 'EUR') RETURNING id",
        unique("CH_").upper(),
    )
    sku = await make_variant(db)
    variant = await db.fetchval("SELECT id FROM variants WHERE sku = $1", sku)
    await db.execute(
        "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
        "VALUES ($1, $2, 'EUR', $3)",
        variant,
        channel,
        price,
    )
    location = await make_location(db, kind=kind)
    await receive(db, sku, location, units)
    return Sale(channel, sku, variant, location)


async def guest_carts(db: asyncpg.Connection[Any], sale: Sale, n: int, qty: int = 1) -> list[str]:
    ids = [uuid.uuid4() for _ in range(n)]
    await db.executemany(
        "INSERT INTO carts (id, channel_id, currency_code) VALUES ($1, $2, 'EUR')",
        [(i, sale.channel) for i in ids],
    )
    await db.executemany(
        "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, $3)",
        [(i, sale.variant, qty) for i in ids],
    )
    return [f"gid://ucg/Cart/{i}" for i in ids]


async def complete(
    client: httpx.AsyncClient,
    cart: str,
    key: str,
    fulfillment: dict[str, Any] | None = None,
    payment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = await graphql(
        client,
        COMPLETE,
        {"cartId": cart, "f": fulfillment or SHIP, "p": payment or VISA, "key": key},
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["checkoutComplete"]
    return result


async def level(db: asyncpg.Connection[Any], sale: Sale) -> tuple[int, int]:
    r = await db.fetchrow(
        "SELECT on_hand, reserved FROM stock_levels WHERE sku = $1 AND location_id = $2",
        sale.sku,
        sale.location,
    )
    return r["on_hand"], r["reserved"]
