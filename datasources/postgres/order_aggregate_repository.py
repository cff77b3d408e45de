"""The one way to load an order for update and save it (domain/order/model.py).

`get_for_update` locks the order row (so a cancel, a fulfillment update, a
return and a sweep of one order serialize) and reads the order with its lines
(and the units of their returns still requested), fulfillments (and their units
per line) and payments in one statement. `add` writes a new order
(`Order.place`) with its lines, fulfillments and payments in one statement.
`save` writes what changed since the load (or the add), then the aggregate's
pending events to the outbox, all in the unit of work's transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from domain.models import OutboxEvent
from domain.order.fulfillment import FulfillmentStatus, OrderStatus
from domain.order.model import Fulfillment, Order, OrderLine
from domain.order.settlement import PaymentState, PaymentStatus

_LOAD = """
SELECT o.id, o.number, o.customer_id, c.code AS channel_code, o.status, o.on_hold,
       o.currency_code, o.shipping_minor, o.cancel_reason, o.cart_id, o.channel_id,
       o.subtotal_minor, o.discount_minor, o.tax_minor, o.total_minor, o.risk_score,
       o.risk_reasons, o.request_hash, o.created_at, o.cancelled_at,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'id', l.id, 'sku', l.sku, 'quantity', l.quantity,
                 'unit_price_minor', l.unit_price_minor, 'discount_minor', l.discount_minor,
                 'tax_minor', l.tax_minor, 'cancelled_quantity', l.cancelled_quantity,
                 'returned_quantity', l.returned_quantity, 'variant_id', l.variant_id,
                 'requested_quantity', (
                     SELECT coalesce(sum(rl.quantity), 0)
                     FROM return_lines rl JOIN returns r ON r.id = rl.return_id
                     WHERE rl.order_line_id = l.id AND r.status = 'REQUESTED'))
                 ORDER BY l.position), '[]')
        FROM order_lines l WHERE l.order_id = o.id) AS lines,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'id', f.id, 'method', f.method, 'location_id', f.location_id,
                 'status', f.status, 'tracking', f.tracking,
                 'pickup_deadline', f.pickup_deadline, 'promised_at', f.promised_at,
                 'updated_at', f.updated_at, 'created_at', f.created_at,
                 'lines', (SELECT coalesce(jsonb_object_agg(fl.order_line_id, fl.quantity), '{}')
                           FROM fulfillment_lines fl WHERE fl.fulfillment_id = f.id))
                 ORDER BY f.created_at, f.id), '[]')
        FROM fulfillments f WHERE f.order_id = o.id) AS fulfillments,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'id', p.id, 'authorization_id', p.authorization_id, 'status', p.status,
                 'currency_code', p.currency_code, 'amount_minor', p.amount_minor,
                 'owed_minor', p.owed_minor, 'captured_minor', p.captured_minor,
                 'refunded_minor', p.refunded_minor, 'provider', p.provider)
                 ORDER BY p.created_at, p.id), '[]')
        FROM payments p WHERE p.order_id = o.id) AS payments
FROM orders o LEFT JOIN channels c ON c.id = o.channel_id
"""
_BY_ID = _LOAD + "WHERE o.id = $1 FOR UPDATE OF o"
_BY_FULFILLMENT = (
    _LOAD + "WHERE o.id = (SELECT order_id FROM fulfillments WHERE id = $1) FOR UPDATE OF o"
)
_BY_KEY = _LOAD + "WHERE o.idempotency_key = $1"

# The new order with its lines, fulfillments (and their units) and payments.
_ADD = """
WITH o AS (
  INSERT INTO orders (id, number, cart_id, customer_id, channel_id, currency_code, total_minor,
                      status, fulfillment_method, shipping_address, idempotency_key,
                      request_hash, subtotal_minor, discount_minor, tax_minor, shipping_minor,
                      on_hold, risk_score, risk_reasons, card_fingerprint, address_key)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15, $16, $17,
          $18, $19::jsonb, $20, $21)
  RETURNING id, created_at),
l AS (
  INSERT INTO order_lines (id, order_id, position, variant_id, sku, quantity, unit_price_minor,
                           discount_minor, tax_minor, total_minor)
  SELECT t.id, o.id, t.position - 1, t.variant_id, t.sku, t.quantity, t.unit_price, t.discount,
         t.tax, t.total
  FROM o, unnest($22::uuid[], $23::uuid[], $24::text[], $25::int[], $26::bigint[],
                 $27::bigint[], $28::bigint[], $29::bigint[]) WITH ORDINALITY
          AS t(id, variant_id, sku, quantity, unit_price, discount, tax, total, position)
  RETURNING id),
f AS (
  INSERT INTO fulfillments (id, order_id, method, location_id, status, promised_at)
  SELECT t.id, o.id, t.method, t.location_id, t.status, t.promised_at
  FROM o, unnest($30::uuid[], $31::text[], $32::uuid[], $33::text[], $34::timestamptz[])
          AS t(id, method, location_id, status, promised_at)
  RETURNING id),
fl AS (
  INSERT INTO fulfillment_lines (fulfillment_id, order_line_id, quantity)
  SELECT t.fulfillment_id, t.line_id, t.quantity
  FROM unnest($35::uuid[], $36::uuid[], $37::int[]) AS t(fulfillment_id, line_id, quantity)
  WHERE EXISTS (SELECT 1 FROM f) AND EXISTS (SELECT 1 FROM l)),
