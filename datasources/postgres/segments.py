"""Segments in Postgres: definitions, memberships, and their evaluation (docs/CUSTOMERS.md).

Membership is kept two ways, both writing `ucg.customer.segment_changed.v1` only for a row
that really changed (INSERT ... ON CONFLICT DO NOTHING RETURNING, DELETE ... RETURNING), so
the two never announce one entry twice:

- `reevaluate_customer`, called by the profile consumer in the transaction that changed the
  profile (and recorded the event id): real time, exactly once per interaction;
- `evaluate_segment`, run when a segment is created or its rule changes: every customer, a
  keyset-ordered chunk per transaction, so a big customer base never holds one long lock.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

import asyncpg
import orjson

from datasources.postgres.customer_profiles import (
    order_histories_by_customer_ids,
    profiles_by_customer_ids,
)
from datasources.postgres.pool import holds_session_state
from datasources.postgres.rows import one_per_key
from domain.customer.interactions import Interaction, InteractionType
from domain.customer.profile import ProfileState
from domain.customer.segments import (
    MAX_SEGMENTS,
    SEGMENT_CHANGED,
    Change,
    MembershipChange,
    Rule,
    Segment,
    event_data,
    facts_for,
    membership_changes,
    parse_rule,
    rule_to_json,
)
from domain.errors import DomainError, ErrorCode
from domain.events import CUSTOMERS_TOPIC
from domain.models import OutboxEvent

log = logging.getLogger("ucg.segments")
Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"
AddEvent: TypeAlias = Callable[[OutboxEvent], Awaitable[int]]
CHUNK = 500


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def _segment(r: asyncpg.Record) -> Segment:
    return Segment(
        id=r["id"],
        name=r["name"],
        description=r["description"],
        rule=parse_rule(_json(r["rule"])),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


_COLUMNS = "id, name, description, rule, created_at, updated_at"


async def all_segments(db: Executor) -> list[Segment]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM segments ORDER BY name")
    return [_segment(r) for r in rows]


async def segments_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Segment | None]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM segments WHERE id = ANY($1)", list(ids))
    return one_per_key(ids, [_segment(r) for r in rows], lambda s: s.id)


async def segment_ids_by_customer_ids(
    db: Executor, ids: Sequence[uuid.UUID]
) -> list[list[uuid.UUID]]:
    rows = await db.fetch(
        """SELECT m.customer_id, m.segment_id FROM segment_memberships m
           JOIN segments s ON s.id = m.segment_id
           WHERE m.customer_id = ANY($1) ORDER BY s.name""",
        list(ids),
    )
    out: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    for r in rows:
        out[r["customer_id"]].append(r["segment_id"])
    return [out[i] for i in ids]


async def member_counts_by_segment_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[int]:
    rows = await db.fetch(
        """SELECT segment_id, count(*) AS n FROM segment_memberships
           WHERE segment_id = ANY($1) GROUP BY segment_id""",
        list(ids),
    )
    counts = {r["segment_id"]: r["n"] for r in rows}
    return [counts.get(i, 0) for i in ids]


# --- definitions ---------------------------------------------------------------------


def _taken(exc: asyncpg.UniqueViolationError) -> DomainError:
    return DomainError(ErrorCode.TAKEN, "A segment with this name exists.", ["input", "name"])


async def insert_segment(
    conn: asyncpg.Connection[Any], name: str, description: str, rule: Rule
) -> Segment:
    # Serialized: two creates at once cannot both slip under the cap.
    await conn.execute("LOCK TABLE segments IN SHARE ROW EXCLUSIVE MODE")
    if await conn.fetchval("SELECT count(*) FROM segments") >= MAX_SEGMENTS:
        raise DomainError(
            ErrorCode.INVALID, f"At most {MAX_SEGMENTS} segments; delete one first.", ["input"]
        )
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO segments (name, description, rule) VALUES ($1, $2, $3)
                RETURNING {_COLUMNS}""",
            name,
            description,
            rule_to_json(rule),
        )
    except asyncpg.UniqueViolationError as exc:
        raise _taken(exc) from None
    assert row is not None
    return _segment(row)


