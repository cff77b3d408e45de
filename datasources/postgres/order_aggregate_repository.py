"""The one way to load an order for update and save it (domain/order/model.py).

`get_for_update` locks the order row (so a cancel, a fulfillment update, a
return and a sweep of one order serialize) and reads the order with its lines,
fulfillments (and their units per line) and payments in one statement. `save`
writes what changed since the load, then the aggregate's pending events to the
outbox, all in the unit of work's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from domain.models import OutboxEvent
from domain.order.fulfillment import FulfillmentStatus, OrderStatus
from domain.order.model import Fulfillment, Order, OrderLine
from domain.order.settlement import PaymentState

_LOAD = """
SELECT o.id, o.number, o.customer_id, c.code AS channel_code, o.status, o.on_hold,
       o.currency_code, o.shipping_minor, o.cancel_reason, o.cart_id,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'id', l.id, 'sku', l.sku, 'quantity', l.quantity,
                 'unit_price_minor', l.unit_price_minor, 'discount_minor', l.discount_minor,
                 'tax_minor', l.tax_minor, 'cancelled_quantity', l.cancelled_quantity,
                 'returned_quantity', l.returned_quantity) ORDER BY l.position), '[]')
        FROM order_lines l WHERE l.order_id = o.id) AS lines,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'id', f.id, 'method', f.method, 'location_id', f.location_id,
                 'status', f.status, 'tracking', f.tracking,
                 'pickup_deadline', f.pickup_deadline,
                 'lines', (SELECT coalesce(jsonb_object_agg(fl.order_line_id, fl.quantity), '{}')
                           FROM fulfillment_lines fl WHERE fl.fulfillment_id = f.id))
                 ORDER BY f.created_at, f.id), '[]')
        FROM fulfillments f WHERE f.order_id = o.id) AS fulfillments,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'id', p.id, 'authorization_id', p.authorization_id, 'status', p.status,
                 'currency_code', p.currency_code, 'amount_minor', p.amount_minor,
                 'owed_minor', p.owed_minor, 'captured_minor', p.captured_minor,
                 'refunded_minor', p.refunded_minor) ORDER BY p.created_at, p.id), '[]')
        FROM payments p WHERE p.order_id = o.id) AS payments
FROM orders o LEFT JOIN channels c ON c.id = o.channel_id
WHERE o.id = :where FOR UPDATE OF o
"""
_BY_ID = _LOAD.replace(":where", "$1")
_BY_FULFILLMENT = _LOAD.replace(":where", "(SELECT order_id FROM fulfillments WHERE id = $1)")


def _order(r: Any) -> Order:
    return Order(
        id=r["id"],
        number=r["number"],
        customer_id=r["customer_id"],
        channel_code=r["channel_code"],
        status=OrderStatus(r["status"]),
        on_hold=r["on_hold"],
        currency_code=r["currency_code"],
        shipping_minor=r["shipping_minor"],
        cancel_reason=r["cancel_reason"],
        cart_id=r["cart_id"],
        lines=tuple(OrderLine(**{**line, "id": uuid.UUID(line["id"])}) for line in r["lines"]),
        fulfillments=tuple(
            Fulfillment(
                id=uuid.UUID(f["id"]),
                method=f["method"],
                location_id=uuid.UUID(f["location_id"]),
                status=FulfillmentStatus(f["status"]),
                lines={uuid.UUID(k): v for k, v in f["lines"].items()},
                pickup_deadline=(
                    None
                    if f["pickup_deadline"] is None
                    else datetime.fromisoformat(f["pickup_deadline"])
                ),
                tracking=f["tracking"],
            )
            for f in r["fulfillments"]
        ),
        payments=tuple(PaymentState(**{**p, "id": uuid.UUID(p["id"])}) for p in r["payments"]),
    )


class PostgresOrderAggregateRepository:
    """Created once per unit of work: it keeps what it loaded, to save only the change."""

    def __init__(
        self,
        conn: asyncpg.Connection[Any],
        add_event: Callable[[OutboxEvent], Awaitable[int]],
    ) -> None:
        self._conn = conn
        self._add_event = add_event
        self._loaded: dict[uuid.UUID, Order] = {}

    async def get_for_update(self, order_id: uuid.UUID) -> Order | None:
        return self._keep(await self._conn.fetchrow(_BY_ID, order_id))

    async def get_for_update_by_fulfillment(self, fulfillment_id: uuid.UUID) -> Order | None:
        """The order of a fulfillment (locked), found and read in one statement."""
        return self._keep(await self._conn.fetchrow(_BY_FULFILLMENT, fulfillment_id))

    def _keep(self, r: Any) -> Order | None:
        if r is None:
            return None
        order = _order(r)
        self._loaded[order.id] = replace(order, events=[])
        return order

    async def save(self, order: Order, now: datetime) -> None:
        """Write the change since the load, then the pending events (outbox)."""
        before = self._loaded.get(order.id)
        if before is None:
            raise RuntimeError("save() of an order this unit of work did not load")
        old_parts = {f.id: f for f in before.fulfillments}
        for part in order.fulfillments:
            old = old_parts[part.id]
            if part.lines != old.lines:
                await self._set_fulfillment_lines(part)
            if (part.status, part.tracking, part.pickup_deadline) != (
                old.status,
                old.tracking,
                old.pickup_deadline,
            ):
                await self._conn.execute(
                    """UPDATE fulfillments SET status = $2, tracking = $3, pickup_deadline = $4,
                              updated_at = $5 WHERE id = $1""",
                    part.id,
                    part.status.value,
                    part.tracking,
                    part.pickup_deadline,
                    now,
                )
        old_lines = {line.id: line for line in before.lines}
        changed = [line for line in order.lines if line != old_lines[line.id]]
        if changed:
            await self._conn.execute(
                """UPDATE order_lines l SET cancelled_quantity = v.cancelled,
                          returned_quantity = v.returned
                   FROM unnest($1::uuid[], $2::int[], $3::int[]) AS v(id, cancelled, returned)
                   WHERE l.id = v.id""",
                [line.id for line in changed],
                [line.cancelled_quantity for line in changed],
                [line.returned_quantity for line in changed],
            )
        if (order.status, order.on_hold) != (before.status, before.on_hold):
            became_cancelled = order.cancel_reason != before.cancel_reason
            await self._conn.execute(
                """UPDATE orders SET status = $2, on_hold = $3, updated_at = $4,
                          cancelled_at = CASE WHEN $5 THEN $4 ELSE cancelled_at END,
                          cancel_reason = $6
                   WHERE id = $1""",
                order.id,
                order.status.value,
                order.on_hold,
                now,
                became_cancelled,
                order.cancel_reason,
            )
        self._loaded[order.id] = replace(order, events=[])
        for event in order.pull_events():
            await self._add_event(event)

    async def _set_fulfillment_lines(self, part: Fulfillment) -> None:
        """What the fulfillment still has to hand over, per line (absent lines: none)."""
        ids = list(part.lines)
        await self._conn.execute(
            "DELETE FROM fulfillment_lines WHERE fulfillment_id = $1 "
            "AND NOT (order_line_id = ANY($2::uuid[]))",
            part.id,
            ids,
        )
        await self._conn.execute(
            """UPDATE fulfillment_lines f SET quantity = v.quantity
               FROM unnest($2::uuid[], $3::int[]) AS v(line_id, quantity)
               WHERE f.fulfillment_id = $1 AND f.order_line_id = v.line_id""",
            part.id,
            ids,
            [part.lines[i] for i in ids],
        )
