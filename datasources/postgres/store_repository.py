"""Store writes (arrivals) and the store's read queries (arrivals, readiness, new pickups)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from domain.order.fulfillment import FulfillmentStatus
from domain.store.holds import HoldLine, StoreHold
from domain.store.picking import LinePick
from domain.store.pickup import Arrival, PickupPart

_ARRIVAL_COLUMNS = "id, order_id, fulfillment_id, location_id, bay, note, arrived_at"


def _arrival(r: Any) -> Arrival:
    return Arrival(
        id=r["id"],
        order_id=r["order_id"],
        fulfillment_id=r["fulfillment_id"],
        location_id=r["location_id"],
        bay=r["bay"],
        note=r["note"],
        arrived_at=r["arrived_at"],
    )


class PostgresStoreRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def add_arrival(
        self,
        order_id: uuid.UUID,
        fulfillment_id: uuid.UUID,
        location_id: uuid.UUID,
        bay: str | None,
        note: str | None,
        now: datetime,
    ) -> Arrival:
        row = await self._conn.fetchrow(
            f"""INSERT INTO store_pickup_arrivals
                  (order_id, fulfillment_id, location_id, bay, note, arrived_at)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_ARRIVAL_COLUMNS}""",
            order_id,
            fulfillment_id,
            location_id,
            bay,
            note,
            now,
        )
        return _arrival(row)


async def arrivals_by_ids(pool: Any, ids: Sequence[uuid.UUID]) -> list[Arrival | None]:
    rows = await pool.fetch(
        f"SELECT {_ARRIVAL_COLUMNS} FROM store_pickup_arrivals WHERE id = ANY($1::uuid[])",
        list(ids),
    )
    found = {r["id"]: _arrival(r) for r in rows}
    return [found.get(i) for i in ids]


async def pickup_parts_of_order(pool: Any, order_id: uuid.UUID) -> list[PickupPart]:
    """The pickup fulfillments of a new order (read once per order-created event)."""
    rows = await pool.fetch(
        """SELECT f.id, f.order_id, o.number, f.location_id, f.status
             FROM fulfillments f JOIN orders o ON o.id = f.order_id
            WHERE f.order_id = $1 AND f.method = 'PICKUP' ORDER BY f.created_at, f.id""",
        order_id,
    )
    return [
        PickupPart(
            r["id"], r["order_id"], r["number"], r["location_id"], FulfillmentStatus(r["status"])
        )
        for r in rows
    ]


async def location_kind(pool: Any, location_id: uuid.UUID) -> str | None:
    kind: str | None = await pool.fetchval("SELECT kind FROM locations WHERE id = $1", location_id)
    return kind


@dataclass(frozen=True)
class PickupReadiness:
    """placed -> READY_FOR_PICKUP of one pickup fulfillment."""

    fulfillment_id: uuid.UUID
    order_id: uuid.UUID
    location_id: uuid.UUID
    placed_at: datetime
    ready_at: datetime
    ready_seconds: int


@dataclass(frozen=True)
class ReadinessSummary:
    location_id: uuid.UUID
    count: int
    average_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None
    recent: list[PickupReadiness]


async def readiness_summary(
    pool: Any, location_id: uuid.UUID, since: datetime | None, first: int
) -> ReadinessSummary:
    """Statistics and the `first` most recent of a store's readiness times (two statements,
    whatever `first`)."""
    stats = await pool.fetchrow(
        """SELECT count(*) AS n, avg(ready_seconds)::float8 AS avg,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY ready_seconds) AS p50,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY ready_seconds) AS p90
             FROM store_pickup_readiness
            WHERE location_id = $1 AND ($2::timestamptz IS NULL OR ready_at >= $2)""",
        location_id,
        since,
    )
    rows = await pool.fetch(
        """SELECT fulfillment_id, order_id, location_id, placed_at, ready_at, ready_seconds
             FROM store_pickup_readiness
            WHERE location_id = $1 AND ($2::timestamptz IS NULL OR ready_at >= $2)
            ORDER BY ready_at DESC, fulfillment_id LIMIT $3""",
        location_id,
        since,
        first,
    )
    return ReadinessSummary(
        location_id=location_id,
        count=stats["n"],
        average_seconds=stats["avg"],
        median_seconds=stats["p50"],
        p90_seconds=stats["p90"],
        recent=[PickupReadiness(**dict(r)) for r in rows],
    )


class PostgresPickRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def picked_lines(self, fulfillment_id: uuid.UUID) -> dict[uuid.UUID, int]:
        rows = await self._conn.fetch(
            "SELECT order_line_id, picked_quantity FROM store_pick_lines WHERE fulfillment_id = $1",
            fulfillment_id,
        )
        return {r["order_line_id"]: r["picked_quantity"] for r in rows}

    async def add_pick(self, fulfillment_id: uuid.UUID, pick: LinePick, now: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO store_pick_lines
                 (fulfillment_id, order_line_id, picked_quantity, short_quantity, picked_at)
               VALUES ($1, $2, $3, $4, $5)""",
            fulfillment_id,
            pick.line_id,
            pick.picked,
            pick.short,
            now,
        )


@dataclass(frozen=True)
class StoreWorkLine:
    line_id: uuid.UUID
    sku: str
    quantity: int  # units of the line in this fulfillment still to hand over
    picked_quantity: int | None  # null until picked
    short_quantity: int | None


