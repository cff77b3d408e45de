"""The missed-pickup sweeper: one pickup whose cancel keeps failing blocks no other."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from datasources.payments.gateway import build_payment_gateway
from datasources.postgres.pickup_sweeper import PickupSweeper
from datasources.postgres.pool import create_pool
from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token, unique
from tests.order_helpers import complete, guest_carts, level, make_sale

READY = """mutation($id: ID!) {
  fulfillmentUpdate(id: $id, status: READY_FOR_PICKUP) { userErrors { code } }
}"""


async def test_a_failing_pickup_is_skipped_and_the_others_are_still_swept(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 3, kind="STORE")
    carts = await guest_carts(db, sale, 3, qty=1)
    pickup = {"method": "PICKUP", "locationId": to_global_id("Location", sale.location)}
    for cart in carts:
        assert (await complete(client, cart, unique("k-"), fulfillment=pickup))["userErrors"] == []
    associate = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    ids = [r["id"] for r in await db.fetch("SELECT id FROM fulfillments ORDER BY created_at, id")]
    for fid in ids:
        body = await graphql(
            client, READY, {"id": to_global_id("Fulfillment", fid)}, token=associate
        )
        assert body["data"]["fulfillmentUpdate"]["userErrors"] == []
    # All expired; the broken one has the oldest deadline, so it heads every page.
    await db.execute(
        "UPDATE fulfillments SET pickup_deadline = now() - interval '1 hour' * "
        "CASE WHEN id = $1 THEN 3 ELSE 1 END",
        ids[0],
    )
    await db.execute(
        f"""CREATE FUNCTION refuse_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF OLD.id = '{ids[0]}' THEN RAISE EXCEPTION 'injected failure'; END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_cancel BEFORE UPDATE ON fulfillments
            FOR EACH ROW EXECUTE FUNCTION refuse_cancel();"""
    )
    assert await level(db, sale) == (0, 0)

    pool = await create_pool(env.database_url)
    try:
        # A page of one: without paging past the failure, it would be all the sweep sees;
        # and its (non-domain) database error must not abort the sweep either.
        sweeper = PickupSweeper(pool, build_payment_gateway(pool), batch=1)
        assert await sweeper.sweep_once() == 2
        assert await sweeper.sweep_once() == 0  # tried again, fails again, nothing else left
    finally:
        await pool.close()

    rows = await db.fetch("SELECT id, status FROM fulfillments")
    assert {r["id"]: r["status"] for r in rows} == {
        ids[0]: "READY_FOR_PICKUP",
        ids[1]: "CANCELLED",
        ids[2]: "CANCELLED",
    }
    assert await level(db, sale) == (2, 0)  # the two swept units are back on the shelf
    pays = await db.fetch("SELECT status FROM payments ORDER BY status")
    assert [r["status"] for r in pays] == ["AUTHORIZED", "VOIDED", "VOIDED"]
