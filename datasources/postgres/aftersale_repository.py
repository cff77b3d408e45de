"""SQL of order cancellations, reviews and missed pickups (use-cases:
domain/order/cancel_service.py; migration 0009)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from datasources.postgres import idempotency
from datasources.postgres.checkout_routing_repository import opening_hours
from domain.order.hours import OpeningHours


class PostgresAfterSaleRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def claim_key(
        self, scope: str, key: str, request_hash: str
    ) -> tuple[str, dict[str, object]] | None:
        return await idempotency.claim(self._conn, scope, key, request_hash)

    async def save_response(self, scope: str, key: str, response: dict[str, object]) -> None:
        await idempotency.save(self._conn, scope, key, response)

    async def record_review(
        self,
        order_id: uuid.UUID,
        decision: str,
        note: str | None,
        reviewer: uuid.UUID,
        now: datetime,
    ) -> None:
        await self._conn.execute(
            """UPDATE orders SET on_hold = false, review_decision = $2, review_note = $3,
                      reviewed_by = $4, reviewed_at = $5, updated_at = $5
               WHERE id = $1""",
            order_id,
            decision,
            note,
            reviewer,
            now,
        )

    async def location_hours(self, location_id: uuid.UUID) -> OpeningHours | None:
        """Opening hours for pickup deadlines (the deadline is a closing time)."""
        r = await self._conn.fetchrow(
            "SELECT opening_hours, time_zone FROM locations WHERE id = $1", location_id
        )
        return None if r is None else opening_hours(r["opening_hours"], r["time_zone"])

    async def expired_pickups(
        self, now: datetime, limit: int, skip: Sequence[uuid.UUID] = ()
    ) -> list[uuid.UUID]:
        """Ready pickups past their deadline, oldest deadline first, leaving out `skip`
        (what the sweep already tried: one that keeps failing must not fill every page)."""
        rows = await self._conn.fetch(
            """SELECT id FROM fulfillments
               WHERE status = 'READY_FOR_PICKUP' AND pickup_deadline <= $1
                 AND NOT (id = ANY($3::uuid[]))
               ORDER BY pickup_deadline, id LIMIT $2""",
            now,
            limit,
            list(skip),
        )
        return [r["id"] for r in rows]