async def update_segment(
    conn: asyncpg.Connection[Any],
    segment_id: uuid.UUID,
    name: str | None,
    description: str | None,
    rule: Rule | None,
) -> Segment | None:
    try:
        row = await conn.fetchrow(
            f"""UPDATE segments SET name = COALESCE($2, name),
                       description = COALESCE($3, description),
                       rule = COALESCE($4, rule), updated_at = now()
                WHERE id = $1 RETURNING {_COLUMNS}""",
            segment_id,
            name,
            description,
            rule_to_json(rule) if rule is not None else None,
        )
    except asyncpg.UniqueViolationError as exc:
        raise _taken(exc) from None
    return _segment(row) if row is not None else None


async def delete_segment(conn: asyncpg.Connection[Any], segment_id: uuid.UUID) -> bool:
    """Memberships go with it (no exit events: the segment itself is gone). A segment that
    limits discount codes is refused: deleting it would leave the codes usable by nobody."""
    codes = await conn.fetch(
        """SELECT d.code FROM discount_segments ds JOIN discounts d ON d.id = ds.discount_id
           WHERE ds.segment_id = $1 ORDER BY d.code LIMIT 5""",
        segment_id,
    )
    if codes:
        listed = ", ".join(r["code"] for r in codes)
        raise DomainError(
            ErrorCode.INVALID, f"The segment limits discount codes ({listed}).", ["id"]
        )
    status = await conn.execute("DELETE FROM segments WHERE id = $1", segment_id)
    return status.endswith(" 1")


