"""Reserve in store (issue 17): storeHoldCreate / storeHoldCancel and expiry, real Postgres."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from domain.auth import Role
from domain.ids import to_global_id
from domain.inventory.services import release_expired_reservations
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, staff_token
from tests.live import new_customer
from tests.order_helpers import level, make_sale
from tests.stock_helpers import make_location, receive

CREATE = """mutation($loc: ID!, $lines: [StoreHoldLineInput!]!, $customer: ID, $ttl: Int) {
  storeHoldCreate(locationId: $loc, lines: $lines, customerId: $customer, ttlMinutes: $ttl) {
    hold { id locationId customerId status expiresAt lines { sku quantity } }
    userErrors { code field message }
  }
}"""
CANCEL = """mutation($id: ID!) {
  storeHoldCancel(holdId: $id) { hold { id status } userErrors { code field message } }
}"""


async def create(
    client: httpx.AsyncClient, token: str, loc: uuid.UUID, sku: str, qty: int, **extra: Any
) -> dict[str, Any]:
    variables = {
        "loc": to_global_id("Location", loc),
        "lines": [{"sku": sku, "quantity": qty}],
        **extra,
    }
    body = await graphql(client, CREATE, variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["storeHoldCreate"]
    return result


async def cancel(client: httpx.AsyncClient, token: str, hold_id: str) -> dict[str, Any]:
    body = await graphql(client, CANCEL, {"id": hold_id}, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["storeHoldCancel"]
    return result


def codes(result: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(e["code"], e["field"]) for e in result["userErrors"]]


async def test_a_hold_takes_the_stores_stock_and_a_cancel_puts_it_back(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 5, kind="STORE")
    alice = await new_customer(db)
    as_alice = customer_token(settings, alice)

    held = await create(client, as_alice, sale.location, sale.sku, 2)
    assert held["userErrors"] == []
    hold = held["hold"]
    assert hold["status"] == "ACTIVE"
    assert hold["customerId"] == to_global_id("Customer", alice)
    assert hold["lines"] == [{"sku": sale.sku, "quantity": 2}]
    assert await level(db, sale) == (5, 2)
    placed = await db.fetchval("SELECT payload FROM outbox WHERE type = 'ucg.store.hold_placed.v1'")
    assert placed["customerId"] == str(alice) and placed["locationId"] == str(sale.location)

    # Bad input is a typed error and holds nothing.
    assert codes(await create(client, as_alice, sale.location, sale.sku, 4)) == [
        ("OUT_OF_STOCK", ["lines", "0"])
    ]
    assert codes(await create(client, as_alice, sale.location, sale.sku, 1, ttl=5)) == [
        ("INVALID", ["ttlMinutes"])
    ]
    warehouse = await make_location(db, kind="WAREHOUSE")
    await receive(db, sale.sku, warehouse, 5)
    assert codes(await create(client, as_alice, warehouse, sale.sku, 1)) == [
        ("FULFILLMENT_UNAVAILABLE", ["locationId"])
    ]
    bob = await new_customer(db)
    for_bob = await create(
        client, as_alice, sale.location, sale.sku, 1, customer=to_global_id("Customer", bob)
    )
    assert codes(for_bob) == [("NOT_FOUND", ["customerId"])]
    assert await level(db, sale) == (5, 2)
    assert await db.fetchval("SELECT count(*) FROM store_holds") == 1

    # Someone else cannot cancel it (as if it did not exist); its customer can, once.
    assert codes(await cancel(client, customer_token(settings, bob), hold["id"])) == [
        ("NOT_FOUND", ["holdId"])
    ]
    done = await cancel(client, as_alice, hold["id"])
    assert done["userErrors"] == [] and done["hold"]["status"] == "CANCELLED"
    assert await level(db, sale) == (5, 0)
    assert codes(await cancel(client, as_alice, hold["id"])) == [("INVALID_TRANSITION", ["holdId"])]
    assert (
        await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'ucg.store.hold_cancelled.v1'")
        == 1
    )


async def test_staff_hold_for_a_customer_and_an_expired_hold_gives_the_stock_back(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 3, kind="STORE")
    carol = await new_customer(db)
    associate = staff_token(settings, Role.STORE_ASSOCIATE)
    carol_id = to_global_id("Customer", carol)
    assert codes(await create(client, associate, sale.location, sale.sku, 1)) == [
        ("INVALID", ["customerId"])
    ]
    merchandiser = staff_token(settings, Role.MERCHANDISER)
    refused = await create(client, merchandiser, sale.location, sale.sku, 1, customer=carol_id)
    assert codes(refused) == [("NOT_FOUND", ["customerId"])]

    nobody = to_global_id("Customer", uuid.uuid4())
    unknown = await create(client, associate, sale.location, sale.sku, 1, customer=nobody)
    assert codes(unknown) == [("NOT_FOUND", ["customerId"])]

    held = await create(client, associate, sale.location, sale.sku, 3, customer=carol_id, ttl=15)
    assert held["userErrors"] == [] and held["hold"]["customerId"] == carol_id
    assert await level(db, sale) == (3, 3)

    # Its time passes: the reservation sweeper (the one path that expires holds) runs.
    hold_id = uuid.UUID(held["hold"]["id"].rsplit("/", 1)[1])
    await db.execute(
        "UPDATE reservations SET expires_at = now() - interval '1 second' "
        "WHERE id = (SELECT reservation_id FROM store_holds WHERE id = $1)",
        hold_id,
    )
    assert codes(await cancel(client, associate, held["hold"]["id"])) == [
        ("INVALID_TRANSITION", ["holdId"])
    ]
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        async with UnitOfWork(pool) as uow:
            assert await release_expired_reservations(uow) == 1
    finally:
        await pool.close()
    assert await level(db, sale) == (3, 0)
    status = await db.fetchval(
        "SELECT r.status FROM reservations r JOIN store_holds h ON h.reservation_id = r.id "
        "WHERE h.id = $1",
        hold_id,
    )
    assert status == "EXPIRED"
