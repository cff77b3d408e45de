"""Settlements over several after-sale steps, points that follow the money, and the
tax on shipping, through GraphQL with the real test payment provider."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from tests.conftest import TestEnv
from tests.helpers import graphql, unique
from tests.order_helpers import make_sale
from tests.return_helpers import create_return, move, place_order, receive_return

CANCEL = """mutation($id: ID!, $lines: [OrderCancelLineInput!], $key: String) {
  orderCancel(orderId: $id, reason: CUSTOMER_REQUEST, lines: $lines, idempotencyKey: $key) {
    order { status } amountGivenBack { amount } userErrors { code field message } } }"""
TAXED_SHIP = {
    "method": "SHIP",
    "address": {
        "line1": "Damrak 1",
        "city": "Amsterdam",
        "countryCode": "US",
        "provinceCode": "NY",
    },
}


async def _points(db: asyncpg.Connection[Any], customer_id: uuid.UUID) -> int:
    value: int = await db.fetchval(
        "SELECT coalesce(sum(points), 0) FROM loyalty_ledger WHERE customer_id = $1", customer_id
    )
    return value


async def _cancel(
    client: httpx.AsyncClient, order_id: str, token: str, lines: list[dict[str, Any]] | None
) -> dict[str, Any]:
    body = await graphql(
        client, CANCEL, {"id": order_id, "lines": lines, "key": unique("c-")}, token=token
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["orderCancel"]
    assert payload["userErrors"] == [], payload
    return payload


async def test_returns_after_a_partial_cancel_void_once_and_reverse_points(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 10, kind="STORE", price=1000)
    order = await place_order(client, db, settings, sale, qty=10)
    assert await _points(db, order.customer_id) == 100  # 100.00 EUR earns 100

    # Cancel 3 of 10 before the pickup: owed 100.00 -> 70.00, 30% of the points go.
    line = [{"lineId": order.line_id, "quantity": 3}]
    cancelled = await _cancel(client, order.id, order.token, line)
    assert cancelled["amountGivenBack"] == {"amount": "30.00"}
    assert await _points(db, order.customer_id) == 70
    await move(client, settings, order.fulfillment_id, "READY_FOR_PICKUP", "PICKED_UP")
    pay = await db.fetchrow("SELECT status, captured_minor, owed_minor FROM payments")
    assert tuple(pay) == ("CAPTURED", 7000, 7000)

    # Return #1 refunds 10.00 and voids the uncaptured 30.00; return #2 must not void
    # again (the provider would answer ALREADY_VOIDED) and must record its refund.
    for expected_refunded, expected_points in ((1000, 60), (2000, 50)):
        created = await create_return(client, order, 1)
        assert created["userErrors"] == [], created
        received = await receive_return(client, settings, created["return"]["id"], sale.location)
        assert received["userErrors"] == [], received
        assert received["return"]["refunded"] == {"amount": "10.00"}
        pay = await db.fetchrow("SELECT status, owed_minor, refunded_minor FROM payments")
        assert tuple(pay) == ("CAPTURED", 7000 - expected_refunded, expected_refunded)
        assert await _points(db, order.customer_id) == expected_points
    assert await db.fetchval("SELECT sum(returned_quantity) FROM order_lines") == 2


async def test_whole_cancel_of_a_taxed_order_gives_back_all_and_voids(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 5, price=1999)
    order = await place_order(client, db, settings, sale, qty=2, fulfillment=TAXED_SHIP)
    stored = await db.fetchrow("SELECT tax_minor, shipping_minor, total_minor FROM orders")
    line_tax = await db.fetchval("SELECT tax_minor FROM order_lines")
    # 39.98 + 4.95 shipping; NY tax on both, and the shipping's share is in no line.
    assert stored["shipping_minor"] == 495 and stored["tax_minor"] > line_tax > 0
    total = stored["total_minor"]
    assert await _points(db, order.customer_id) == total // 100

    cancelled = await _cancel(client, order.id, order.token, None)
    assert cancelled["order"]["status"] == "CANCELLED"
    assert cancelled["amountGivenBack"] == {"amount": f"{total // 100}.{total % 100:02d}"}
    pay = await db.fetchrow("SELECT status, owed_minor, captured_minor FROM payments")
    assert tuple(pay) == ("VOIDED", 0, 0)
    [event] = await db.fetch("SELECT payload FROM outbox WHERE type = 'ucg.order.cancelled.v1'")
    assert event["payload"]["amountMinor"] == total and event["payload"]["voided"] is True
    # The points earned by the order are gone; nothing counts toward lifetime value.
    assert await _points(db, order.customer_id) == 0
    me = await graphql(client, "{ me { lifetimeValue { amount } } }", token=order.token)
    assert me["data"]["me"]["lifetimeValue"] == {"amount": "0.00"}
