"""Read-through cache of documents in Redis (product documents, availability snapshots).

Reads fall back to the database when Redis is slow or down; writers call
`invalidate` after their transaction commits. Never used when taking stock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from datasources.metrics import CACHE_LOOKUPS

log = logging.getLogger("ucg.cache")

Loader = Callable[[list[str]], Awaitable[dict[str, Any]]]


class ReadThroughCache:
    def __init__(self, client: redis.Redis, prefix: str, ttl_seconds: int = 300) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl_seconds

    def key(self, kind: str, key: str) -> str:
        return f"{self._prefix}{kind}:{key}"

    async def get_many(self, kind: str, keys: Sequence[str], load: Loader) -> dict[str, Any]:
        """Values for `keys`: cached ones from Redis, the rest from `load` (then cached)."""
        unique_keys = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        try:
            raw = await self._redis.mget([self.key(kind, k) for k in unique_keys])
            for k, value in zip(unique_keys, raw, strict=True):
                if value is not None:
                    found[k] = orjson.loads(value)
        except RedisError:
            log.warning("cache read failed; reading the database", exc_info=True)
        missing = [k for k in unique_keys if k not in found]
        CACHE_LOOKUPS.labels(kind, "hit").inc(len(found))
        CACHE_LOOKUPS.labels(kind, "miss").inc(len(missing))
        if missing:
            loaded = await load(missing)
            found.update(loaded)
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for k in missing:
                        if k in loaded:
                            pipe.set(self.key(kind, k), orjson.dumps(loaded[k]), ex=self._ttl)
                    await pipe.execute()
            except RedisError:
                log.warning("cache write failed", exc_info=True)
        return found

    async def invalidate(self, kind: str, keys: Sequence[str]) -> None:
        if not keys:
            return
        try:
            await self._redis.delete(*(self.key(kind, k) for k in keys))
        except RedisError:
            # The TTL bounds how stale a cached document can get.
            log.warning("cache invalidation failed", exc_info=True)
