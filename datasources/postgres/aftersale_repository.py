"""SQL of order cancellations, reviews and missed pickups (use-cases:
domain/order/cancel_service.py; migration 0009)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from datasources.postgres import idempotency
from datasources.postgres.checkout_routing_repository import opening_hours
from domain.order.cancellation import FulfillmentPart, OrderState, StoredLine
from domain.order.fulfillment import FulfillmentStatus
from domain.order.hours import OpeningHours


class PostgresAfterSaleRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def lock_order_state(self, order_id: uuid.UUID) -> OrderState | None:
        """The order, its lines and fulfillments, with the order row locked FOR UPDATE."""
        head = await self._conn.fetchrow(
            """SELECT o.id, o.number, o.customer_id, c.code AS channel_code, o.status,
                      o.on_hold, o.currency_code, o.shipping_minor
               FROM orders o LEFT JOIN channels c ON c.id = o.channel_id
               WHERE o.id = $1 FOR UPDATE OF o""",
            order_id,
        )
        if head is None:
            return None
        lines = await self._conn.fetch(
            """SELECT id, sku, quantity, unit_price_minor, discount_minor, tax_minor,
                      cancelled_quantity, returned_quantity
               FROM order_lines WHERE order_id = $1 ORDER BY position""",
            order_id,
        )
        parts = await self._conn.fetch(
            """SELECT f.id, f.method, f.location_id, f.status, f.pickup_deadline,
                      coalesce(array_agg(l.order_line_id) FILTER (WHERE l.order_line_id
                               IS NOT NULL), '{}') AS line_ids,
                      coalesce(array_agg(l.quantity) FILTER (WHERE l.order_line_id
                               IS NOT NULL), '{}') AS quantities
               FROM fulfillments f LEFT JOIN fulfillment_lines l ON l.fulfillment_id = f.id
               WHERE f.order_id = $1 GROUP BY f.id ORDER BY f.created_at, f.id""",
            order_id,
        )
        return OrderState(
            id=head["id"],
            number=head["number"],
            customer_id=head["customer_id"],
            channel_code=head["channel_code"],
            status=head["status"],
            on_hold=head["on_hold"],
            currency_code=head["currency_code"],
            shipping_minor=head["shipping_minor"],
            lines=tuple(StoredLine(**dict(r)) for r in lines),
            fulfillments=tuple(
                FulfillmentPart(
                    id=r["id"],
                    method=r["method"],
                    location_id=r["location_id"],
                    status=FulfillmentStatus(r["status"]),
                    lines=dict(zip(r["line_ids"], r["quantities"], strict=True)),
                    pickup_deadline=r["pickup_deadline"],
                )
                for r in parts
            ),
        )

    async def order_id_of_fulfillment(self, fulfillment_id: uuid.UUID) -> uuid.UUID | None:
        value: uuid.UUID | None = await self._conn.fetchval(
            "SELECT order_id FROM fulfillments WHERE id = $1", fulfillment_id
        )
        return value

    async def claim_key(
        self, scope: str, key: str, request_hash: str
    ) -> tuple[str, dict[str, object]] | None:
        return await idempotency.claim(self._conn, scope, key, request_hash)

    async def save_response(self, scope: str, key: str, response: dict[str, object]) -> None:
        await idempotency.save(self._conn, scope, key, response)

    async def set_fulfillment_lines(
        self, fulfillment_id: uuid.UUID, lines: Mapping[uuid.UUID, int]
    ) -> None:
        """What the fulfillment still has to hand over, per line (absent lines: none)."""
        ids = list(lines)
        await self._conn.execute(
            "DELETE FROM fulfillment_lines WHERE fulfillment_id = $1 "
            "AND NOT (order_line_id = ANY($2::uuid[]))",
            fulfillment_id,
            ids,
        )
        await self._conn.execute(
            """UPDATE fulfillment_lines f SET quantity = v.quantity
               FROM unnest($2::uuid[], $3::int[]) AS v(line_id, quantity)
               WHERE f.fulfillment_id = $1 AND f.order_line_id = v.line_id""",
            fulfillment_id,
            ids,
            [lines[i] for i in ids],
        )

    async def set_fulfillment_status(
        self, fulfillment_id: uuid.UUID, status: str, now: datetime
    ) -> None:
        await self._conn.execute(
            "UPDATE fulfillments SET status = $2, updated_at = $3 WHERE id = $1",
            fulfillment_id,
            status,
            now,
        )

    async def add_cancelled_quantity(self, line_id: uuid.UUID, quantity: int) -> None:
        await self._conn.execute(
            "UPDATE order_lines SET cancelled_quantity = cancelled_quantity + $2 WHERE id = $1",
            line_id,
            quantity,
        )

    async def set_order_status(
        self, order_id: uuid.UUID, status: str, now: datetime, cancel_reason: str | None
    ) -> None:
        """With `cancel_reason` the order became CANCELLED now."""
        await self._conn.execute(
            """UPDATE orders SET status = $2, updated_at = $3,
                      cancelled_at = CASE WHEN $4::text IS NULL THEN cancelled_at ELSE $3 END,
                      cancel_reason = coalesce($4::text, cancel_reason)
               WHERE id = $1""",
            order_id,
            status,
            now,
            cancel_reason,
        )

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

    async def set_pickup_deadline(self, fulfillment_id: uuid.UUID, deadline: datetime) -> None:
        await self._conn.execute(
            "UPDATE fulfillments SET pickup_deadline = $2 WHERE id = $1", fulfillment_id, deadline
        )

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
