"""Leaky-bucket rate limit per client in Redis, in query-cost points (Shopify-style).

Each client has a bucket of `capacity` points that drains at `restore_rate`
points a second. An operation adds its computed cost; if that would overflow
the bucket, the operation is refused (nothing runs) and the client is told
how long to wait. After it runs, what it was charged beyond its actual cost
(the objects it really returned) is given back, as Shopify does. One Lua script reads, drains and fills atomically, so any
number of API instances share one bucket per client. When Redis is down the
limiter lets requests through (availability first) and logs it.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger("ucg.ratelimit")

# KEYS[1] bucket; ARGV: capacity, restore_rate, cost, now (seconds, float).
# Returns {allowed (0/1), level after (points, as a string), retry_after_ms}.
_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(state[1]) or 0
local at = tonumber(state[2]) or now
if now > at then level = math.max(0, level - (now - at) * rate) end
local allowed = 0
local retry_ms = 0
if level + cost <= capacity then
  level = math.max(0, level + cost)
  allowed = 1
else
  retry_ms = math.ceil((level + cost - capacity) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, tostring(level), retry_ms}
"""


@dataclass(frozen=True)
class Throttle:
    allowed: bool
    capacity: int
    currently_available: int
    restore_rate: float
    retry_after_seconds: float  # 0 when allowed


class RateLimiter:
    def __init__(
        self, client: redis.Redis, prefix: str, capacity: int, restore_rate: float
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self.capacity = capacity
        self.restore_rate = restore_rate
        self._script = client.register_script(_SCRIPT)

    async def take(self, client_key: str, cost: int) -> Throttle:
        """Add `cost` points to the client's bucket, or refuse when it would overflow.

        An operation costing more than the whole bucket can never run; it is refused
        by the query-cost limit before it gets here (max_query_cost <= capacity)."""
        try:
            allowed, level, retry_ms = await self._script(
                keys=[f"{self._prefix}ratelimit:{client_key}"],
                args=[self.capacity, self.restore_rate, cost, time.time()],
            )
        except RedisError:
            log.warning("rate limit unavailable; letting the request through", exc_info=True)
            return Throttle(True, self.capacity, self.capacity, self.restore_rate, 0.0)
        available = max(0, math.floor(self.capacity - float(level)))
        return Throttle(
            bool(allowed), self.capacity, available, self.restore_rate, int(retry_ms) / 1000
        )

    async def refund(self, client_key: str, points: int) -> Throttle:
        """Give back points charged up front but not spent (requested minus actual cost)."""
        return await self.take(client_key, -max(0, points))
