"""Curbside and pickup handover over HTTP and WebSocket against `ucg serve` (issue 17)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, keep_cart_tokens, staff_token, unique
from tests.live import GraphQLSocket, new_customer
from tests.order_helpers import complete, guest_carts, make_sale

ACTIVITY = """subscription($loc: ID!) {
  storeActivity(locationId: $loc) {
    kind locationId orderId orderNumber fulfillmentId bay note occurredAt eventId
    order { id status }
  }
}"""
ORDER = """query($id: ID!) { order(id: $id) { id status pickupCode
  fulfillments { id status } } }"""
ARRIVE = """mutation($id: ID!, $bay: String, $note: String) {
  pickupArrival(orderId: $id, bay: $bay, note: $note) {
    arrival { orderId fulfillmentId locationId bay note arrivedAt }
    userErrors { code field message }
  }
}"""
HANDOVER = """mutation($id: ID!, $code: String!) {
  pickupHandover(orderId: $id, code: $code) {
    order { id status fulfillments { status } }
    userErrors { code field message }
  }
}"""
READY = """mutation($id: ID!) {
  fulfillmentUpdate(id: $id, status: READY_FOR_PICKUP) { userErrors { code } }
}"""
READINESS = """query($loc: ID!) {
  storeReadiness(locationId: $loc) {
    locationId count averageSeconds medianSeconds p90Seconds
    recent { orderId fulfillmentId placedAt readyAt readySeconds }
  }
}"""


@pytest.fixture
async def db(env: TestEnv) -> AsyncIterator[asyncpg.Connection[Any]]:
    conn = await asyncpg.connect(env.database_url)
    yield conn
    await conn.close()


@pytest.mark.slow
async def test_curbside_arrival_is_seen_live_and_the_code_hands_the_pickup_over(
    env: TestEnv, serve: Any, db: asyncpg.Connection[Any]
) -> None:
    server = serve()
    settings = env.settings()
    sale = await make_sale(db, 5, kind="STORE")
    store = to_global_id("Location", sale.location)
    associate = staff_token(settings, Role.STORE_ASSOCIATE)

    staff_ws = await GraphQLSocket.open(server.url, token=associate)
    await staff_ws.subscribe(ACTIVITY, {"loc": store})
    # Another store's staff see nothing of this store.
    other_store = to_global_id("Location", await _store(db))
    other_ws = await GraphQLSocket.open(server.url, token=associate)
    await other_ws.subscribe(ACTIVITY, {"loc": other_store})

    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as buyer,
        httpx.AsyncClient(base_url=server.url, timeout=30) as staff,
        httpx.AsyncClient(base_url=server.url, timeout=30) as stranger,
    ):
        keep_cart_tokens(buyer, settings.jwt_secret)  # the guest's app keeps its cart token
        [cart] = await guest_carts(db, sale, 1, qty=2)
        pickup = {"method": "PICKUP", "locationId": store}
        placed = await complete(buyer, cart, unique("k-"), fulfillment=pickup)
        assert placed["userErrors"] == []
        order_id = placed["order"]["id"]

        # A new pickup order reaches the store's staff live.
        placed_event = (await staff_ws.next_data())["storeActivity"]
        assert placed_event["kind"] == "PICKUP_ORDER_PLACED"
        assert placed_event["orderId"] == order_id
        assert placed_event["locationId"] == store
        assert placed_event["order"] == {"id": order_id, "status": "UNFULFILLED"}

        # Only the buyer sees the pickup code; staff see the order without it.
        as_buyer = (await graphql(buyer, ORDER, {"id": order_id}))["data"]["order"]
        code = as_buyer["pickupCode"]
        assert code is not None and len(code) == 6 and code.isdigit()
        as_staff = (await graphql(staff, ORDER, {"id": order_id}, token=associate))["data"]
        assert as_staff["order"]["id"] == order_id and as_staff["order"]["pickupCode"] is None
        fulfillment = as_buyer["fulfillments"][0]["id"]

        # Without the cart token the order is not yours: like one that does not exist.
        refused = await graphql(stranger, ARRIVE, {"id": order_id, "bay": "9"})
        assert refused["data"]["pickupArrival"]["userErrors"][0]["code"] == "NOT_FOUND"
        bad = await graphql(buyer, ARRIVE, {"id": order_id, "bay": "x" * 21})
        assert bad["data"]["pickupArrival"]["userErrors"][0]["field"] == ["bay"]

        ready = await graphql(staff, READY, {"id": fulfillment}, token=associate)
        assert ready["data"]["fulfillmentUpdate"]["userErrors"] == []

        arrived = await graphql(buyer, ARRIVE, {"id": order_id, "bay": " 3 ", "note": "blue van"})
        payload = arrived["data"]["pickupArrival"]
        assert payload["userErrors"] == []
        assert (
            payload["arrival"]["bay"] == "3" and payload["arrival"]["fulfillmentId"] == fulfillment
        )

        seen = (await staff_ws.next_data())["storeActivity"]
        assert seen["kind"] == "PICKUP_ARRIVED"
        assert (seen["orderId"], seen["bay"], seen["note"]) == (order_id, "3", "blue van")
        assert seen["order"]["status"] == "READY_FOR_PICKUP"

        # A wrong code hands nothing over.
        wrong = "000000" if code != "000000" else "111111"
        body = await graphql(staff, HANDOVER, {"id": order_id, "code": wrong}, token=associate)
        errors = body["data"]["pickupHandover"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [("PICKUP_CODE_INVALID", ["code"])]
        local = uuid.UUID(order_id.rsplit("/", 1)[1])
        assert await db.fetchval("SELECT status FROM orders WHERE id = $1", local) == (
            "READY_FOR_PICKUP"
        )
        assert await db.fetchval("SELECT status FROM payments WHERE order_id = $1", local) == (
            "AUTHORIZED"
        )
        # The buyer cannot hand it over to themself, even with the right code.
        own = await graphql(buyer, HANDOVER, {"id": order_id, "code": code})
        assert own["data"]["pickupHandover"]["userErrors"][0]["code"] == "NOT_FOUND"

        body = await graphql(staff, HANDOVER, {"id": order_id, "code": code}, token=associate)
        handed = body["data"]["pickupHandover"]
        assert handed["userErrors"] == []
        assert handed["order"]["status"] == "COMPLETED"
        assert handed["order"]["fulfillments"] == [{"status": "PICKED_UP"}]
        assert await db.fetchval("SELECT status FROM payments WHERE order_id = $1", local) == (
            "CAPTURED"
        )
        last = (await staff_ws.next_data())["storeActivity"]
        assert (last["kind"], last["orderId"]) == ("PICKUP_HANDED_OVER", order_id)
        again = await graphql(staff, HANDOVER, {"id": order_id, "code": code}, token=associate)
        assert again["data"]["pickupHandover"]["userErrors"][0]["code"] == "INVALID_TRANSITION"
        late = await graphql(buyer, ARRIVE, {"id": order_id})
        assert late["data"]["pickupArrival"]["userErrors"][0]["code"] == "INVALID_TRANSITION"

        # The readiness clock: placed -> READY_FOR_PICKUP, recorded for this order and store.
        body = await graphql(staff, READINESS, {"loc": store}, token=associate)
        readiness = body["data"]["storeReadiness"]
        assert readiness["count"] == 1 and readiness["locationId"] == store
        [row] = readiness["recent"]
        assert (row["orderId"], row["fulfillmentId"]) == (order_id, fulfillment)
        assert row["readySeconds"] >= 0 and row["readyAt"] >= row["placedAt"]
        assert readiness["averageSeconds"] == pytest.approx(row["readySeconds"])
        customer = customer_token(settings, await new_customer(db))
        hidden = await graphql(stranger, READINESS, {"loc": store}, token=customer)
        assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    await other_ws.nothing_within(0.3)
    # A customer may not follow a store.
    customer_ws = await GraphQLSocket.open(server.url, token=customer)
    await customer_ws.subscribe(ACTIVITY, {"loc": store})
    refused_msg = await customer_ws.receive()
    errors = (
        refused_msg["payload"]["errors"]
        if refused_msg["type"] == "next"
        else refused_msg["payload"]
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN", refused_msg
    for ws in (staff_ws, other_ws, customer_ws):
        await ws.close()


async def _store(db: asyncpg.Connection[Any]) -> uuid.UUID:
    from tests.stock_helpers import make_location

    return await make_location(db, kind="STORE")


PICK = """mutation($loc: ID!, $f: ID!, $line: ID!, $n: Int!) {
  storeWorkLinePick(locationId: $loc, fulfillmentId: $f, lineId: $line, pickedQuantity: $n) {
    fulfillmentStatus userErrors { code field message }
  }
}"""
WORK = """query($loc: ID!) { storeWork(locationId: $loc, first: 10) {
  edges { node { fulfillmentId orderId lines { lineId quantity } } } } }"""


@pytest.mark.slow
async def test_a_short_pick_reaches_the_store_staff_live(
    env: TestEnv, serve: Any, db: asyncpg.Connection[Any]
) -> None:
    server = serve()
    settings = env.settings()
    sale = await make_sale(db, 5, kind="STORE")
    store = to_global_id("Location", sale.location)
    associate = staff_token(settings, Role.STORE_ASSOCIATE)
    staff_ws = await GraphQLSocket.open(server.url, token=associate)
    await staff_ws.subscribe(
        """subscription($loc: ID!) { storeActivity(locationId: $loc) {
             kind orderId lineId sku pickedQuantity shortQuantity fulfillmentStatus
             order { status } } }""",
        {"loc": store},
    )
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as buyer,
        httpx.AsyncClient(base_url=server.url, timeout=30) as staff,
    ):
        keep_cart_tokens(buyer, settings.jwt_secret)
        [cart] = await guest_carts(db, sale, 1, qty=2)
        placed = await complete(
            buyer, cart, unique("k-"), fulfillment={"method": "PICKUP", "locationId": store}
        )
        order_id = placed["order"]["id"]
        assert (await staff_ws.next_data())["storeActivity"]["kind"] == "PICKUP_ORDER_PLACED"

        [edge] = (await graphql(staff, WORK, {"loc": store}, token=associate))["data"]["storeWork"][
            "edges"
        ]
        item = edge["node"]
        line = item["lines"][0]["lineId"]
        body = await graphql(
            staff,
            PICK,
            {"loc": store, "f": item["fulfillmentId"], "line": line, "n": 1},
            token=associate,
        )
        assert body["data"]["storeWorkLinePick"]["userErrors"] == []
        live = (await staff_ws.next_data())["storeActivity"]
        assert (live["kind"], live["orderId"], live["lineId"]) == (
            "WORK_LINE_PICKED",
            order_id,
            line,
        )
        assert (live["sku"], live["pickedQuantity"], live["shortQuantity"]) == (sale.sku, 1, 1)
        assert live["fulfillmentStatus"] == "READY_FOR_PICKUP"
        assert live["order"]["status"] == "READY_FOR_PICKUP"
    await staff_ws.close()
