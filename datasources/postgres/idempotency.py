"""Idempotency keys of mutations (table `idempotency_keys`), shared by every repository.

`claim` in the use-case's transaction: None when this transaction now owns the
key, else the earlier (request hash, response). A concurrent first use blocks on
the INSERT until it commits, then reads its result. `save` stores the response
in the same transaction as the change it describes.
"""

from __future__ import annotations

from typing import Any

import asyncpg


async def claim(
    conn: asyncpg.Connection[Any], scope: str, key: str, request_hash: str
) -> tuple[str, dict[str, object]] | None:
    inserted = await conn.fetchval(
        "INSERT INTO idempotency_keys (scope, key, request_hash, response) "
        "VALUES ($1, $2, $3, '{}'::jsonb) ON CONFLICT DO NOTHING RETURNING 1",
        scope,
        key,
        request_hash,
    )
    if inserted:
        return None
    row = await conn.fetchrow(
        "SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2",
        scope,
        key,
    )
    assert row is not None
    return row["request_hash"], dict(row["response"])


async def save(
    conn: asyncpg.Connection[Any], scope: str, key: str, response: dict[str, object]
) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET response = $3 WHERE scope = $1 AND key = $2",
        scope,
        key,
        response,
    )