async def existing_segment_ids(db: Executor, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    rows = await db.fetch("SELECT id FROM segments WHERE id = ANY($1)", list(ids))
    return {r["id"] for r in rows}


# --- membership ----------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """What caused an evaluation: the interaction's store (a visit), channel and time."""

    store_id: uuid.UUID | None
    channel: str | None
    occurred_at: datetime
    visited_store: bool = False


def trigger_of(interaction: Interaction) -> Trigger:
    visit = interaction.type is InteractionType.STORE_VISITED
    return Trigger(
        store_id=interaction.location_id if visit else None,
        channel=interaction.channel,
        occurred_at=interaction.occurred_at,
        visited_store=visit and interaction.location_id is not None,
    )


async def _apply(
    conn: asyncpg.Connection[Any],
    add_event: AddEvent,
    customer_id: uuid.UUID,
    changes: Sequence[MembershipChange],
    trigger: Trigger,
) -> list[MembershipChange]:
    """Write the changes; an event for each one that changed a row (or a visit)."""
    done: list[MembershipChange] = []
    for change in changes:
        if change.change is Change.ENTERED:
            changed = await conn.fetchval(
                """INSERT INTO segment_memberships (segment_id, customer_id) VALUES ($1, $2)
                   ON CONFLICT DO NOTHING RETURNING true""",
                change.segment_id,
                customer_id,
            )
        elif change.change is Change.EXITED:
            changed = await conn.fetchval(
                """DELETE FROM segment_memberships WHERE segment_id = $1 AND customer_id = $2
                   RETURNING true""",
                change.segment_id,
                customer_id,
            )
        else:
            changed = True
        if not changed:
            continue
        done.append(change)
        await add_event(
            OutboxEvent(
                CUSTOMERS_TOPIC,
                SEGMENT_CHANGED,
                "Customer",
                str(customer_id),
                event_data(
                    customer_id,
                    change,
                    store_id=trigger.store_id,
                    channel=trigger.channel,
                    occurred_at=trigger.occurred_at,
                ),
            )
        )
    return done


async def reevaluate_customer(
    conn: asyncpg.Connection[Any],
    add_event: AddEvent,
    customer_id: uuid.UUID,
    trigger: Trigger,
    now: datetime,
) -> list[MembershipChange]:
    """One customer against every segment, in the caller's transaction (the profile change)."""
    segments = await all_segments(conn)
    if not segments:
        return []
    rows = await conn.fetch(
        "SELECT segment_id FROM segment_memberships WHERE customer_id = $1", customer_id
    )
    current = {r["segment_id"] for r in rows}
    state = (await profiles_by_customer_ids(conn, [customer_id]))[0] or ProfileState()
    history = (await order_histories_by_customer_ids(conn, [customer_id]))[0]
    changes = membership_changes(
        segments, current, facts_for(state, history, now), visited_store=trigger.visited_store
    )
    return await _apply(conn, add_event, customer_id, changes, trigger)


async def evaluate_segment(
    pool: asyncpg.Pool[Any],
    segment: Segment,
    now: datetime,
    *,
    chunk: int = CHUNK,
) -> tuple[int, int]:
    """Every live customer against one segment, a chunk per transaction (keyset by id).
    Returns (customers evaluated, memberships changed)."""
    from datasources.postgres.uow import UnitOfWork  # the unit of work imports repositories

    after = uuid.UUID(int=0)
    evaluated = changed = 0
    trigger = Trigger(store_id=None, channel=None, occurred_at=now)
    while True:
        async with UnitOfWork(pool) as uow:
            conn: asyncpg.Connection[Any] = uow.conn  # type: ignore[assignment]
            ids = [
                r["id"]
                for r in await conn.fetch(
                    """SELECT id FROM customers
                       WHERE id > $1 AND merged_into IS NULL AND erased_at IS NULL
                       ORDER BY id LIMIT $2""",
                    after,
                    chunk,
                )
            ]
            if not ids:
                return evaluated, changed
            members = {
                r["customer_id"]
                for r in await conn.fetch(
                    """SELECT customer_id FROM segment_memberships
                       WHERE segment_id = $1 AND customer_id = ANY($2)""",
                    segment.id,
                    ids,
                )
            }
            states = await profiles_by_customer_ids(conn, ids)
            histories = await order_histories_by_customer_ids(conn, ids)
            for customer_id, state, history in zip(ids, states, histories, strict=True):
                facts = facts_for(state or ProfileState(), history, now)
                current = {segment.id} if customer_id in members else set()
                changes = membership_changes([segment], current, facts)
                changed += len(await _apply(conn, uow.add_event, customer_id, changes, trigger))
            evaluated += len(ids)
            after = ids[-1]


# One sweep at a time across API instances (the writes are idempotent; this saves the work).
_SWEEP_LOCK = 0x5E6_0023


async def sweep_segments(pool: asyncpg.Pool[Any], now: datetime) -> tuple[int, int] | None:
    """Every segment against every customer, for what time alone changes (RFM and churn
    move without an interaction) and for orders placed since. None when another instance
    is sweeping. Returns (segments, memberships changed)."""
    holds_session_state()
    async with pool.acquire() as lock:
        if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", _SWEEP_LOCK):
            return None
        try:
            segments = await all_segments(pool)
            changed = 0
            for segment in segments:
                changed += (await evaluate_segment(pool, segment, now))[1]
            return len(segments), changed
        finally:
            await lock.execute("SELECT pg_advisory_unlock($1)", _SWEEP_LOCK)


class SegmentSweeper:
    """Runs `sweep_segments` every `UCG_SEGMENT_SWEEP_INTERVAL_SECONDS`."""

    def __init__(self, pool: asyncpg.Pool[Any], interval_seconds: float = 3600) -> None:
        self._pool = pool
        self._interval = interval_seconds
        self._stopped = asyncio.Event()

    def stop(self) -> None:
        self._stopped.set()

    async def run(self) -> None:
        while not self._stopped.is_set():
            try:
                await asyncio.wait_for(self._stopped.wait(), self._interval)
            except TimeoutError:
                pass
            if self._stopped.is_set():
                return
            try:
                swept = await sweep_segments(self._pool, datetime.now(UTC))
                if swept and swept[1]:
                    log.info("segments re-evaluated", extra={"changes": swept[1]})
            except (OSError, asyncpg.PostgresError):
                log.warning("segment sweep failed", exc_info=True)


async def export_memberships(
    conn: asyncpg.Connection[Any], record_ids: list[uuid.UUID]
) -> list[Any]:
    """The GDPR export's part: the segments the customer is in (with their names)."""
    rows = await conn.fetch(
        """SELECT jsonb_build_object('segmentId', m.segment_id, 'segment', s.name,
                  'enteredAt', m.entered_at)
           FROM segment_memberships m JOIN segments s ON s.id = m.segment_id
           WHERE m.customer_id = ANY($1) ORDER BY m.entered_at""",
        record_ids,
    )
    return [_json(r[0]) for r in rows]
