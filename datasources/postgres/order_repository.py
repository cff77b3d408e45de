"""SQL of checkout's own rows (the idempotency lock, the checkout's reservation) and
order reads by key. New orders are written by the Order aggregate's repository
(order_aggregate_repository.py). Use-cases: `domain/order/checkout.py`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from domain.order.fulfillment import FulfillmentStatus
from domain.order.model import Fulfillment, OrderLine


class PostgresOrderRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def lock_idempotency_key(self, key: str) -> None:
        """Serialize every checkout with this key until the transaction ends."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)

    async def order_id_by_idempotency_key(self, key: str) -> uuid.UUID | None:
        """The order a checkout with this key placed (the sweeper's "did it commit?")."""
        value: uuid.UUID | None = await self._conn.fetchval(
            "SELECT id FROM orders WHERE idempotency_key = $1", key
        )
        return value

    async def checkout_reservation(self, cart_id: uuid.UUID) -> uuid.UUID | None:
        value: uuid.UUID | None = await self._conn.fetchval(
            "SELECT reservation_id FROM checkouts WHERE cart_id = $1", cart_id
        )
        return value

    async def save_checkout(
        self, cart_id: uuid.UUID, reservation_id: uuid.UUID, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            """INSERT INTO checkouts (cart_id, reservation_id, expires_at) VALUES ($1, $2, $3)
               ON CONFLICT (cart_id) DO UPDATE
               SET reservation_id = EXCLUDED.reservation_id, expires_at = EXCLUDED.expires_at,
                   created_at = now()""",
            cart_id,
            reservation_id,
            expires_at,
        )

    async def delete_checkout(self, cart_id: uuid.UUID) -> None:
        await self._conn.execute("DELETE FROM checkouts WHERE cart_id = $1", cart_id)


# Reads by key for GraphQL (Order.fulfillments, Order.lines): the aggregate's own parts.

_FULFILLMENTS = """
SELECT f.id, f.order_id, f.method, f.location_id, f.status, f.tracking, f.created_at,
       f.updated_at, f.promised_at, f.pickup_deadline,
       (SELECT coalesce(jsonb_object_agg(fl.order_line_id, fl.quantity), '{}')
        FROM fulfillment_lines fl WHERE fl.fulfillment_id = f.id) AS lines
FROM fulfillments f WHERE f.order_id = ANY($1) ORDER BY f.created_at, f.id
"""


async def fulfillments_by_order_ids(
    db: Any, order_ids: Sequence[uuid.UUID]
) -> list[list[Fulfillment]]:
    """The fulfillments of each order as the Order aggregate holds them, oldest first."""
    rows = await db.fetch(_FULFILLMENTS, list(order_ids))
    grouped: dict[uuid.UUID, list[Fulfillment]] = {i: [] for i in order_ids}
    for r in rows:
        grouped[r["order_id"]].append(
            Fulfillment(
                id=r["id"],
                method=r["method"],
                location_id=r["location_id"],
                status=FulfillmentStatus(r["status"]),
                lines={uuid.UUID(k): v for k, v in r["lines"].items()},
                pickup_deadline=r["pickup_deadline"],
                tracking=r["tracking"],
                promised_at=r["promised_at"],
                updated_at=r["updated_at"],
                created_at=r["created_at"],
            )
        )
    return [grouped[i] for i in order_ids]


async def lines_by_order_ids(db: Any, order_ids: Sequence[uuid.UUID]) -> list[list[OrderLine]]:
    """The lines of each order as the Order aggregate holds them, in cart order."""
    rows = await db.fetch(
        """SELECT l.id, l.order_id, l.sku, l.quantity, l.unit_price_minor, l.discount_minor,
                  l.tax_minor, l.cancelled_quantity, l.returned_quantity, l.variant_id,
                  o.currency_code
           FROM order_lines l JOIN orders o ON o.id = l.order_id
           WHERE l.order_id = ANY($1) ORDER BY l.order_id, l.position""",
        list(order_ids),
    )
    grouped: dict[uuid.UUID, list[OrderLine]] = {i: [] for i in order_ids}
    for r in rows:
        grouped[r["order_id"]].append(
            OrderLine(
                id=r["id"],
                sku=r["sku"],
                quantity=r["quantity"],
                unit_price_minor=r["unit_price_minor"],
                discount_minor=r["discount_minor"],
                tax_minor=r["tax_minor"],
                cancelled_quantity=r["cancelled_quantity"],
                returned_quantity=r["returned_quantity"],
                currency_code=r["currency_code"],
                variant_id=r["variant_id"],
            )
        )
    return [grouped[i] for i in order_ids]