p AS (
  INSERT INTO payments (id, order_id, provider, authorization_id, status, currency_code,
                        amount_minor, captured_minor, owed_minor)
  SELECT t.id, o.id, t.provider, t.authorization_id, t.status, $6, t.amount, t.captured,
         t.amount
  FROM o, unnest($38::uuid[], $39::text[], $40::text[], $41::text[], $42::bigint[],
                 $43::bigint[]) AS t(id, provider, authorization_id, status, amount, captured))
SELECT o.created_at, (SELECT code FROM channels WHERE id = $5) AS channel_code FROM o
"""


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
        channel_id=r["channel_id"],
        subtotal_minor=r["subtotal_minor"],
        discount_minor=r["discount_minor"],
        tax_minor=r["tax_minor"],
        total_minor=r["total_minor"],
        risk_score=r["risk_score"],
        risk_reasons=tuple(r["risk_reasons"] or ()),
        request_hash=r["request_hash"],
        created_at=r["created_at"],
        cancelled_at=r["cancelled_at"],
        lines=tuple(
            OrderLine(
                **{
                    **line,
                    "id": uuid.UUID(line["id"]),
                    "variant_id": uuid.UUID(line["variant_id"]),
                    "currency_code": r["currency_code"],
                }
            )
            for line in r["lines"]
        ),
        fulfillments=tuple(
            Fulfillment(
                id=uuid.UUID(f["id"]),
                method=f["method"],
                location_id=uuid.UUID(f["location_id"]),
                status=FulfillmentStatus(f["status"]),
                lines={uuid.UUID(k): v for k, v in f["lines"].items()},
                pickup_deadline=_time(f["pickup_deadline"]),
                tracking=f["tracking"],
                promised_at=_time(f["promised_at"]),
                updated_at=_time(f["updated_at"]),
                created_at=_time(f["created_at"]),
            )
            for f in r["fulfillments"]
        ),
        payments=tuple(
            PaymentState(**{**p, "id": uuid.UUID(p["id"]), "status": PaymentStatus(p["status"])})
            for p in r["payments"]
        ),
    )


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


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

    async def get_by_idempotency_key(self, key: str) -> Order | None:
        """The order a request with this idempotency key placed (not locked: a replay
        only reads it)."""
        return self._keep(await self._conn.fetchrow(_BY_KEY, key))

    async def next_number(self) -> int:
        """The next order number (a sequence: numbers of rolled-back sales are skipped)."""
        number: int = await self._conn.fetchval("SELECT nextval('order_numbers')")
        return number

    async def add(self, order: Order) -> None:
        """Write a new order (`Order.place`): the order row, lines, fulfillments and their
        units, payments, in one statement; its pending events are written by `save`, so a
        sale writes them after what else it records (points, the cart, stock)."""
        placement = order.placement
        if placement is None:
            raise RuntimeError("add() of an order not placed by Order.place")
        lines = order.lines
        units = [(f.id, line_id, n) for f in order.fulfillments for line_id, n in f.lines.items()]
        address = placement.shipping_address
        added = await self._conn.fetchrow(
            _ADD,
            order.id,
            order.number,
            order.cart_id,
            order.customer_id,
            order.channel_id,
            order.currency_code,
            order.total_minor,
            order.status.value,
            placement.method,
            None if address is None else json.dumps(address),
            placement.idempotency_key,
            order.request_hash,
            order.subtotal_minor,
            order.discount_minor,
            order.tax_minor,
            order.shipping_minor,
            order.on_hold,
            order.risk_score,
            [dict(reason) for reason in order.risk_reasons],  # the pool's jsonb codec
            placement.card_fingerprint,
            placement.address_key,
            [line.id for line in lines],
            [line.variant_id for line in lines],
            [line.sku for line in lines],
            [line.quantity for line in lines],
            [line.unit_price_minor for line in lines],
            [line.discount_minor for line in lines],
            [line.tax_minor for line in lines],
            [line.total_minor for line in lines],
            [f.id for f in order.fulfillments],
            [f.method for f in order.fulfillments],
            [f.location_id for f in order.fulfillments],
            [f.status.value for f in order.fulfillments],
            [f.promised_at for f in order.fulfillments],
            [u[0] for u in units],
            [u[1] for u in units],
            [u[2] for u in units],
            [p.id for p in order.payments],
            [p.provider for p in order.payments],
            [p.authorization_id for p in order.payments],
            [p.status.value for p in order.payments],
            [p.amount_minor for p in order.payments],
            [p.captured_minor for p in order.payments],
        )
        assert added is not None
        # What the database set, as a later load reads it (its now() is the transaction's).
        order.created_at, order.channel_code = added["created_at"], added["channel_code"]
        order.fulfillments = tuple(
            replace(f, updated_at=order.created_at, created_at=order.created_at)
            for f in order.fulfillments
        )
        self._loaded[order.id] = replace(order, events=[])

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
        moved: set[uuid.UUID] = set()
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
                moved.add(part.id)
        # As a later load reads them back.
        order.fulfillments = tuple(
            replace(f, updated_at=now) if f.id in moved else f for f in order.fulfillments
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
            if became_cancelled:
                order.cancelled_at = now
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
