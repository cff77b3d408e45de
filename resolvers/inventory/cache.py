"""Availability snapshots through the Redis read-through cache (never used to take stock)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datasources.postgres import inventory as inventory_db
from datasources.redis.cache import ReadThroughCache
from resolvers.context import Context

AVAILABILITY = "availability"


def cache_of(context: Context) -> ReadThroughCache:
    settings = context.settings
    return ReadThroughCache(
        context.redis,
        getattr(settings, "cache_key_prefix", "ucg:"),
        getattr(settings, "cache_ttl_seconds", 300),
    )


async def availability_snapshots(
    context: Context, skus: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    async def load(missing: list[str]) -> dict[str, Any]:
        return await inventory_db.stock_snapshots_by_skus(context.pool, missing)

    return await cache_of(context).get_many(AVAILABILITY, skus, load)


async def invalidate_availability(context: Context, skus: Sequence[str]) -> None:
    """Called after the stock change has committed."""
    await cache_of(context).invalidate(AVAILABILITY, skus)
