"""Removes abandoned carts: in process, one instance at a time (Postgres advisory lock)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

log = logging.getLogger("ucg.cart.cleanup")
# Any constant shared by every instance; distinct from the migration lock.
CART_CLEANUP_LOCK_KEY = 0x0C6_0005


async def delete_expired_carts(
    pool: asyncpg.Pool[Any], *, now: datetime, grace: timedelta, batch_size: int = 500
) -> int | None:
    """Delete carts (and their lines) that expired before `now - grace`.

    Active and merged carts only: a checked-out cart is kept. The grace period
    lets a shopper who comes back get CART_EXPIRED rather than NOT_FOUND.
    Returns how many were deleted, or None when another instance is cleaning.
    """
    cutoff = now - grace
    total = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock($1)", CART_CLEANUP_LOCK_KEY
            ):
                return None if total == 0 else total
            deleted: int = await conn.fetchval(
                """WITH doomed AS (
                       SELECT id FROM carts
                       WHERE expires_at < $1 AND status IN ('ACTIVE', 'MERGED')
                       ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                   , gone AS (DELETE FROM carts WHERE id IN (SELECT id FROM doomed) RETURNING 1)
                   SELECT count(*) FROM gone""",
                cutoff,
                batch_size,
            )
        total += deleted
        if deleted < batch_size:
            return total


async def run_cart_cleanup(
    pool: asyncpg.Pool[Any], *, interval_seconds: float, grace: timedelta, stop: asyncio.Event
) -> None:
    """Clean now, then every `interval_seconds`, until `stop` is set."""
    while not stop.is_set():
        try:
            deleted = await delete_expired_carts(pool, now=datetime.now(UTC), grace=grace)
            if deleted:
                log.info("deleted expired carts", extra={"count": deleted})
        except (asyncpg.PostgresError, OSError):
            log.exception("cart cleanup failed; will retry")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            pass
