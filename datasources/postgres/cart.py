"""Cart reads, batched by key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import many_per_key, one_per_key
from domain.models import Cart

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"
_COLUMNS = "id, channel_id, currency_code, customer_id, created_at"


def _cart(r: asyncpg.Record) -> Cart:
    return Cart(r["id"], r["channel_id"], r["currency_code"], r["customer_id"], r["created_at"])


async def carts_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Cart | None]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM carts WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(_cart, rows), lambda c: c.id)


async def carts_by_customer_ids(
    db: Executor, customer_ids: Sequence[uuid.UUID]
) -> list[list[Cart]]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM carts WHERE customer_id = ANY($1) ORDER BY created_at DESC",
        customer_ids,
    )
    return many_per_key(customer_ids, map(_cart, rows), lambda c: c.customer_id)
