"""A whole day at a store against `ucg serve`, over HTTP and WebSocket (issue 17): two till
sales (cash; split tender), an endless-aisle order, a return-anywhere of a web order, a
reserve-in-store that expires, a web pickup order worked on the pick list with one short
pick, its curbside arrival seen live by the staff, the handover; at the end the store's
stock and every ledger agree."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from domain.auth import Role
from domain.ids import to_global_id
from domain.inventory.services import release_expired_reservations
from tests.conftest import TestEnv
from tests.e2e.test_store_pickup import ACTIVITY, ARRIVE, HANDOVER, ORDER, PICK, WORK
from tests.helpers import graphql, keep_cart_tokens, staff_token, unique
from tests.integration.test_store_day import boris
from tests.integration.test_store_holds import create as create_hold
from tests.integration.test_store_pos import aisle, pos_store, sell
from tests.live import GraphQLSocket, new_customer
from tests.order_helpers import complete, guest_carts, level, make_sale
from tests.return_helpers import picked_up_order
from tests.stock_helpers import assert_ledger_matches, make_location, receive


@pytest.fixture
async def db(env: TestEnv) -> Any:
    conn = await asyncpg.connect(env.database_url)
    yield conn
    await conn.close()


async def _next_of(ws: GraphQLSocket, order_id: str) -> dict[str, Any]:
    """The store's next activity about this order (the day's other orders come too)."""
    for _ in range(10):
        activity: dict[str, Any] = (await ws.next_data())["storeActivity"]
        if activity["orderId"] == order_id:
            return activity
    raise AssertionError(f"no activity for {order_id}")


@pytest.mark.slow
async def test_a_whole_day_at_a_store(
    env: TestEnv, serve: Any, db: asyncpg.Connection[Any]
) -> None:
    server = serve()
    settings = env.settings()
    shop = await pos_store(db, 12, price=1000)  # a store on the POS channel, 12 units
    await db.execute("UPDATE locations SET can_ship = false WHERE id = $1", shop.location)
    warehouse = await make_location(db, kind="WAREHOUSE")
    await receive(db, shop.sku, warehouse, 20)
    store = to_global_id("Location", shop.location)
    till = staff_token(settings, Role.POS)
    associate = staff_token(settings, Role.STORE_ASSOCIATE)
    staff_ws = await GraphQLSocket.open(server.url, token=associate)
    await staff_ws.subscribe(ACTIVITY, {"loc": store})

    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as buyer,
        httpx.AsyncClient(base_url=server.url, timeout=30) as staff,
    ):
        keep_cart_tokens(buyer, settings.jwt_secret)
        # Yesterday's web order of another SKU, collected at another store.
        web = await make_sale(db, 3, kind="STORE", price=2500)
        web_order = await picked_up_order(buyer, db, settings, web, qty=2)

        # Two till sales: cash, and card + cash.
        cash = await sell(staff, till, shop, 2, [{"kind": "CASH", "amountMinor": 5000}], "d1")
        assert cash["userErrors"] == [] and cash["sale"]["changeMinor"] == 3000
        split = [
            {"kind": "CARD", "amountMinor": 2000, "cardToken": "tok_mastercard"},
            {"kind": "CASH", "amountMinor": 1000},
        ]
        second = await sell(staff, till, shop, 3, split, "d2")
        assert second["userErrors"] == [] and second["sale"]["totalMinor"] == 3000
        assert await level(db, shop) == (7, 0)

        # Endless aisle: 8 for home delivery, more than the shop has, from the warehouse.
        ordered = await aisle(staff, till, shop.location, shop, 8, "d3", customer={"id": None})
        assert ordered["userErrors"] == [], ordered
        assert await level(db, shop) == (7, 0)

        # Return anywhere: one unit of the web order back at this shop, restocked here.
        back = await boris(staff, till, shop.location, web_order.id, web_order.line_id, 1, "b1")
        assert back["userErrors"] == [] and back["return"]["status"] == "RECEIVED"
        assert back["return"]["refunded"] == {"amount": "25.00"}

        # Reserve in store for a customer; nobody comes, the hold expires.
        carol = to_global_id("Customer", await new_customer(db))
        held = await create_hold(staff, associate, shop.location, shop.sku, 2, customer=carol)
        assert held["userErrors"] == []
        assert await level(db, shop) == (7, 2)
        await db.execute(
            "UPDATE reservations SET expires_at = now() - interval '1 second' "
            "WHERE id = (SELECT reservation_id FROM store_holds WHERE id = $1)",
            uuid.UUID(held["hold"]["id"].rsplit("/", 1)[1]),
        )
        pool = await create_pool(env.database_url, min_size=1, max_size=2)
        try:
            async with UnitOfWork(pool) as uow:
                assert await release_expired_reservations(uow) == 1
        finally:
            await pool.close()
        assert await level(db, shop) == (7, 0)

        # A web pickup order of 2 for this shop reaches the staff live.
        [cart] = await guest_carts(db, shop, 1, qty=2)
        pickup = {"method": "PICKUP", "locationId": store}
        placed = await complete(buyer, cart, unique("k-"), fulfillment=pickup)
        assert placed["userErrors"] == [], placed
        order_id = placed["order"]["id"]
        # The first thing staff hear of today: the till sales were handed over at once.
        event = (await staff_ws.next_data())["storeActivity"]
        assert (event["kind"], event["orderId"]) == ("PICKUP_ORDER_PLACED", order_id)

        # The pick list: only one unit is on the shelf; the short unit is cancelled.
        edges = (await graphql(staff, WORK, {"loc": store}, token=associate))["data"]["storeWork"][
            "edges"
        ]
        [item] = [e["node"] for e in edges if e["node"]["orderId"] == order_id]
        line = item["lines"][0]["lineId"]
        picked = await graphql(
            staff,
            PICK,
            {"loc": store, "f": item["fulfillmentId"], "line": line, "n": 1},
            token=associate,
        )
        assert picked["data"]["storeWorkLinePick"]["fulfillmentStatus"] == "READY_FOR_PICKUP"
        live = await _next_of(staff_ws, order_id)
        assert live["kind"] == "WORK_LINE_PICKED"

        # Curbside: "I'm here", seen live by the staff; the code hands it over.
        arrived = await graphql(buyer, ARRIVE, {"id": order_id, "bay": "2", "note": "red car"})
        assert arrived["data"]["pickupArrival"]["userErrors"] == []
        seen = await _next_of(staff_ws, order_id)
        assert (seen["kind"], seen["bay"]) == ("PICKUP_ARRIVED", "2")
        code = (await graphql(buyer, ORDER, {"id": order_id}))["data"]["order"]["pickupCode"]
        handed = await graphql(staff, HANDOVER, {"id": order_id, "code": code}, token=associate)
        assert handed["data"]["pickupHandover"]["order"]["status"] == "COMPLETED"
    await staff_ws.close()

    # The end of the day: the shop had 12; the till sold 5, the pickup order took 2 at
    # checkout (its short unit is cancelled and not restocked: it was not on the shelf),
    # the hold gave its 2 back; the returned unit is another SKU's, restocked here.
    assert await level(db, shop) == (12 - 2 - 3 - 2, 0)
    returned = await db.fetchval(
        "SELECT on_hand FROM stock_levels WHERE sku = $1 AND location_id = $2",
        web.sku,
        shop.location,
    )
    assert returned == 1
    await assert_ledger_matches(db)
