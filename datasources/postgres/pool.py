"""The asyncpg pool: created and closed in the app lifespan."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg

# Observers of every statement run on pool connections (tests count SQL per request).
_query_observers: list[Callable[[Any], None]] = []


def _notify_observers(record: Any) -> None:
    for observer in list(_query_observers):
        observer(record)


@contextmanager
def observe_queries(observer: Callable[[Any], None]) -> Iterator[None]:
    """Call `observer(LoggedQuery)` for every statement any pool connection runs, meanwhile."""
    _query_observers.append(observer)
    try:
        yield
    finally:
        _query_observers.remove(observer)


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    conn.add_query_logger(_notify_observers)


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=30
    )
    assert pool is not None
    return pool
