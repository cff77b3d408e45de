"""Store pick lists (issue 17): storeWork and storeWorkLinePick over HTTP, real Postgres."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, staff_token, unique
from tests.live import new_customer
from tests.order_helpers import complete, guest_carts, level, make_sale

WORK = """query($loc: ID!, $first: Int!, $after: String) {
  storeWork(locationId: $loc, first: $first, after: $after) {
    edges { cursor node { fulfillmentId orderId orderNumber method status promisedAt
      lines { lineId sku quantity pickedQuantity shortQuantity } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
PICK = """mutation($loc: ID!, $f: ID!, $line: ID!, $n: Int!) {
  storeWorkLinePick(locationId: $loc, fulfillmentId: $f, lineId: $line, pickedQuantity: $n) {
    order { status lines { quantity cancelledQuantity } }
    fulfillmentStatus pickedQuantity shortQuantity refunded { amount currencyCode }
    userErrors { code field message }
  }
}"""


def local(gid: str) -> uuid.UUID:
    return uuid.UUID(gid.rsplit("/", 1)[1])


async def pickup_orders(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], sale: Any, n: int, qty: int
) -> list[str]:
    store = to_global_id("Location", sale.location)
    orders = []
    for cart in await guest_carts(db, sale, n, qty=qty):
        placed = await complete(
            client, cart, unique("k-"), fulfillment={"method": "PICKUP", "locationId": store}
        )
        assert placed["userErrors"] == [], placed
        orders.append(placed["order"]["id"])
    return orders


async def work(client: httpx.AsyncClient, token: str, store: str, first: int, after: Any = None):  # type: ignore[no-untyped-def]
    body = await graphql(client, WORK, {"loc": store, "first": first, "after": after}, token=token)
    assert "errors" not in body, body
    return body["data"]["storeWork"]


async def pick(
    client: httpx.AsyncClient, token: str, store: str, fid: str, line: str, n: int
) -> dict[str, Any]:
    body = await graphql(client, PICK, {"loc": store, "f": fid, "line": line, "n": n}, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["storeWorkLinePick"]
    return result


async def test_the_pick_list_is_oldest_promise_first_and_pages_in_constant_statements(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 20, kind="STORE")
    store = to_global_id("Location", sale.location)
    associate = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    orders = await pickup_orders(client, db, sale, 5, qty=1)
    # The last order placed has the oldest promise; one has none (listed last).
    await db.execute(
        "UPDATE fulfillments SET promised_at = now() - interval '1 hour' WHERE order_id = $1",
        local(orders[-1]),
    )
    await db.execute(
        "UPDATE fulfillments SET promised_at = NULL WHERE order_id = $1", local(orders[0])
    )
    seen: list[str] = []
    after = None
    while True:
        page = await work(client, associate, store, 2, after)
        seen += [e["node"]["orderId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [orders[-1], *orders[1:-1], orders[0]]

    counts = {}
    for first in (1, 5):
        with log_statements() as statements:
            page = await work(client, associate, store, first)
        assert len(page["edges"]) == first
        assert all(e["node"]["lines"][0]["sku"] == sale.sku for e in page["edges"])
        counts[first] = len([s for s in statements if "typeinfo" not in s])
    assert counts[1] == counts[5], counts

    # Only staff with the ORDERS scope read a store's work.
    customer = customer_token(env.settings(), await new_customer(db))
    refused = await graphql(client, WORK, {"loc": store, "first": 5}, token=customer)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_picking_with_a_short_pick_cancels_the_missing_units_and_readies_the_order(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 10, kind="STORE", price=1000)
    store = to_global_id("Location", sale.location)
    associate = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    full, short = await pickup_orders(client, db, sale, 2, qty=3)
    assert await level(db, sale) == (4, 0)
    items = {
        e["node"]["orderId"]: e["node"] for e in (await work(client, associate, store, 10))["edges"]
    }
    assert set(items) == {full, short}
    first = items[full]
    [line] = first["lines"]
    assert (line["quantity"], line["pickedQuantity"], first["status"]) == (3, None, "ALLOCATED")

    # Bad picks are typed errors and change nothing.
    other = items[short]["lines"][0]["lineId"]
    for args, code, field in (
        ((first["fulfillmentId"], other, 1), "NOT_IN_PICK_LIST", ["lineId"]),
        ((first["fulfillmentId"], line["lineId"], 4), "INVALID_QUANTITY", ["pickedQuantity"]),
        ((first["fulfillmentId"], line["lineId"], -1), "INVALID_QUANTITY", ["pickedQuantity"]),
    ):
        result = await pick(client, associate, store, *args)
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)], result
    elsewhere = to_global_id("Location", sale.location).replace(
        str(sale.location), str(await _another_store(db))
    )
    result = await pick(client, associate, elsewhere, first["fulfillmentId"], line["lineId"], 3)
    assert result["userErrors"][0]["code"] == "NOT_IN_PICK_LIST"
    customer = customer_token(env.settings(), await new_customer(db))
    result = await pick(client, customer, store, first["fulfillmentId"], line["lineId"], 3)
    assert result["userErrors"][0]["code"] == "NOT_FOUND"
    assert await db.fetchval("SELECT count(*) FROM store_pick_lines") == 0
    assert (
        await db.fetchval(
            "SELECT status FROM fulfillments WHERE id = $1", local(first["fulfillmentId"])
        )
        == "ALLOCATED"
    )

    # A full pick: the pickup is ready, off the list, its readiness time recorded.
    done = await pick(client, associate, store, first["fulfillmentId"], line["lineId"], 3)
    assert done["userErrors"] == []
    assert (done["fulfillmentStatus"], done["pickedQuantity"], done["shortQuantity"]) == (
        "READY_FOR_PICKUP",
        3,
        0,
    )
    assert done["order"]["status"] == "READY_FOR_PICKUP"
    again = await pick(client, associate, store, first["fulfillmentId"], line["lineId"], 3)
    assert again["userErrors"][0]["code"] == "NOT_IN_PICK_LIST"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM store_pick_lines WHERE fulfillment_id = $1",
            local(first["fulfillmentId"]),
        )
        == 1
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM store_pickup_readiness WHERE order_id = $1", local(full)
        )
        == 1
    )

    # A short pick: 1 of 3 found; the 2 missing units are cancelled and given back.
    second = items[short]
    owed_before = await db.fetchval(
        "SELECT owed_minor FROM payments WHERE order_id = $1", local(short)
    )
    result = await pick(
        client, associate, store, second["fulfillmentId"], second["lines"][0]["lineId"], 1
    )
    assert result["userErrors"] == [], result
    assert (result["pickedQuantity"], result["shortQuantity"]) == (1, 2)
    assert result["fulfillmentStatus"] == "READY_FOR_PICKUP"
    assert result["order"]["status"] == "READY_FOR_PICKUP"
    assert result["order"]["lines"] == [{"quantity": 3, "cancelledQuantity": 2}]
    assert result["refunded"]["amount"] in ("0", "0.00")  # not captured yet: owed lowered
    owed_after = await db.fetchval(
        "SELECT owed_minor FROM payments WHERE order_id = $1", local(short)
    )
    assert owed_before - owed_after >= 2000
    units = await db.fetchval(
        "SELECT quantity FROM fulfillment_lines WHERE fulfillment_id = $1",
        local(second["fulfillmentId"]),
    )
    assert units == 1
    cancelled = await db.fetchrow(
        "SELECT payload FROM outbox WHERE type = 'ucg.order.cancelled.v1' AND aggregate_id = $1",
        str(local(short)),
    )
    assert cancelled["payload"]["reason"] == "STOCK_ISSUE"
    assert cancelled["payload"]["lines"][0]["quantity"] == 2
    picked_events = await db.fetch(
        "SELECT payload FROM outbox WHERE type = 'ucg.store.work_line_picked.v1' ORDER BY sequence"
    )
    assert [
        (e["payload"]["pickedQuantity"], e["payload"]["shortQuantity"]) for e in picked_events
    ] == [
        (3, 0),
        (1, 2),
    ]
    # The missing units were not on the shelf: nothing is put back, and stock and ledger agree.
    assert await level(db, sale) == (4, 0)
    ledger = await db.fetchval(
        "SELECT coalesce(sum(delta), 0) FROM stock_movements WHERE sku = $1 AND location_id = $2",
        sale.sku,
        sale.location,
    )
    assert ledger == 4
    assert (await work(client, associate, store, 10))["edges"] == []


async def _another_store(db: asyncpg.Connection[Any]) -> uuid.UUID:
    from tests.stock_helpers import make_location

    return await make_location(db, kind="STORE")
