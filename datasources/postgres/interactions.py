"""Interactions, identity stitching and the live profile in Postgres (docs/CUSTOMERS.md)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import orjson

from domain.customer.interactions import Interaction, InteractionType
from domain.customer.profile import (
    ProductFacts,
    ProfileState,
    apply_interaction,
    fold_profiles,
    state_from_json,
    state_to_json,
)

if TYPE_CHECKING:
    from datasources.postgres.profile_batch import ProfileBatch

log = logging.getLogger("ucg.interactions")
Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"
_CHECKABLE = {"products", "locations"}


def customer_subject(customer_id: uuid.UUID) -> str:
    return f"customer:{customer_id}"


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


class PostgresInteractionStore:
    """The use-case's port (domain.customer.interactions.InteractionStore)."""

    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self.conn = conn

    async def consent_of(self, customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, bool]:
        rows = await self.conn.fetch(
            """SELECT id, marketing_consent AND merged_into IS NULL AND erased_at IS NULL AS ok
               FROM customers WHERE id = ANY($1)""",
            customer_ids,
        )
        return {r["id"]: r["ok"] for r in rows}

    async def owner_of(self, keys: list[str]) -> dict[str, uuid.UUID]:
        return await owners_of(self.conn, keys)

    async def existing(self, table: str, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        assert table in _CHECKABLE
        rows = await self.conn.fetch(f"SELECT id FROM {table} WHERE id = ANY($1)", ids)
        return {r["id"] for r in rows}

    async def insert(self, interactions: list[Interaction]) -> list[uuid.UUID]:
        return await insert_interactions(self.conn, interactions)


async def insert_interactions(
    conn: asyncpg.Connection[Any], interactions: Sequence[Interaction]
) -> list[uuid.UUID]:
    """One statement for the batch; an id seen before is skipped (exactly once)."""
    rows = await conn.fetch(
        """INSERT INTO interactions (id, customer_id, device_id, session_id, type, channel,
                product_id, location_id, search_term, source, occurred_at)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                $6::text[], $7::uuid[], $8::uuid[], $9::text[], $10::text[], $11::timestamptz[])
           ON CONFLICT (id) DO NOTHING RETURNING id""",
        [i.id for i in interactions],
        [i.customer_id for i in interactions],
        [i.device_id for i in interactions],
        [i.session_id for i in interactions],
        [i.type.value for i in interactions],
        [i.channel for i in interactions],
        [i.product_id for i in interactions],
        [i.location_id for i in interactions],
        [i.search_term for i in interactions],
        [i.source for i in interactions],
        [i.occurred_at for i in interactions],
    )
    return [r["id"] for r in rows]


async def owners_of(conn: Executor, keys: list[str]) -> dict[str, uuid.UUID]:
    """The customer each anonymous key is stitched to: a link made at sign-in, or a DEVICE
    identity; merged customers resolve to their survivor."""
    if not keys:
        return {}
    rows = await conn.fetch(
        """WITH k AS (SELECT unnest($1::text[]) AS key),
           found AS (
             SELECT k.key, l.customer_id FROM k JOIN interaction_links l ON l.anonymous_key = k.key
             UNION ALL
             SELECT k.key, i.customer_id FROM k JOIN customer_identities i
               ON i.kind = 'DEVICE' AND 'device:' || i.normalized = k.key)
           SELECT DISTINCT ON (f.key) f.key, COALESCE(c.merged_into, c.id) AS owner
           FROM found f JOIN customers c ON c.id = f.customer_id
           WHERE c.erased_at IS NULL
           ORDER BY f.key""",
        keys,
    )
    return {r["key"]: r["owner"] for r in rows}


# --- profile state -------------------------------------------------------------------


async def _locked_state(conn: asyncpg.Connection[Any], subject: str) -> ProfileState | None:
    doc = await conn.fetchval(
        "SELECT state FROM customer_profiles WHERE subject = $1 FOR UPDATE", subject
    )
    return state_from_json(_json(doc)) if doc is not None else None


async def _save_state(
    conn: asyncpg.Connection[Any],
    subject: str,
    customer_id: uuid.UUID | None,
    state: ProfileState,
) -> None:
    await conn.execute(
        """INSERT INTO customer_profiles (subject, customer_id, state) VALUES ($1, $2, $3)
           ON CONFLICT (subject) DO UPDATE SET state = excluded.state, updated_at = now()""",
        subject,
        customer_id,
        state_to_json(state),
    )


async def _product_facts(
    conn: asyncpg.Connection[Any], product_id: uuid.UUID | None
) -> ProductFacts | None:
    if product_id is None:
        return None
    row = await conn.fetchrow(
        """SELECT NULLIF(product_type, '') AS category, NULLIF(vendor, '') AS brand
           FROM products WHERE id = $1""",
        product_id,
    )
    return ProductFacts(row["category"], row["brand"]) if row else None


async def stitch(conn: asyncpg.Connection[Any], customer_id: uuid.UUID, keys: Sequence[str]) -> int:
    """Join anonymous keys to a customer: their interactions are attributed to it and
    their anonymous profiles folded into its profile. Returns how many interactions joined.
    A key already stitched to another customer stays theirs (a shared device)."""
    joined = 0
    for key in keys:
        owner = await conn.fetchval(
            """INSERT INTO interaction_links (anonymous_key, customer_id) VALUES ($1, $2)
               ON CONFLICT (anonymous_key) DO UPDATE SET anonymous_key = excluded.anonymous_key
               RETURNING customer_id""",
            key,
            customer_id,
        )
        if owner != customer_id:
            continue
        kind, _, value = key.partition(":")
        column = "device_id" if kind == "device" else "session_id"
        status = await conn.execute(
            f"""UPDATE interactions SET customer_id = $1
                WHERE {column} = $2 AND customer_id IS NULL""",
            customer_id,
            value,
        )
        joined += int(status.rsplit(" ", 1)[-1])
        anonymous = await _locked_state(conn, key)
        if anonymous is not None:
            subject = customer_subject(customer_id)
            mine = await _locked_state(conn, subject) or ProfileState()
            await _save_state(conn, subject, customer_id, fold_profiles(mine, anonymous))
            await conn.execute("DELETE FROM customer_profiles WHERE subject = $1", key)
    return joined


async def merge_activity(
    conn: asyncpg.Connection[Any], survivor_id: uuid.UUID, merged_id: uuid.UUID
) -> dict[str, int]:
    """A customer merge: interactions and links follow the survivor, profiles fold."""
    moved: dict[str, int] = {}
    for table in ("interactions", "interaction_links"):
        status = await conn.execute(
            f"UPDATE {table} SET customer_id = $1 WHERE customer_id = $2", survivor_id, merged_id
        )
        moved[table] = int(status.rsplit(" ", 1)[-1])
    merged = await _locked_state(conn, customer_subject(merged_id))
    if merged is not None:
        subject = customer_subject(survivor_id)
        mine = await _locked_state(conn, subject) or ProfileState()
        await conn.execute(
            "DELETE FROM customer_profiles WHERE subject = $1", customer_subject(merged_id)
        )
        await _save_state(conn, subject, survivor_id, fold_profiles(mine, merged))
        moved["customer_profiles"] = 1
    return moved


@dataclass(frozen=True)
class ProfileEffect:
    subject: str
    customer_id: uuid.UUID | None
    stitched: int
    state: ProfileState | None = None  # the profile as saved


def profile_subject(
    interaction: Interaction, owners: dict[str, uuid.UUID]
) -> tuple[str, uuid.UUID | None]:
    """The profile an interaction changes, and its customer: the one signed in, else the
    owner of its first stitched key, else its first anonymous key's own profile."""
    keys = interaction.anonymous_keys
    customer_id = interaction.customer_id
    if customer_id is None:
        customer_id = next((owners[k] for k in keys if k in owners), None)
    return (customer_subject(customer_id) if customer_id else keys[0]), customer_id


async def apply_to_profile(
    conn: asyncpg.Connection[Any], interaction: Interaction, batch: ProfileBatch | None = None
) -> ProfileEffect:
    """Fold one stored interaction into its shopper's profile (in the caller's transaction,
    which also records the event id: exactly once). With a `batch`, what it loaded is used
    instead of a lookup each; the caller `remember`s the effect once the message succeeds."""
    keys = interaction.anonymous_keys
    stitched = 0
    owners: dict[str, uuid.UUID] = {}
    if interaction.customer_id is None and keys:
        known = batch.owners_of(keys) if batch is not None else None
        owners = known if known is not None else await owners_of(conn, keys)
    subject, customer_id = profile_subject(interaction, owners)
    if interaction.customer_id is None and customer_id is not None:
        await conn.execute(
            "UPDATE interactions SET customer_id = $1 WHERE id = $2 AND customer_id IS NULL",
            customer_id,
            interaction.id,
        )
    if customer_id is not None and keys:
        # A signed-in interaction from a device or session: sign-in stitches them.
        stitched = await stitch(conn, customer_id, keys)
        if batch is not None and any(batch.owners.get(k) != customer_id for k in keys):
            batch.forget()  # a new link may have moved profiles and owners: read them again
    if batch is not None and subject in batch.states:
        state = batch.states[subject] or ProfileState()
    else:
        state = await _locked_state(conn, subject) or ProfileState()
    if batch is not None and interaction.product_id in batch.facts:
        facts = batch.facts[interaction.product_id]
    else:
        facts = await _product_facts(conn, interaction.product_id)
    state = apply_interaction(state, interaction, facts)
    await _save_state(conn, subject, customer_id, state)
    if customer_id is not None:
        await conn.execute(
            """UPDATE customers SET last_seen_channel = $2, last_seen_at = $3
               WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at <= $3)""",
            customer_id,
            interaction.channel,
            interaction.occurred_at,
        )
    return ProfileEffect(subject, customer_id, stitched, state)


_INTERACTION_COLUMNS = """id, customer_id, device_id, session_id, type, channel, product_id,
    location_id, search_term, source, occurred_at"""


async def stored_interaction(
    conn: asyncpg.Connection[Any], interaction_id: uuid.UUID
) -> Interaction | None:
    row = await conn.fetchrow(
        f"SELECT {_INTERACTION_COLUMNS} FROM interactions WHERE id = $1", interaction_id
    )
    return _interaction(row) if row is not None else None


async def stored_interactions(
    conn: asyncpg.Connection[Any], interaction_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Interaction]:
    if not interaction_ids:
        return {}
    rows = await conn.fetch(
        f"SELECT {_INTERACTION_COLUMNS} FROM interactions WHERE id = ANY($1)", interaction_ids
    )
    return {r["id"]: _interaction(r) for r in rows}


def _interaction(row: asyncpg.Record) -> Interaction:
    return Interaction(
        id=row["id"],
        type=InteractionType(row["type"]),
        channel=row["channel"],
        occurred_at=row["occurred_at"],
        customer_id=row["customer_id"],
        device_id=row["device_id"],
        session_id=row["session_id"],
        product_id=row["product_id"],
        location_id=row["location_id"],
        search_term=row["search_term"],
        source=row["source"],
    )


# --- privacy -------------------------------------------------------------------------


async def export_activity(
    conn: asyncpg.Connection[Any], record_ids: list[uuid.UUID]
) -> dict[str, Any]:
    """The GDPR export's part: every interaction, link and profile of these records."""

    async def rows(sql: str) -> list[Any]:
        return [_json(r[0]) for r in await conn.fetch(sql, record_ids)]

    return {
        "interactions": await rows(
            """SELECT to_jsonb(i) FROM interactions i WHERE customer_id = ANY($1)
               ORDER BY occurred_at, id"""
        ),
        "interactionLinks": await rows(
            "SELECT to_jsonb(l) FROM interaction_links l WHERE customer_id = ANY($1)"
        ),
        "profile": await rows(
            "SELECT to_jsonb(p) FROM customer_profiles p WHERE customer_id = ANY($1)"
        ),
    }


async def purge_expired(conn: Executor, before: datetime, chunk: int = 5000) -> int:
    """Delete interactions older than the retention, a chunk at a time."""
    total = 0
    while True:
        status = await conn.execute(
            """DELETE FROM interactions WHERE id IN (
                 SELECT id FROM interactions WHERE occurred_at < $1 LIMIT $2)""",
            before,
            chunk,
        )
        count = int(status.rsplit(" ", 1)[-1])
        total += count
        if count < chunk:
            return total


class InteractionRetentionSweeper:
    """Deletes interactions past `UCG_INTERACTION_RETENTION_DAYS`, on a schedule."""

    def __init__(
        self, pool: asyncpg.Pool[Any], retention: timedelta, interval_seconds: float = 3600
    ) -> None:
        self._pool = pool
        self._retention = retention
        self._interval = interval_seconds
        self._stopped = asyncio.Event()

    def stop(self) -> None:
        self._stopped.set()

    async def sweep_once(self, now: datetime) -> int:
        return await purge_expired(self._pool, now - self._retention)

    async def run(self) -> None:
        while not self._stopped.is_set():
            try:
                purged = await self.sweep_once(datetime.now(UTC))
                if purged:
                    log.info("expired interactions deleted", extra={"count": purged})
            except (OSError, asyncpg.PostgresError):
                log.warning("interaction retention sweep failed", exc_info=True)
            try:
                await asyncio.wait_for(self._stopped.wait(), self._interval)
            except TimeoutError:
                pass
