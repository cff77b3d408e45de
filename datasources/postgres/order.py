"""Order reads, batched by key: the read projection (domain/order/order_record.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import one_per_key
from domain.order.fulfillment import OrderStatus
from domain.order.order_record import OrderRecord

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"
ORDER_COLUMNS = (
    "id, number, customer_id, status, currency_code, total_minor, created_at, subtotal_minor, "
    "discount_minor, tax_minor, shipping_minor, on_hold, risk_score, risk_reasons, cancelled_at, cancel_reason, "
    "cart_id"
)


def order_of(r: asyncpg.Record) -> OrderRecord:
    return OrderRecord(
        r["id"],
        r["number"],
        r["customer_id"],
        OrderStatus(r["status"]),
        r["currency_code"],
        r["total_minor"],
        r["created_at"],
        r["subtotal_minor"],
        r["discount_minor"],
        r["tax_minor"],
        r["shipping_minor"],
        r["on_hold"],
        r["risk_score"],
        tuple(r["risk_reasons"] or ()),
        r["cancelled_at"],
        r["cancel_reason"],
        r["cart_id"],
    )


# The names order_listing.py uses.
_COLUMNS = ORDER_COLUMNS
_order = order_of


async def orders_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[OrderRecord | None]:
    rows = await db.fetch(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(order_of, rows), lambda o: o.id)
