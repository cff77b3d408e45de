"""Interactions and the profile in GDPR export and erasure; retention as a setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from datasources.postgres.interactions import InteractionRetentionSweeper, apply_to_profile
from datasources.postgres.pool import create_pool
from domain.auth import Role
from domain.customer.interactions import Interaction, InteractionType
from tests.conftest import TestEnv
from tests.customer_helpers import gql, local_id, register, staff_token
from tests.helpers import app_client
from tests.integration.interaction_support import event, grant_consent, make_product, track

EXPORT = "mutation($c: ID) { customerDataExport(customerId: $c) { data userErrors { code } } }"
ERASE = "mutation($c: ID) { customerErase(customerId: $c) { erased userErrors { code } } }"


async def _profile_from_table(db: asyncpg.Connection[Any]) -> None:
    """What the consumer does for each stored interaction (tested with Kafka elsewhere)."""
    rows = await db.fetch("SELECT * FROM interactions ORDER BY occurred_at")
    for r in rows:
        async with db.transaction():
            await apply_to_profile(
                db,
                Interaction(
                    r["id"], InteractionType(r["type"]), r["channel"], r["occurred_at"],
                    customer_id=r["customer_id"], device_id=r["device_id"],
                    session_id=r["session_id"], product_id=r["product_id"],
                    search_term=r["search_term"],
                ),
            )  # fmt: skip


async def test_export_then_erase_covers_interactions_links_and_profile(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    product = await make_product(db)
    shopper = await register(client)
    token = shopper["accessToken"]
    cid = local_id(shopper["customer"]["id"])
    await grant_consent(client, token)
    assert (await track(client, [event("PRODUCT_VIEWED", productId=product, deviceId="pd-1")],
                        consent=True))["accepted"] == 1  # fmt: skip
    signed_in = [
        event("SEARCHED", ago=30, searchTerm="trail shoes", deviceId="pd-1"),
        event("WISHLISTED", ago=20, productId=product, deviceId="pd-1"),
    ]
    assert (await track(client, signed_in, token=token))["accepted"] == 2
    await _profile_from_table(db)  # signed in on that device: the anonymous view is stitched

    body = await gql(client, EXPORT, token=token)
    data = body["data"]["customerDataExport"]["data"]
    assert len(data["interactions"]) == 3
    assert {i["search_term"] for i in data["interactions"]} == {None, "trail shoes"}
    assert [link["anonymous_key"] for link in data["interactionLinks"]] == ["device:pd-1"]
    assert len(data["profile"]) == 1 and data["profile"][0]["state"]["interactions"] == 3

    staff = staff_token(env.settings(), Role.SUPPORT)
    body = await gql(client, ERASE, {"c": shopper["customer"]["id"]}, token=staff)
    assert body["data"]["customerErase"]["erased"] is True
    for table in ("interactions", "interaction_links", "customer_profiles"):
        left = await db.fetchval(f"SELECT count(*) FROM {table} WHERE customer_id = $1", cid)
        assert left == 0, table
    assert await db.fetchval("SELECT count(*) FROM interactions WHERE device_id = 'pd-1'") == 0
    # After erasure the device is anonymous again and the erased record stays untracked.
    body = await gql(client, EXPORT, {"c": shopper["customer"]["id"]}, token=staff)
    data = body["data"]["customerDataExport"]["data"]
    assert data["interactions"] == [] and data["profile"] == []


async def test_retention_is_a_setting(env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    product = await make_product(db)
    settings = env.settings(interaction_retention_days=1)
    async with app_client(settings) as client:
        payload = await track(
            client,
            [
                event("PRODUCT_VIEWED", ago=3 * 86400, productId=product, deviceId="old"),
                event("PRODUCT_VIEWED", ago=60, productId=product, deviceId="old"),
            ],
            consent=True,
        )
    assert payload["accepted"] == 1
    assert payload["dropped"] == [{"reason": "EXPIRED", "count": 1}]
    # What ages past the retention is deleted by the sweeper.
    await db.execute("UPDATE interactions SET occurred_at = now() - interval '2 days'")
    await db.execute(
        "INSERT INTO interactions (id, device_id, type, channel, product_id, occurred_at) "
        "VALUES (gen_random_uuid(), 'new', 'PRODUCT_VIEWED', 'WEB', $1, now())",
        product,
    )
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        sweeper = InteractionRetentionSweeper(pool, timedelta(days=1))
        assert await sweeper.sweep_once(datetime.now(UTC)) == 1
        assert await sweeper.sweep_once(datetime.now(UTC)) == 0
    finally:
        await pool.close()
    assert await db.fetchval("SELECT device_id FROM interactions") == "new"
