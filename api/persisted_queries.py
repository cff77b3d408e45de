"""Automatic persisted queries (Apollo's APQ protocol) with the documents in Redis.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the
query; if the hash is known the stored document runs, else the answer is a
PERSISTED_QUERY_NOT_FOUND error and the client sends the query with its hash
once, which is checked and stored. Works over GET too, so CDNs can cache reads.
Stored documents are shared by every instance and kept for `TTL_SECONDS`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from typing import Any

import redis.asyncio as redis
from cross_web import HTTPException
from redis.exceptions import RedisError
from strawberry.http import GraphQLRequestData

log = logging.getLogger("ucg.apq")
TTL_SECONDS = 30 * 86_400
MAX_QUERY_BYTES = 100_000
NOT_FOUND = "PersistedQueryNotFound"


def _sha256(extensions: dict[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise HTTPException(400, "Unsupported persistedQuery: send version 1 with sha256Hash")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise HTTPException(400, "persistedQuery.sha256Hash must be 64 hex characters")
    return digest.lower()


async def resolve(client: redis.Redis, prefix: str, data: GraphQLRequestData) -> GraphQLRequestData:
    """The request with its query filled in from (or saved to) the store.

    An unknown hash without a query comes back with `query=None`; the view then
    answers PersistedQueryNotFound."""
    digest = _sha256(data.extensions)
    if digest is None:
        return data
    key = f"{prefix}apq:{digest}"
    if data.query is not None:
        encoded = data.query.encode()
        if hashlib.sha256(encoded).hexdigest() != digest:
            raise HTTPException(400, "provided sha does not match query")
        if len(encoded) <= MAX_QUERY_BYTES:
            try:
                await client.set(key, encoded, ex=TTL_SECONDS)
            except RedisError:
                log.warning("could not store a persisted query", exc_info=True)
        return data
    try:
        stored = await client.getex(key, ex=TTL_SECONDS)
    except RedisError:
        log.warning("persisted query store unavailable", exc_info=True)
        stored = None
    return replace(
        data,
        query=None if stored is None else stored if isinstance(stored, str) else stored.decode(),
    )


def is_persisted_miss(data: GraphQLRequestData) -> bool:
    return data.query is None and bool((data.extensions or {}).get("persistedQuery"))
