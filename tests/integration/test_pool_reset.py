"""A pooled connection goes back to the pool without asyncpg's reset query (one round
trip saved on every release: every transaction of a checkout), except after a task said
it takes session state (`holds_session_state`): then a session advisory lock left behind
is still released before anyone else gets the connection."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from datasources.postgres.pool import create_pool, holds_session_state, log_statements
from tests.conftest import TestEnv

_LOCK = 0x23_23


async def _advisory_locks(db: asyncpg.Connection[Any]) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
    return count


async def test_release_runs_no_reset_query(env: TestEnv) -> None:
    pool = await create_pool(env.database_url, min_size=1, max_size=1)
    try:
        with log_statements() as sql:
            for _ in range(3):
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute("SELECT 1")
        assert sql.count("SELECT 1") == 3, sql
        assert not [s for s in sql if "pg_advisory_unlock_all" in s or "RESET ALL" in s], sql
    finally:
        await pool.close()


async def test_session_lock_left_behind_is_released(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    pool = await create_pool(env.database_url, min_size=1, max_size=1)

    async def forget_to_unlock() -> None:
        holds_session_state()
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK)
            assert await _advisory_locks(db) == 1

    async def lock_without_saying() -> None:
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK)

    try:
        await asyncio.create_task(forget_to_unlock())
        assert await _advisory_locks(db) == 0  # the full reset ran on release
        # Without the call the lock would stay on the pooled connection: what the
        # call is for (the sweepers make it before their session locks).
        await asyncio.create_task(lock_without_saying())
        assert await _advisory_locks(db) == 1
    finally:
        await pool.close()
