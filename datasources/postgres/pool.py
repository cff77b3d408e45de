"""The asyncpg pool: created and closed in the app lifespan."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import asyncpg

from datasources import trace_context
from datasources.metrics import SqlTally


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


# Set in a task that leaves session state on a pooled connection (a session-level
# advisory lock); its releases then run asyncpg's full reset.
_session_state: ContextVar[bool] = ContextVar("ucg_session_state", default=False)


def holds_session_state() -> None:
    """Call before taking session-level state (`pg_try_advisory_lock`) on a pooled
    connection: the connections this task releases from then on get the full reset
    (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`), so a lock whose
    unlock was cancelled cannot stay held on a connection back in the pool."""
    _session_state.set(True)


async def _reset_connection(conn: asyncpg.Connection[Any]) -> None:
    # asyncpg has already rolled back an open transaction and dropped the Python-side
    # listeners. Everything else the API does is transaction-scoped (SET LOCAL,
    # transaction-level advisory locks, cursors inside transactions), so the reset
    # query, one more round trip on every release, is only needed after session state.
    if _session_state.get():
        await conn.execute(conn.get_reset_query())


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        setup=_setup_statement_log,
        reset=_reset_connection,
        command_timeout=30,
    )
    assert pool is not None
    return pool


# Statement log (tests, benchmarks): `with log_statements() as sql:` collects the
# SQL that this task, and the tasks it starts, run on any pool. Nothing is
# attached to a connection until a task that asked for the log acquires it.
_statement_log: ContextVar[list[str] | None] = ContextVar("ucg_statement_log", default=None)
# Metrics: `with tally_statements() as tally:` counts and times the same statements.
_sql_tally: ContextVar[SqlTally | None] = ContextVar("ucg_sql_tally", default=None)


def _log_statement(record: Any) -> None:
    # asyncpg calls this with call_soon from the querying task, so its context is that task's.
    log = _statement_log.get()
    if log is not None:
        log.append(record.query)
    tally = _sql_tally.get()
    if tally is not None:
        tally.statements += 1
        tally.seconds += record.elapsed
    if trace_context.enabled:
        trace_context.record_sql(record.query, record.elapsed)


async def _setup_statement_log(conn: Any) -> None:
    if _statement_log.get() is not None or _sql_tally.get() is not None or trace_context.enabled:
        conn.add_query_logger(_log_statement)
    else:  # asyncpg times every statement of a connection that has a logger
        conn.remove_query_logger(_log_statement)


@contextlib.contextmanager
def log_statements() -> Iterator[list[str]]:
    log: list[str] = []
    token = _statement_log.set(log)
    try:
        yield log
    finally:
        _statement_log.reset(token)


@contextlib.contextmanager
def tally_statements() -> Iterator[SqlTally]:
    tally = SqlTally()
    token = _sql_tally.set(tally)
    try:
        yield tally
    finally:
        try:
            _sql_tally.reset(token)
        except ValueError:  # a subscription's generator is closed from another context
            _sql_tally.set(None)
