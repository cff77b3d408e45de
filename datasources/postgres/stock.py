"""Stock writes inside a unit of work's transaction.

Stock is taken by exactly one conditional UPDATE (`take_stock`); the CHECKs on
stock_levels (reserved <= on_hand, nothing negative) back every other statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg

from datasources.postgres import idempotency
from domain.inventory.models import Reservation, ReservationStatus, ReservedLine
from domain.inventory.rules import MovementReason
from domain.models import StockLevel

_LEVEL = "sku, location_id, on_hand, reserved, safety_stock"


def _level(r: asyncpg.Record) -> StockLevel:
    return StockLevel(r["sku"], r["location_id"], r["on_hand"], r["reserved"], r["safety_stock"])


class PostgresInventoryRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def location_exists(self, location_id: uuid.UUID) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT 1 FROM locations WHERE id = $1 AND active", location_id
            )
        )

    async def lock_stock_level(self, sku: str, location_id: uuid.UUID) -> StockLevel | None:
        """The row, locked for this transaction; created at zero for a known SKU."""
        row = await self._conn.fetchrow(
            f"SELECT {_LEVEL} FROM stock_levels WHERE sku = $1 AND location_id = $2 FOR UPDATE",
            sku,
            location_id,
        )
        if row is None:
            if not await self._conn.fetchval("SELECT 1 FROM variants WHERE sku = $1", sku):
                return None
            await self._conn.execute(
                "INSERT INTO stock_levels (sku, location_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                sku,
                location_id,
            )
            row = await self._conn.fetchrow(
                f"SELECT {_LEVEL} FROM stock_levels WHERE sku = $1 AND location_id = $2 FOR UPDATE",
                sku,
                location_id,
            )
        assert row is not None
        return _level(row)

    async def set_on_hand(self, sku: str, location_id: uuid.UUID, on_hand: int) -> StockLevel:
        row = await self._conn.fetchrow(
            "UPDATE stock_levels SET on_hand = $3, version = version + 1, updated_at = now() "
            f"WHERE sku = $1 AND location_id = $2 RETURNING {_LEVEL}",
            sku,
            location_id,
            on_hand,
        )
        assert row is not None
        return _level(row)

    async def add_movement(
        self,
        sku: str,
        location_id: uuid.UUID,
        delta: int,
        reason: MovementReason,
        source: str,
        source_event_id: str | None,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO stock_movements (sku, location_id, delta, reason, source, source_event_id)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            sku,
            location_id,
            delta,
            reason.value,
            source,
            source_event_id,
        )

    async def claim_idempotency_key(
        self, scope: str, key: str, request_hash: str
    ) -> tuple[str, dict[str, object]] | None:
        return await idempotency.claim(self._conn, scope, key, request_hash)

    async def save_idempotent_response(
        self, scope: str, key: str, response: dict[str, object]
    ) -> None:
        await idempotency.save(self._conn, scope, key, response)

    async def available_by_location(self, skus: list[str]) -> dict[uuid.UUID, Mapping[str, int]]:
        rows = await self._conn.fetch(
            "SELECT s.sku, s.location_id, "
            "greatest(0, s.on_hand - s.reserved - s.safety_stock) AS available "
            "FROM stock_levels s JOIN locations l ON l.id = s.location_id "
            "WHERE s.sku = ANY($1) AND l.active",
            skus,
        )
        result: dict[uuid.UUID, dict[str, int]] = {}
        for r in rows:
            result.setdefault(r["location_id"], {})[r["sku"]] = r["available"]
        return dict(result)

    async def create_reservation(self, ttl_seconds: float, reference: str | None) -> Reservation:
        row = await self._conn.fetchrow(
            "INSERT INTO reservations (expires_at, reference) "
            "VALUES (now() + make_interval(secs => $1), $2) "
            "RETURNING id, status, expires_at, reference",
            float(ttl_seconds),
            reference,
        )
        assert row is not None
        return Reservation(
            row["id"], ReservationStatus(row["status"]), row["expires_at"], row["reference"]
        )

    async def take_stock(
        self, sku: str, location_id: uuid.UUID, quantity: int
    ) -> StockLevel | None:
        """The one statement that takes stock: it changes nothing when there is not enough."""
        row = await self._conn.fetchrow(
            "UPDATE stock_levels SET reserved = reserved + $3, version = version + 1, "
            "updated_at = now() "
            "WHERE sku = $1 AND location_id = $2 "
            "AND on_hand - reserved - safety_stock >= $3 "
            "AND location_id IN (SELECT id FROM locations WHERE active) "
            f"RETURNING {_LEVEL}",
            sku,
            location_id,
            quantity,
        )
        return None if row is None else _level(row)

    async def add_reservation_line(
        self, reservation_id: uuid.UUID, line: int, level: StockLevel, quantity: int
    ) -> None:
        await self._conn.execute(
            "INSERT INTO reservation_lines (reservation_id, line, sku, location_id, quantity) "
            "VALUES ($1, $2, $3, $4, $5)",
            reservation_id,
            line,
            level.sku,
            level.location_id,
            quantity,
        )

    async def lock_reservation(self, reservation_id: uuid.UUID) -> Reservation | None:
        # One statement: the row locked, its lines with it. Lines are only ever written
        # with their reservation (same transaction), so any snapshot that sees the row
        # sees all its lines.
        row = await self._conn.fetchrow(
            """SELECT r.id, r.status, r.expires_at, r.reference, r.expires_at <= now() AS expired,
                      ARRAY(SELECT l.sku FROM reservation_lines l
                            WHERE l.reservation_id = r.id ORDER BY l.sku, l.line) AS skus,
                      ARRAY(SELECT l.location_id FROM reservation_lines l
                            WHERE l.reservation_id = r.id ORDER BY l.sku, l.line) AS locations,
                      ARRAY(SELECT l.quantity FROM reservation_lines l
                            WHERE l.reservation_id = r.id ORDER BY l.sku, l.line) AS quantities
               FROM reservations r WHERE r.id = $1 FOR UPDATE OF r""",
            reservation_id,
        )
        if row is None:
            return None
        return Reservation(
            row["id"],
            ReservationStatus(row["status"]),
            row["expires_at"],
            row["reference"],
            [
                ReservedLine(sku, location, quantity)
                for sku, location, quantity in zip(
                    row["skus"], row["locations"], row["quantities"], strict=True
                )
            ],
            row["expired"],
        )

    async def _change_level(
        self, sql_set: str, sku: str, location_id: uuid.UUID, n: int
    ) -> StockLevel:
        row = await self._conn.fetchrow(
            f"UPDATE stock_levels SET {sql_set}, version = version + 1, updated_at = now() "
            f"WHERE sku = $1 AND location_id = $2 RETURNING {_LEVEL}",
            sku,
            location_id,
            n,
        )
        assert row is not None
        return _level(row)

    async def return_reserved(self, sku: str, location_id: uuid.UUID, quantity: int) -> StockLevel:
        return await self._change_level("reserved = reserved - $3", sku, location_id, quantity)

    async def sell_reserved(self, sku: str, location_id: uuid.UUID, quantity: int) -> StockLevel:
        return await self._change_level(
            "reserved = reserved - $3, on_hand = on_hand - $3", sku, location_id, quantity
        )

    async def set_reservation_status(
        self, reservation_id: uuid.UUID, status: ReservationStatus
    ) -> None:
        await self._conn.execute(
            "UPDATE reservations SET status = $2, updated_at = now() WHERE id = $1",
            reservation_id,
            status.value,
        )

    async def try_transaction_lock(self, key: int) -> bool:
        return bool(await self._conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", key))

    async def expired_reservation_ids(self, limit: int) -> list[uuid.UUID]:
        rows = await self._conn.fetch(
            "SELECT id FROM reservations WHERE status = 'ACTIVE' AND expires_at <= now() "
            "ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit,
        )
        return [r["id"] for r in rows]
