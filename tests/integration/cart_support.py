"""Shared set-up of the cart tests: a small catalog, stock and people, inserted directly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from tests.helpers import customer_token as customer_token
from tests.helpers import staff_token as staff_token

CART_FIELDS = """
id status currencyCode note expiresAt fulfillmentMethod totalQuantity
channel { id }
buyerIdentity { email countryCode customer { id } }
lines(first: 250) { edges { node {
  id quantity sku merchandise { id } attributes { key value }
  cost { unitPrice { amount } compareAtUnitPrice { amount } subtotal { amount }
         discount { amount } tax { amount } total { amount } }
  warnings { code availableQuantity }
} } }
cost { subtotal { amount currencyCode } compareAtSubtotal { amount } discount { amount }
       shipping { amount } shippingDiscount { amount } tax { amount } taxesIncluded
       total { amount } }
discountCodes { code applicable rejection amount { amount } }
shippingEstimates { method amount { amount } }
warnings { code lineId availableQuantity }
mergedInto { id }
"""
PAYLOAD = f"cart {{ {CART_FIELDS} }} userErrors {{ code field message }}"

CART_CREATE = f"""mutation($input: CartInput!) {{ cartCreate(input: $input) {{ {PAYLOAD} }} }}"""
LINES_ADD = f"""mutation($cartId: ID!, $lines: [CartLineInput!]!) {{
  cartLinesAdd(cartId: $cartId, lines: $lines) {{ {PAYLOAD} }} }}"""
LINES_UPDATE = f"""mutation($cartId: ID!, $lines: [CartLineUpdateInput!]!) {{
  cartLinesUpdate(cartId: $cartId, lines: $lines) {{ {PAYLOAD} }} }}"""
LINES_REMOVE = f"""mutation($cartId: ID!, $lineIds: [ID!]!) {{
  cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {{ {PAYLOAD} }} }}"""
CODES_UPDATE = f"""mutation($cartId: ID!, $codes: [String!]!) {{
  cartDiscountCodesUpdate(cartId: $cartId, discountCodes: $codes) {{ {PAYLOAD} }} }}"""
BUYER_UPDATE = f"""mutation($cartId: ID!, $buyer: CartBuyerIdentityInput!) {{
  cartBuyerIdentityUpdate(cartId: $cartId, buyerIdentity: $buyer) {{ {PAYLOAD} }} }}"""
NOTE_UPDATE = f"""mutation($cartId: ID!, $note: String!) {{
  cartNoteUpdate(cartId: $cartId, note: $note) {{ {PAYLOAD} }} }}"""
METHOD_UPDATE = f"""mutation($cartId: ID!, $method: FulfillmentMethod!) {{
  cartFulfillmentMethodUpdate(cartId: $cartId, method: $method) {{ {PAYLOAD} }} }}"""
CART_QUERY = f"""query($id: ID!) {{ cart(id: $id) {{ {CART_FIELDS} }} }}"""


def gid(type_name: str, local: uuid.UUID) -> str:
    return f"gid://ucg/{type_name}/{local}"


@dataclass
class Shop:
    web: uuid.UUID
    app: uuid.UUID
    variants: dict[str, uuid.UUID]
    location: uuid.UUID

    def line(self, sku: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
        return {
            "merchandiseId": gid("ProductVariant", self.variants[sku]),
            "quantity": quantity,
        } | extra


async def make_shop(db: asyncpg.Connection[Any]) -> Shop:
    """WEB and APP (EUR; WEB also sells USD). Variants:
    MUG-1 10.00 (compare-at 15.00), stock 5; TEE-1 25.00, stock 1; CAP-1 7.50, no stock;
    OLD-1 archived; NOPRICE-1 active without a price on APP."""
    web = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ('WEB', 'Web', 'EUR') RETURNING id"
    )
    app = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ('APP', 'App', 'EUR') RETURNING id"
    )
    location = await db.fetchval(
        "INSERT INTO locations (code, name, kind) VALUES ('WH', 'Warehouse', 'WAREHOUSE') RETURNING id"
    )
    variants: dict[str, uuid.UUID] = {}
    spec = [
        ("MUG-1", "ACTIVE", 1000, 1500, 5),
        ("TEE-1", "ACTIVE", 2500, None, 1),
        ("CAP-1", "ACTIVE", 750, None, 0),
        ("OLD-1", "ARCHIVED", 500, None, 9),
        ("NOPRICE-1", "ACTIVE", None, None, 9),
    ]
    for sku, status, price, compare_at, on_hand in spec:
        product = await db.fetchval(
            "INSERT INTO products (handle, title, status) VALUES ($1, $1, $2) RETURNING id",
            sku.lower(),
            status,
        )
        variant = await db.fetchval(
            "INSERT INTO variants (product_id, sku, title) VALUES ($1, $2, 'Default') RETURNING id",
            product,
            sku,
        )
        variants[sku] = variant
        channels = [web, app] if price is not None else [web]
        for channel in channels:
            await db.execute(
                "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor, "
                "compare_at_minor) VALUES ($1, $2, 'EUR', $3, $4)",
                variant,
                channel,
                price if price is not None else 100,
                compare_at,
            )
        await db.execute(
            "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
            "VALUES ($1, $2, 'USD', 1100)",
            variant,
            web,
        )
        await db.execute(
            "INSERT INTO stock_levels (sku, location_id, on_hand) VALUES ($1, $2, $3)",
            sku,
            location,
            on_hand,
        )
    return Shop(web, app, variants, location)


async def add_customer(db: asyncpg.Connection[Any], name: str = "Ann") -> uuid.UUID:
    customer: uuid.UUID = await db.fetchval(
        "INSERT INTO customers (display_name) VALUES ($1) RETURNING id", name
    )
    return customer


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body or body.get("data") is not None, body
    return body


async def mutate(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    token: str | None = None,
) -> dict[str, Any]:
    """The mutation's payload; fails on GraphQL-level errors."""
    body = await gql(client, query, variables, token)
    assert "errors" not in body, body
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    cart: dict[str, Any] = payload["cart"]
    return cart


def lines_of(cart: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in cart["lines"]["edges"]]


def error_codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    assert payload["cart"] is None
    return [(e["code"], e["field"]) for e in payload["userErrors"]]
