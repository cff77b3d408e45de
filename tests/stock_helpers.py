"""Stock fixtures shared by the inventory tests: a product, a variant, locations, stock."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from tests.helpers import unique


async def make_location(
    db: asyncpg.Connection[Any],
    *,
    kind: str = "STORE",
    lat: float = 52.37,
    lon: float = 4.89,
    can_pickup: bool = True,
    can_ship: bool = True,
    same_day_radius_km: float = 0,
) -> uuid.UUID:
    code = unique("LOC-").upper()
    location_id: uuid.UUID = await db.fetchval(
        "INSERT INTO locations (code, name, kind, latitude, longitude, can_pickup, can_ship, "
        "same_day_radius_km) VALUES ($1, $1, $2, $3, $4, $5, $6, $7) RETURNING id",
        code,
        kind,
        lat,
        lon,
        can_pickup,
        can_ship,
        same_day_radius_km,
    )
    return location_id


async def make_variant(db: asyncpg.Connection[Any], sku: str | None = None) -> str:
    sku = sku or unique("SKU-").upper()
    handle = unique("p-")
    product_id = await db.fetchval(
        "INSERT INTO products (handle, title, status) VALUES ($1, $2, 'ACTIVE') RETURNING id",
        handle,
        f"Product {handle}",
    )
    await db.execute(
        "INSERT INTO variants (product_id, sku, title) VALUES ($1, $2, 'Default')",
        product_id,
        sku,
    )
    return sku


async def receive(
    db: asyncpg.Connection[Any],
    sku: str,
    location_id: uuid.UUID,
    units: int,
    safety_stock: int = 0,
) -> None:
    """Stock that arrived, with its ledger movement (on-hand = sum of movements)."""
    await db.execute(
        "INSERT INTO stock_levels (sku, location_id, on_hand, safety_stock) VALUES ($1, $2, $3, $4)",
        sku,
        location_id,
        units,
        safety_stock,
    )
    await db.execute(
        "INSERT INTO stock_movements (sku, location_id, delta, reason, source) "
        "VALUES ($1, $2, $3, 'RECEIVED', 'test')",
        sku,
        location_id,
        units,
    )


async def assert_ledger_matches(db: asyncpg.Connection[Any]) -> None:
    """Every stock level's on-hand equals the sum of its movements; nothing negative."""
    rows = await db.fetch(
        """SELECT s.sku, s.location_id, s.on_hand, coalesce(sum(m.delta), 0) AS ledger
           FROM stock_levels s LEFT JOIN stock_movements m
             ON m.sku = s.sku AND m.location_id = s.location_id
           GROUP BY s.sku, s.location_id, s.on_hand"""
    )
    mismatched = [dict(r) for r in rows if r["on_hand"] != r["ledger"]]
    assert mismatched == []
    assert not await db.fetchval(
        "SELECT count(*) FROM stock_levels WHERE reserved > on_hand OR on_hand < 0 OR reserved < 0"
    )
