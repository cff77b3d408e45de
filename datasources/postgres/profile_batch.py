"""What the profile consumer loads once for a batch of interactions (one poll of a partition,
one transaction): the stored interactions, who owns their anonymous keys, the products'
category and brand, and the profiles they change, locked in subject order. Each message then
costs its processed_events row and its profile upsert, not a lookup of each of these.

The cache holds what the database holds in the batch's transaction: an entry changes only
after a message's effect succeeded (`remember`), so a message rolled back to its savepoint
leaves it as it was; a stitch that may move profiles or owners drops it (`forget`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from domain.customer.interactions import Interaction
from domain.customer.profile import ProductFacts, ProfileState, state_from_json


@dataclass
class ProfileBatch:
    interactions: dict[uuid.UUID, Interaction] = field(default_factory=dict)
    owners: dict[str, uuid.UUID] = field(default_factory=dict)
    keys_known: set[str] = field(default_factory=set)  # looked up: owned or not
    facts: dict[uuid.UUID, ProductFacts | None] = field(default_factory=dict)
    states: dict[str, ProfileState | None] = field(default_factory=dict)  # locked rows

    def owners_of(self, keys: list[str]) -> dict[str, uuid.UUID] | None:
        """The owners of these keys, if every one was looked up; else None (ask)."""
        if not all(k in self.keys_known for k in keys):
            return None
        return {k: self.owners[k] for k in keys if k in self.owners}

    def remember(self, subject: str, state: ProfileState) -> None:
        self.states[subject] = state

    def forget(self) -> None:
        self.owners.clear()
        self.keys_known.clear()
        self.states.clear()


async def load_batch(
    conn: asyncpg.Connection[Any], tracked_ids: Iterable[uuid.UUID]
) -> ProfileBatch:
    """Four statements for the whole batch (none for what it does not have)."""
    from datasources.postgres.interactions import owners_of, profile_subject, stored_interactions

    batch = ProfileBatch()
    batch.interactions = await stored_interactions(conn, list(tracked_ids))
    found = list(batch.interactions.values())
    keys = sorted({k for i in found if i.customer_id is None for k in i.anonymous_keys})
    if keys:
        batch.owners = await owners_of(conn, keys)
        batch.keys_known = set(keys)
    products = sorted({i.product_id for i in found if i.product_id is not None})
    if products:
        rows = await conn.fetch(
            """SELECT id, NULLIF(product_type, '') AS category, NULLIF(vendor, '') AS brand
               FROM products WHERE id = ANY($1)""",
            products,
        )
        batch.facts = {p: None for p in products}
        batch.facts.update({r["id"]: ProductFacts(r["category"], r["brand"]) for r in rows})
    subjects = sorted({profile_subject(i, batch.owners)[0] for i in found})
    if subjects:
        # In subject order, so two transactions locking some of the same rows cannot
        # deadlock (members own different shoppers; a stitch or merge may not).
        rows = await conn.fetch(
            """SELECT subject, state FROM customer_profiles WHERE subject = ANY($1)
               ORDER BY subject FOR UPDATE""",
            subjects,
        )
        batch.states = {s: None for s in subjects}
        for r in rows:
            doc = r["state"]
            loaded = orjson.loads(doc) if isinstance(doc, (str, bytes)) else doc
            batch.states[r["subject"]] = state_from_json(loaded)
    return batch
