"""Inventory reads: locations and stock levels, batched by key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import many_per_key, one_per_key
from domain.models import Location, LocationKind, StockLevel

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"


def _location(r: asyncpg.Record) -> Location:
    return Location(
        r["id"], r["code"], r["name"], LocationKind(r["kind"]), r["latitude"], r["longitude"]
    )


async def locations_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Location | None]:
    rows = await db.fetch(
        "SELECT id, code, name, kind, latitude, longitude FROM locations WHERE id = ANY($1)", ids
    )
    return one_per_key(ids, map(_location, rows), lambda loc: loc.id)


async def active_locations(db: Executor) -> list[Location]:
    rows = await db.fetch(
        "SELECT id, code, name, kind, latitude, longitude FROM locations WHERE active ORDER BY code"
    )
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
