"""Customer reads, batched by key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import one_per_key
from domain.models import Customer

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"


async def customers_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Customer | None]:
    rows = await db.fetch(
        "SELECT id, display_name, created_at FROM customers WHERE id = ANY($1)", ids
    )
    items = (Customer(r["id"], r["display_name"], r["created_at"]) for r in rows)
    return one_per_key(ids, items, lambda c: c.id)
