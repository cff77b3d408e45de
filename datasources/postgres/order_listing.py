"""Order listing reads: the `orders` connection, `Customer.orders` pages, lifetime value.

Pages are keyset-paginated on (created_at, id), newest first: the index
orders_created (staff) or orders_customer (a customer's own) serves them, and
a cursor stays valid while new orders arrive.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datasources.postgres.order import _COLUMNS, Executor, _order
from domain.order.fulfillment import OrderStatus
from domain.order.order_record import OrderRecord

_PREFIXED = ", ".join(f"o.{c.strip()}" for c in _COLUMNS.split(","))


@dataclass(frozen=True)
class OrderFilter:
    customer_id: uuid.UUID | None = None  # None: every customer's (staff)
    status: OrderStatus | None = None
    channel_code: str | None = None
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive


async def orders_page(
    db: Executor,
    where: OrderFilter,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[OrderRecord]:
    """Up to `limit` orders matching `where`, newest first, after the cursor position."""
    clauses: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if where.customer_id is not None:
        clauses.append(f"o.customer_id = {arg(where.customer_id)}")
    if where.status is not None:
        clauses.append(f"o.status = {arg(where.status.value)}")
    if where.channel_code is not None:
        clauses.append(
            f"o.channel_id = (SELECT id FROM channels WHERE code = {arg(where.channel_code)})"
        )
    if where.created_after is not None:
        clauses.append(f"o.created_at >= {arg(where.created_after)}")
    if where.created_before is not None:
        clauses.append(f"o.created_at < {arg(where.created_before)}")
    if after is not None:
        clauses.append(f"(o.created_at, o.id) < ({arg(after[0])}, {arg(after[1])})")
    sql = f"SELECT {_PREFIXED} FROM orders o"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY o.created_at DESC, o.id DESC LIMIT {arg(limit)}"
    rows = await db.fetch(sql, *args)
    return [_order(r) for r in rows]


@dataclass(frozen=True)
class CustomerOrdersKey:
    """One `Customer.orders(first, after)` page: the DataLoader key."""

    customer_id: uuid.UUID
    limit: int
    after: tuple[datetime, uuid.UUID] | None


async def customer_order_pages(
    db: Executor, keys: Sequence[CustomerOrdersKey]
) -> list[list[OrderRecord]]:
    """Every requested page in one statement (a LATERAL page per key)."""
    rows = await db.fetch(
        f"""SELECT k.i, {_PREFIXED}
            FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::uuid[])
                 WITH ORDINALITY AS k(customer_id, lim, after_at, after_id, i)
            CROSS JOIN LATERAL (
                SELECT * FROM orders
                WHERE customer_id = k.customer_id
                  AND (k.after_at IS NULL OR (created_at, id) < (k.after_at, k.after_id))
                ORDER BY created_at DESC, id DESC LIMIT k.lim) o
            ORDER BY k.i, o.created_at DESC, o.id DESC""",
        [k.customer_id for k in keys],
        [k.limit for k in keys],
        [None if k.after is None else k.after[0] for k in keys],
        [None if k.after is None else k.after[1] for k in keys],
    )
    pages: list[list[OrderRecord]] = [[] for _ in keys]
    for r in rows:
        pages[r["i"] - 1].append(_order(r))
    return pages


@dataclass(frozen=True)
class LifetimeValue:
    amount_minor: int
    currency_code: str


async def lifetime_values_by_customer_ids(
    db: Executor, customer_ids: Sequence[uuid.UUID]
) -> list[LifetimeValue | None]:
    """Order totals less what was given back (cancelled or refunded), in the currency of
    the customer's newest order. Given back = authorized minus still owed, per payment."""
    rows = await db.fetch(
        """SELECT o.customer_id, o.currency_code,
                  sum(o.total_minor - coalesce(p.given_back, 0)) AS net,
                  max(o.created_at) AS latest
           FROM orders o
           LEFT JOIN LATERAL (SELECT sum(amount_minor - owed_minor) AS given_back
                              FROM payments WHERE order_id = o.id) p ON true
           WHERE o.customer_id = ANY($1)
           GROUP BY o.customer_id, o.currency_code""",
        list(customer_ids),
    )
    best: dict[uuid.UUID, Any] = {}
    for r in rows:
        seen = best.get(r["customer_id"])
        if seen is None or r["latest"] > seen["latest"]:
            best[r["customer_id"]] = r
    return [
        None if (r := best.get(i)) is None else LifetimeValue(int(r["net"]), r["currency_code"])
        for i in customer_ids
    ]
