"""Fixtures of the returns and order-listing tests: a signed-in customer's order, picked up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from api.settings import Settings
from domain.auth import Role
from tests.helpers import customer_token, graphql, staff_token, unique
from tests.order_helpers import COMPLETE, VISA, Sale

PLACE = COMPLETE.replace(
    "order { id number status total { amount currencyCode } }",
    "order { id status lines { id sku quantity } fulfillments { id } }",
)
UPDATE = """mutation($id: ID!, $status: FulfillmentStatus!) {
  fulfillmentUpdate(id: $id, status: $status) { order { status } userErrors { code } } }"""
RETURN_FIELDS = """id orderId status reason note createdAt receivedAt locationId
  refund { amount currencyCode } refunded { amount }
  lines { orderLineId sku quantity resellable refund { amount } }"""
CREATE = f"""mutation($order: ID!, $lines: [ReturnLineInput!]!, $reason: ReturnReason!,
                   $key: String!, $note: String) {{
  orderReturnCreate(orderId: $order, lines: $lines, reason: $reason, idempotencyKey: $key,
                    note: $note) {{
    return {{ {RETURN_FIELDS} }}
    order {{ id returns {{ id status }} }}
    userErrors {{ code field message }}
  }}
}}"""
RECEIVE = f"""mutation($id: ID!, $location: ID!) {{
  orderReturnReceive(returnId: $id, locationId: $location) {{
    return {{ {RETURN_FIELDS} }}
    userErrors {{ code field message }}
  }}
}}"""


@dataclass
class PlacedOrder:
    id: str
    line_id: str
    fulfillment_id: str
    customer_id: uuid.UUID
    token: str


async def make_customer(db: asyncpg.Connection[Any]) -> uuid.UUID:
    customer_id: uuid.UUID = await db.fetchval(
        "INSERT INTO customers (display_name) VALUES ($1) RETURNING id", unique("buyer-")
    )
    return customer_id


async def place_order(
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    settings: Settings,
    sale: Sale,
    *,
    qty: int,
    customer_id: uuid.UUID | None = None,
    fulfillment: dict[str, Any] | None = None,
) -> PlacedOrder:
    """A customer's cart of `qty` units checked out (PICKUP at the sale's store by default)."""
    customer_id = customer_id or await make_customer(db)
    cart_id = await db.fetchval(
        "INSERT INTO carts (channel_id, currency_code, customer_id) VALUES ($1, 'EUR', $2) "
        "RETURNING id",
        sale.channel,
        customer_id,
    )
    await db.execute(
        "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, $3)",
        cart_id,
        sale.variant,
        qty,
    )
    token = customer_token(settings, customer_id)
    body = await graphql(
        client,
        PLACE,
        {
            "cartId": f"gid://ucg/Cart/{cart_id}",
            "f": fulfillment
            or {"method": "PICKUP", "locationId": f"gid://ucg/Location/{sale.location}"},
            "p": VISA,
            "key": unique("k-"),
        },
        token=token,
    )
    assert "errors" not in body, body
    placed = body["data"]["checkoutComplete"]
    assert placed["userErrors"] == [], placed
    order = placed["order"]
    return PlacedOrder(
        order["id"],
        order["lines"][0]["id"],
        order["fulfillments"][0]["id"],
        customer_id,
        token,
    )


async def move(
    client: httpx.AsyncClient, settings: Settings, fulfillment_id: str, *statuses: str
) -> str:
    """Move a fulfillment through `statuses` as a store associate; the order's last status."""
    associate = staff_token(settings, Role.STORE_ASSOCIATE)
    status = ""
    for target in statuses:
        body = await graphql(
            client, UPDATE, {"id": fulfillment_id, "status": target}, token=associate
        )
        payload = body["data"]["fulfillmentUpdate"]
        assert payload["userErrors"] == [], payload
        status = payload["order"]["status"]
    return status


async def picked_up_order(
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    settings: Settings,
    sale: Sale,
    *,
    qty: int,
) -> PlacedOrder:
    """A BOPIS order collected at the counter: the payment is captured."""
    order = await place_order(client, db, settings, sale, qty=qty)
    assert await move(client, settings, order.fulfillment_id, "READY_FOR_PICKUP", "PICKED_UP") == (
        "COMPLETED"
    )
    return order


async def create_return(
    client: httpx.AsyncClient,
    order: PlacedOrder,
    quantity: int,
    reason: str = "WRONG_SIZE",
    *,
    key: str | None = None,
    token: str | None = None,
    line_id: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    body = await graphql(
        client,
        CREATE,
        {
            "order": order.id,
            "lines": [{"lineId": line_id or order.line_id, "quantity": quantity}],
            "reason": reason,
            "key": key or unique("r-"),
            "note": note,
        },
        token=order.token if token is None else token,
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["orderReturnCreate"]
    return payload


async def receive_return(
    client: httpx.AsyncClient, settings: Settings, return_id: str, location: uuid.UUID
) -> dict[str, Any]:
    body = await graphql(
        client,
        RECEIVE,
        {"id": return_id, "location": f"gid://ucg/Location/{location}"},
        token=staff_token(settings, Role.STORE_ASSOCIATE),
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["orderReturnReceive"]
    return payload
