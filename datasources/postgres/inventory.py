"""Inventory reads: locations and stock levels, batched by key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import many_per_key, one_per_key
from domain.models import Location, LocationKind, StockLevel

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"


_LOCATION_COLUMNS = (
    "id, code, name, kind, latitude, longitude, address, opening_hours, can_ship, can_pickup, "
    "same_day_radius_km"
)


def _location(r: asyncpg.Record) -> Location:
    return Location(
        r["id"],
        r["code"],
        r["name"],
        LocationKind(r["kind"]),
        r["latitude"],
        r["longitude"],
        r["address"],
        r["opening_hours"],
        r["can_ship"],
        r["can_pickup"],
        r["same_day_radius_km"],
    )


async def locations_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Location | None]:
    rows = await db.fetch(f"SELECT {_LOCATION_COLUMNS} FROM locations WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(_location, rows), lambda loc: loc.id)


async def active_locations(db: Executor) -> list[Location]:
    rows = await db.fetch(f"SELECT {_LOCATION_COLUMNS} FROM locations WHERE active ORDER BY code")
    return [_location(r) for r in rows]


async def stock_levels_by_skus(db: Executor, skus: Sequence[str]) -> list[list[StockLevel]]:
    rows = await db.fetch(
        "SELECT s.sku, s.location_id, s.on_hand, s.reserved, s.safety_stock "
        "FROM stock_levels s JOIN locations l ON l.id = s.location_id "
        "WHERE s.sku = ANY($1) AND l.active ORDER BY l.code",
        skus,
    )
    levels = (
        StockLevel(r["sku"], r["location_id"], r["on_hand"], r["reserved"], r["safety_stock"])
        for r in rows
    )
    return many_per_key(skus, levels, lambda s: s.sku)


async def stock_snapshots_by_skus(
    db: Executor, skus: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Per SKU, its stock at every active location, as plain JSON-able documents (cacheable)."""
    rows = await db.fetch(
        "SELECT s.sku, s.location_id, s.on_hand, s.reserved, s.safety_stock "
        "FROM stock_levels s JOIN locations l ON l.id = s.location_id "
        "WHERE s.sku = ANY($1) AND l.active ORDER BY l.code",
        list(skus),
    )
    result: dict[str, list[dict[str, Any]]] = {sku: [] for sku in skus}
    for r in rows:
        result[r["sku"]].append(
            {
                "locationId": str(r["location_id"]),
                "onHand": r["on_hand"],
                "reserved": r["reserved"],
                "safetyStock": r["safety_stock"],
            }
        )
    return result


async def sellable_by_skus(db: Executor, skus: Sequence[str]) -> list[list[tuple[int, bool, bool]]]:
    """Per SKU: (available, can_ship, can_pickup) at each active location."""
    rows = await db.fetch(
        "SELECT s.sku, greatest(0, s.on_hand - s.reserved - s.safety_stock) AS available, "
        "l.can_ship, l.can_pickup "
        "FROM stock_levels s JOIN locations l ON l.id = s.location_id "
        "WHERE s.sku = ANY($1) AND l.active",
        skus,
    )
    grouped: dict[str, list[tuple[int, bool, bool]]] = {}
    for r in rows:
        grouped.setdefault(r["sku"], []).append((r["available"], r["can_ship"], r["can_pickup"]))
    return [grouped.get(sku, []) for sku in skus]
