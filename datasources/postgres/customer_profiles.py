"""Customer 360 reads, batched by key: profiles, order histories, the identity match rate."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg
import orjson

from datasources.postgres.rows import one_per_key
from domain.customer.profile import OrderHistory, ProfileState, state_from_json

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


async def profiles_by_customer_ids(
    db: Executor, ids: Sequence[uuid.UUID]
) -> list[ProfileState | None]:
    rows = await db.fetch(
        "SELECT customer_id, state FROM customer_profiles WHERE customer_id = ANY($1)", ids
    )
    pairs = [(r["customer_id"], state_from_json(_json(r["state"]))) for r in rows]
    found = one_per_key(ids, pairs, lambda p: p[0])
    return [p[1] if p else None for p in found]


async def order_histories_by_customer_ids(
    db: Executor, ids: Sequence[uuid.UUID]
) -> list[OrderHistory]:
    rows = await db.fetch(
        """SELECT customer_id, count(*) AS orders, COALESCE(sum(total_minor), 0) AS monetary,
                  min(created_at) AS first_at, max(created_at) AS last_at
           FROM orders WHERE customer_id = ANY($1) AND status <> 'CANCELLED'
           GROUP BY customer_id""",
        ids,
    )
    by_id = {
        r["customer_id"]: OrderHistory(r["orders"], int(r["monetary"]), r["first_at"], r["last_at"])
        for r in rows
    }
    return [by_id.get(i, OrderHistory(0, 0, None, None)) for i in ids]


@dataclass(frozen=True)
class ChannelOrders:
    channel: str
    orders: int
    last_order_at: datetime | None


async def channel_orders_by_customer_ids(
    db: Executor, ids: Sequence[uuid.UUID]
) -> list[list[ChannelOrders]]:
    rows = await db.fetch(
        """SELECT o.customer_id, COALESCE(ch.code, 'UNKNOWN') AS channel, count(*) AS orders,
                  max(o.created_at) AS last_at
           FROM orders o LEFT JOIN channels ch ON ch.id = o.channel_id
           WHERE o.customer_id = ANY($1)
           GROUP BY o.customer_id, ch.code ORDER BY 3 DESC, 2""",
        ids,
    )
    out: dict[uuid.UUID, list[ChannelOrders]] = {i: [] for i in ids}
    for r in rows:
        out[r["customer_id"]].append(ChannelOrders(r["channel"], r["orders"], r["last_at"]))
    return [out[i] for i in ids]


@dataclass(frozen=True)
class MatchRate:
    anonymous_keys: int
    matched_keys: int
    interactions: int
    attributed_interactions: int
    customers_seen: int
    cross_channel_customers: int


async def identity_match_rate(db: Executor, since: datetime) -> MatchRate:
    """How many anonymous devices/sessions are recognized as a customer, how many
    interactions are attributed to one, and how many customers act on 2+ channels."""
    row = await db.fetchrow(
        """WITH recent AS (SELECT * FROM interactions WHERE occurred_at >= $1),
           keys AS (
             SELECT 'device:' || device_id AS key, bool_or(customer_id IS NOT NULL) AS matched
             FROM recent WHERE device_id IS NOT NULL GROUP BY device_id
             UNION ALL
             SELECT 'session:' || session_id, bool_or(customer_id IS NOT NULL)
             FROM recent WHERE session_id IS NOT NULL AND device_id IS NULL GROUP BY session_id),
           per_customer AS (
             SELECT customer_id, count(DISTINCT channel) AS channels FROM recent
             WHERE customer_id IS NOT NULL GROUP BY customer_id)
           SELECT (SELECT count(*) FROM keys) AS keys,
                  (SELECT count(*) FROM keys WHERE matched) AS matched,
                  (SELECT count(*) FROM recent) AS interactions,
                  (SELECT count(*) FROM recent WHERE customer_id IS NOT NULL) AS attributed,
                  (SELECT count(*) FROM per_customer) AS customers,
                  (SELECT count(*) FROM per_customer WHERE channels > 1) AS cross_channel""",
        since,
    )
    assert row is not None
    return MatchRate(
        row["keys"],
        row["matched"],
        row["interactions"],
        row["attributed"],
        row["customers"],
        row["cross_channel"],
    )
