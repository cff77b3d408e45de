"""pickupArrival and pickupHandover in process (real Postgres): the use-cases' rules."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from api.auth import new_api_key
from datasources.postgres import auth_store
from domain.auth import Role
from domain.ids import to_global_id
from domain.store.pickup import pickup_code
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token, unique
from tests.order_helpers import SHIP, complete, guest_carts, make_sale
from tests.stock_helpers import make_location

ARRIVE = """mutation($id: ID!, $note: String) {
  pickupArrival(orderId: $id, note: $note) { arrival { note bay } userErrors { code field } }
}"""
HANDOVER = """mutation($id: ID!, $code: String!) {
  pickupHandover(orderId: $id, code: $code) { order { status } userErrors { code field } }
}"""
PICK = """mutation($loc: ID!, $f: ID!, $line: ID!, $n: Int!) {
  storeWorkLinePick(locationId: $loc, fulfillmentId: $f, lineId: $line, pickedQuantity: $n) {
    order { status } fulfillmentStatus shortQuantity userErrors { code field }
  }
}"""


def local(gid: str) -> uuid.UUID:
    return uuid.UUID(gid.rsplit("/", 1)[1])


async def test_arrival_and_handover_rules(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 5, kind="STORE")
    store = to_global_id("Location", sale.location)
    associate = staff_token(settings, Role.STORE_ASSOCIATE)
    [pickup_cart] = await guest_carts(db, sale, 1)
    [ship_cart] = await guest_carts(db, await make_sale(db, 5), 1)
    pickup = await complete(
        client, pickup_cart, unique("k-"), {"method": "PICKUP", "locationId": store}
    )
    shipped = await complete(client, ship_cart, unique("k-"), SHIP)
    order_id, ship_id = pickup["order"]["id"], shipped["order"]["id"]

    # A shipped order is not a pickup; a note is trimmed and bounded.
    body = await graphql(client, ARRIVE, {"id": ship_id})
    assert body["data"]["pickupArrival"]["userErrors"] == [
        {"code": "INVALID_TRANSITION", "field": ["orderId"]}
    ]
    body = await graphql(client, ARRIVE, {"id": order_id, "note": "n" * 501})
    assert body["data"]["pickupArrival"]["userErrors"] == [{"code": "INVALID", "field": ["note"]}]
    body = await graphql(client, ARRIVE, {"id": order_id, "note": "  at the door "})
    assert body["data"]["pickupArrival"]["arrival"] == {"note": "at the door", "bay": None}
    assert await db.fetchval("SELECT count(*) FROM store_pickup_arrivals") == 1

    code = pickup_code(settings.jwt_secret, local(order_id))
    # Not ready yet: nothing to hand over, even with the right code.
    body = await graphql(client, HANDOVER, {"id": order_id, "code": code}, token=associate)
    assert body["data"]["pickupHandover"]["userErrors"] == [
        {"code": "INVALID_TRANSITION", "field": ["orderId"]}
    ]
    # SUPPORT reads orders but hands nothing over; an unknown order is NOT_FOUND.
    support = staff_token(settings, Role.SUPPORT)
    body = await graphql(client, HANDOVER, {"id": order_id, "code": code}, token=support)
    assert body["data"]["pickupHandover"]["userErrors"][0]["code"] == "FORBIDDEN"
    # The buyer (or anyone without the ORDERS scope) is answered as for no such order.
    body = await graphql(client, HANDOVER, {"id": order_id, "code": code})
    assert body["data"]["pickupHandover"]["userErrors"][0]["code"] == "NOT_FOUND"
    missing = to_global_id("Order", uuid.uuid4())
    body = await graphql(client, HANDOVER, {"id": missing, "code": code}, token=associate)
    assert body["data"]["pickupHandover"]["userErrors"][0]["code"] == "NOT_FOUND"

    # Picking the only line makes it ready; then the code hands it over.
    part = await db.fetchrow(
        "SELECT f.id, fl.order_line_id FROM fulfillments f "
        "JOIN fulfillment_lines fl ON fl.fulfillment_id = f.id WHERE f.order_id = $1",
        local(order_id),
    )
    variables = {
        "loc": store,
        "f": to_global_id("Fulfillment", part["id"]),
        "line": to_global_id("OrderLine", part["order_line_id"]),
        "n": 1,
    }
    body = await graphql(client, PICK, variables, token=associate)
    assert body["data"]["storeWorkLinePick"]["fulfillmentStatus"] == "READY_FOR_PICKUP"
    # A store app's key bound to another store hands nothing over here.
    key, prefix, secret_hash = new_api_key()
    elsewhere = await make_location(db, kind="STORE")
    await auth_store.create_api_key(
        db, prefix, secret_hash, "other store", None, ["STORE_ASSOCIATE"], location_id=elsewhere
    )
    body = await graphql(
        client, HANDOVER, {"id": order_id, "code": code}, headers={"x-api-key": key}
    )
    assert body["data"]["pickupHandover"]["userErrors"] == [
        {"code": "FORBIDDEN", "field": ["locationId"]}
    ]
    body = await graphql(client, HANDOVER, {"id": order_id, "code": code}, token=associate)
    assert body["data"]["pickupHandover"] == {"order": {"status": "COMPLETED"}, "userErrors": []}
    events = await db.fetch(
        "SELECT type FROM outbox WHERE aggregate_type = 'Store' ORDER BY sequence"
    )
    assert [e["type"] for e in events] == [
        "ucg.store.pickup_arrived.v1",
        "ucg.store.work_line_picked.v1",
        "ucg.store.pickup_handed_over.v1",
    ]


async def test_nothing_found_cancels_the_whole_pickup_and_voids_the_payment(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 5, kind="STORE")
    store = to_global_id("Location", sale.location)
    associate = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    [cart] = await guest_carts(db, sale, 1, qty=2)
    placed = await complete(client, cart, unique("k-"), {"method": "PICKUP", "locationId": store})
    order = local(placed["order"]["id"])
    part = await db.fetchrow(
        "SELECT f.id, fl.order_line_id FROM fulfillments f "
        "JOIN fulfillment_lines fl ON fl.fulfillment_id = f.id WHERE f.order_id = $1",
        order,
    )
    variables = {
        "loc": store,
        "f": to_global_id("Fulfillment", uuid.uuid4()),
        "line": to_global_id("OrderLine", part["order_line_id"]),
        "n": 0,
    }
    body = await graphql(client, PICK, variables, token=associate)
    assert body["data"]["storeWorkLinePick"]["userErrors"] == [
        {"code": "NOT_FOUND", "field": ["fulfillmentId"]}
    ]
    variables["f"] = to_global_id("Fulfillment", part["id"])
    body = await graphql(client, PICK, variables, token=associate)
    result = body["data"]["storeWorkLinePick"]
    assert result["userErrors"] == []
    assert (result["fulfillmentStatus"], result["shortQuantity"]) == ("CANCELLED", 2)
    assert result["order"]["status"] == "CANCELLED"
    payment = await db.fetchrow(
        "SELECT status, owed_minor FROM payments WHERE order_id = $1", order
    )
    assert (payment["status"], payment["owed_minor"]) == ("VOIDED", 0)