@dataclass(frozen=True)
class StoreWorkItem:
    fulfillment_id: uuid.UUID
    order_id: uuid.UUID
    order_number: int
    location_id: uuid.UUID
    method: str
    status: str
    promised_at: datetime | None
    created_at: datetime
    lines: list[StoreWorkLine]


# (promise, None for none, created, id): those without a promise sort last.
WorkPosition = tuple[datetime | None, datetime, uuid.UUID]

_WORK = """
SELECT f.id, f.order_id, o.number, f.location_id, f.method, f.status, f.promised_at,
       f.created_at,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'line_id', l.id, 'sku', l.sku, 'quantity', fl.quantity,
                 'picked_quantity', p.picked_quantity, 'short_quantity', p.short_quantity)
                 ORDER BY l.position), '[]')
          FROM fulfillment_lines fl
          JOIN order_lines l ON l.id = fl.order_line_id
          LEFT JOIN store_pick_lines p
            ON p.fulfillment_id = fl.fulfillment_id AND p.order_line_id = fl.order_line_id
         WHERE fl.fulfillment_id = f.id) AS lines
  FROM fulfillments f JOIN orders o ON o.id = f.order_id
 WHERE f.location_id = $1
   AND f.status IN ('ALLOCATED', 'PICKING')
   AND f.method IN ('PICKUP', 'SHIP_FROM_STORE', 'SAME_DAY')
   AND ($4::timestamptz IS NULL
        OR (coalesce(f.promised_at, 'infinity'::timestamptz), f.created_at, f.id)
           > (coalesce($3::timestamptz, 'infinity'::timestamptz), $4::timestamptz, $5::uuid))
 ORDER BY coalesce(f.promised_at, 'infinity'::timestamptz), f.created_at, f.id
 LIMIT $2
"""


async def store_work_page(
    pool: Any, location_id: uuid.UUID, limit: int, after: WorkPosition | None
) -> list[StoreWorkItem]:
    """One page of a store's pick list, lines included: one statement whatever its size."""
    promise, created, last_id = after if after is not None else (None, None, None)
    rows = await pool.fetch(_WORK, location_id, limit, promise, created, last_id)
    return [
        StoreWorkItem(
            fulfillment_id=r["id"],
            order_id=r["order_id"],
            order_number=r["number"],
            location_id=r["location_id"],
            method=r["method"],
            status=r["status"],
            promised_at=r["promised_at"],
            created_at=r["created_at"],
            lines=[
                StoreWorkLine(
                    line_id=uuid.UUID(line["line_id"]),
                    sku=line["sku"],
                    quantity=line["quantity"],
                    picked_quantity=line["picked_quantity"],
                    short_quantity=line["short_quantity"],
                )
                for line in r["lines"]
            ],
        )
        for r in rows
    ]


_HOLD = """
SELECT h.id, h.reservation_id, h.location_id, h.customer_id, r.status AS reservation_status,
       r.expires_at, h.created_at, h.cancelled_at,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('sku', l.sku, 'quantity', l.quantity)
                 ORDER BY l.line), '[]')
          FROM reservation_lines l WHERE l.reservation_id = h.reservation_id) AS lines
  FROM store_holds h JOIN reservations r ON r.id = h.reservation_id
"""


def _hold(r: Any) -> StoreHold:
    return StoreHold(
        id=r["id"],
        reservation_id=r["reservation_id"],
        location_id=r["location_id"],
        customer_id=r["customer_id"],
        reservation_status=r["reservation_status"],
        expires_at=r["expires_at"],
        created_at=r["created_at"],
        cancelled_at=r["cancelled_at"],
        lines=tuple(HoldLine(line["sku"], line["quantity"]) for line in r["lines"]),
    )


class PostgresHoldRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def location_kind(self, location_id: uuid.UUID) -> str | None:
        return await location_kind(self._conn, location_id)

    async def customer_exists(self, customer_id: uuid.UUID) -> bool:
        found: bool = await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1 AND merged_into IS NULL)",
            customer_id,
        )
        return found

    async def add_hold(
        self,
        reservation_id: uuid.UUID,
        location_id: uuid.UUID,
        customer_id: uuid.UUID,
        now: datetime,
    ) -> uuid.UUID:
        hold_id: uuid.UUID = await self._conn.fetchval(
            """INSERT INTO store_holds (reservation_id, location_id, customer_id, created_at)
               VALUES ($1, $2, $3, $4) RETURNING id""",
            reservation_id,
            location_id,
            customer_id,
            now,
        )
        return hold_id

    async def hold_for_update(self, hold_id: uuid.UUID) -> StoreHold | None:
        row = await self._conn.fetchrow(_HOLD + " WHERE h.id = $1 FOR UPDATE OF h", hold_id)
        return None if row is None else _hold(row)

    async def mark_cancelled(self, hold_id: uuid.UUID, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE store_holds SET cancelled_at = $2 WHERE id = $1", hold_id, now
        )


async def hold_by_id(pool: Any, hold_id: uuid.UUID) -> StoreHold | None:
    row = await pool.fetchrow(_HOLD + " WHERE h.id = $1", hold_id)
    return None if row is None else _hold(row)
