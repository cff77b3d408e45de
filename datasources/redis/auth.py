"""Token revocation and login throttling in Redis.

Keys live under a namespace (the deployment's prefix), expire by themselves, and hold
no personal data: throttle keys use a SHA-256 of the login, never the login itself.
"""

from __future__ import annotations

import hashlib
import time

import redis.asyncio as redis


class AuthStore:
    def __init__(self, client: redis.Redis, namespace: str = "") -> None:
        self.client = client
        self.ns = f"{namespace}ucg:auth:"

    # --- revocation -----------------------------------------------------------------

    async def revoke_token(self, jti: str, expires_at: int) -> None:
        ttl = max(1, expires_at - int(time.time()))
        await self.client.set(f"{self.ns}revoked:{jti}", b"1", ex=ttl)

    async def revoke_subject(self, subject_id: str, ttl_seconds: int) -> None:
        """Every access token of the subject issued up to now stops working."""
        await self.client.set(
            f"{self.ns}revoked-before:{subject_id}", str(time.time()), ex=max(1, ttl_seconds)
        )

    async def is_revoked(self, jti: str, subject_id: str, issued_at: float) -> bool:
        revoked, before = await self.client.mget(
            f"{self.ns}revoked:{jti}", f"{self.ns}revoked-before:{subject_id}"
        )
        if revoked is not None:
            return True
        return before is not None and issued_at <= float(before)

    # --- throttling -----------------------------------------------------------------

    def _key(self, scope: str, value: str) -> str:
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"{self.ns}fail:{scope}:{digest}"

    async def failures(self, scope: str, value: str) -> int:
        raw = await self.client.get(self._key(scope, value))
        return int(raw) if raw is not None else 0

    async def record_failure(self, scope: str, value: str, window_seconds: int) -> int:
        """Count a failure in a fixed window that starts with the first failure."""
        key = self._key(scope, value)
        async with self.client.pipeline(transaction=True) as pipe:
            # SET NX EX then INCR: the window starts once (EXPIRE NX needs Redis 7).
            pipe.set(key, 0, ex=window_seconds, nx=True)
            pipe.incr(key)
            _, count = await pipe.execute()
        return int(count)

    async def reset_failures(self, scope: str, value: str) -> None:
        await self.client.delete(self._key(scope, value))

    async def retry_after(self, scope: str, value: str) -> int:
        ttl = await self.client.ttl(self._key(scope, value))
        return max(1, int(ttl))
