"""The Redis client: created and closed in the app lifespan."""

from __future__ import annotations

import redis.asyncio as redis


def create_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
