"""inventoryAdjust / inventorySet / availability over GraphQL."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from api.auth import issue_access_token
from domain.auth import Principal, PrincipalKind, Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token, unique
from tests.stock_helpers import assert_ledger_matches, make_location, make_variant, receive

ADJUST = """mutation($sku: String!, $loc: ID!, $delta: Int!, $reason: StockMovementReason!,
                     $key: String!) {
  inventoryAdjust(sku: $sku, locationId: $loc, delta: $delta, reason: $reason,
                  idempotencyKey: $key) {
    stockLevel { sku onHand reserved safetyStock available location { code } }
    userErrors { code field message } } }"""
SET = """mutation($sku: String!, $loc: ID!, $n: Int!, $key: String!) {
  inventorySet(sku: $sku, locationId: $loc, onHand: $n, reason: CYCLE_COUNT, idempotencyKey: $key) {
    stockLevel { onHand available } userErrors { code field } } }"""
AVAILABILITY = """query($skus: [String!]!, $near: GeoPointInput, $radius: Float, $locs: [ID!]) {
  availability(skus: $skus, near: $near, radiusKm: $radius, locationIds: $locs) {
    sku available distanceKm canShip canPickup canSameDay location { code } } }"""


async def _setup(db: asyncpg.Connection[Any]) -> tuple[str, uuid.UUID]:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 10, safety_stock=1)
    return sku, location


async def test_adjust_requires_stock_roles(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sku, location = await _setup(db)
    values = {
        "sku": sku,
        "loc": to_global_id("Location", location),
        "delta": 5,
        "reason": "RECEIVED",
        "key": unique(),
    }
    anonymous = await graphql(client, ADJUST, values)
    assert anonymous["data"]["inventoryAdjust"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    customer = issue_access_token(env.settings(), Principal(PrincipalKind.CUSTOMER, uuid.uuid4()))
    refused = await graphql(client, ADJUST, values, token=customer)
    assert refused["data"]["inventoryAdjust"]["userErrors"][0]["code"] == "FORBIDDEN"
    merchandiser = staff_token(env.settings(), Role.MERCHANDISER)
    refused = await graphql(client, ADJUST, values, token=merchandiser)
    assert refused["data"]["inventoryAdjust"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert await db.fetchval("SELECT count(*) FROM stock_movements WHERE sku = $1", sku) == 1
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0


async def test_adjust_is_idempotent_and_emits_stock_changed(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sku, location = await _setup(db)
    token = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    values = {
        "sku": sku,
        "loc": to_global_id("Location", location),
        "delta": -3,
        "reason": "DAMAGED",
        "key": unique("k-"),
    }
    first = await graphql(client, ADJUST, values, token=token)
    assert first["data"]["inventoryAdjust"]["userErrors"] == []
    level = first["data"]["inventoryAdjust"]["stockLevel"]
    assert (level["onHand"], level["available"]) == (7, 6)
    retry = await graphql(client, ADJUST, values, token=token)
    assert retry["data"]["inventoryAdjust"] == first["data"]["inventoryAdjust"]
    conflict = await graphql(client, ADJUST, {**values, "delta": -4}, token=token)
    assert conflict["data"]["inventoryAdjust"]["userErrors"][0]["code"] == "IDEMPOTENCY_CONFLICT"
    assert await db.fetchval("SELECT on_hand FROM stock_levels WHERE sku = $1", sku) == 7
    events = await db.fetch("SELECT type, topic, aggregate_id, sequence, payload FROM outbox")
    assert len(events) == 1
    event = events[0]
    assert (event["type"], event["topic"]) == ("ucg.inventory.stock_changed.v1", "ucg.inventory.v1")
    assert event["aggregate_id"] == f"{sku}@{location}"
    assert event["payload"]["available"] == 6 and event["payload"]["safetyStock"] == 1
    assert event["payload"]["locationId"] == str(location)
    await assert_ledger_matches(db)


async def test_bad_input_gives_user_errors_and_changes_nothing(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sku, location = await _setup(db)
    await db.execute("UPDATE stock_levels SET reserved = 4 WHERE sku = $1", sku)
    token = staff_token(env.settings(), Role.POS)
    loc = to_global_id("Location", location)
    cases = [
        ({"sku": sku, "loc": loc, "delta": -7}, "INVALID", ["delta"]),  # below reserved
        ({"sku": sku, "loc": loc, "delta": 0}, "INVALID", ["delta"]),
        ({"sku": "NOPE", "loc": loc, "delta": 1}, "NOT_FOUND", ["sku"]),
        ({"sku": sku, "loc": "gid://ucg/Product/x", "delta": 1}, "INVALID_ID", ["locationId"]),
        (
            {"sku": sku, "loc": to_global_id("Location", uuid.uuid4()), "delta": 1},
            "NOT_FOUND",
            ["locationId"],
        ),
        ({"sku": sku, "loc": loc, "delta": 1, "key": ""}, "INVALID", ["idempotencyKey"]),
    ]
    for values, code, field in cases:
        body = await graphql(
            client, ADJUST, {"reason": "CORRECTION", "key": unique(), **values}, token=token
        )
        errors = body["data"]["inventoryAdjust"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], values
    assert await db.fetchval("SELECT on_hand FROM stock_levels WHERE sku = $1", sku) == 10
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == 0
    below = await graphql(
        client, SET, {"sku": sku, "loc": loc, "n": 3, "key": unique()}, token=token
    )
    assert below["data"]["inventorySet"]["userErrors"][0]["field"] == ["onHand"]
    counted = await graphql(
        client, SET, {"sku": sku, "loc": loc, "n": 12, "key": unique()}, token=token
    )
    assert counted["data"]["inventorySet"]["stockLevel"] == {"onHand": 12, "available": 7}
    await assert_ledger_matches(db)


async def test_availability_near_with_cache_invalidated_on_change(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    # Dam square (buyer), a store 1 km away, a dark store 3 km away, a warehouse 40 km away.
    store = await make_location(db, lat=52.3731, lon=4.9026, can_pickup=True)
    dark = await make_location(
        db, kind="DARK_STORE", lat=52.3900, lon=4.8926, can_pickup=False, same_day_radius_km=5
    )
    far = await make_location(db, kind="WAREHOUSE", lat=52.0, lon=4.6, can_pickup=False)
    sku = await make_variant(db)
    await receive(db, sku, store, 2)
    await receive(db, sku, dark, 5)
    await receive(db, sku, far, 100)
    near = {"lat": 52.3731, "lon": 4.8926}
    body = await graphql(client, AVAILABILITY, {"skus": [sku], "near": near, "radius": 10})
    rows = body["data"]["availability"]
    assert [r["available"] for r in rows] == [2, 5]
    assert 0.5 < rows[0]["distanceKm"] < 1 and rows[0]["canPickup"] and not rows[0]["canSameDay"]
    assert rows[1]["canSameDay"] and not rows[1]["canPickup"]
    settings = env.settings()
    assert await client_redis_has(env, f"{settings.cache_key_prefix}availability:{sku}")
    token = staff_token(settings, Role.SERVICE)
    changed = await graphql(
        client,
        ADJUST,
        {
            "sku": sku,
            "loc": to_global_id("Location", store),
            "delta": -2,
            "reason": "SOLD",
            "key": unique(),
        },
        token=token,
    )
    assert changed["data"]["inventoryAdjust"]["userErrors"] == []
    again = await graphql(client, AVAILABILITY, {"skus": [sku], "near": near, "radius": 10})
    first = again["data"]["availability"][0]
    assert (first["available"], first["canPickup"]) == (0, False)
    everywhere = await graphql(client, AVAILABILITY, {"skus": [sku]})
    assert [r["distanceKm"] for r in everywhere["data"]["availability"]] == [None] * 3
    only = await graphql(
        client, AVAILABILITY, {"skus": [sku], "locs": [to_global_id("Location", far)]}
    )
    assert [r["available"] for r in only["data"]["availability"]] == [100]
    bad = await graphql(client, AVAILABILITY, {"skus": [sku], "radius": 5})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"
    # The variant's sellable total: POS counts pickup locations only.
    totals = await graphql(
        client,
        'query($s: String!) { variant(sku: $s) { web: availability pos: availability(channel: "POS") } }',
        {"s": sku},
    )
    assert totals["data"]["variant"] == {"web": 105, "pos": 0}


async def client_redis_has(env: TestEnv, key: str) -> bool:
    from datasources.redis.client import create_redis

    redis = create_redis(env.servers.redis_url)
    try:
        return bool(await redis.exists(key))
    finally:
        await redis.aclose()
