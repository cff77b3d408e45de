"""Collections: batched reads for the DataLoaders, and the writes of the admin mutations."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from datasources.postgres.catalog import Executor
from datasources.postgres.rows import many_per_key, one_per_key
from domain.catalog.collections import Collection, CollectionRule, RuleField, RuleRelation
from domain.catalog.models import ProductSortKey
from domain.errors import DomainError, ErrorCode

_COLUMNS = (
    "c.id, c.handle, c.title, c.description, c.parent_id, c.rules, c.sort_key, c.sort_reverse, "
    "c.position, c.image_url, c.image_alt_text, c.seo_title, c.seo_description, c.created_at, "
    "ARRAY(SELECT ch.code FROM collection_channels cc JOIN channels ch ON ch.id = cc.channel_id "
    "WHERE cc.collection_id = c.id ORDER BY ch.code) AS channel_codes"
)


def _rules(raw: Any) -> list[CollectionRule]:
    items = json.loads(raw) if isinstance(raw, str) else raw
    return [
        CollectionRule(RuleField(r["field"]), RuleRelation(r["relation"]), str(r["value"]))
        for r in items
    ]


def _collection(r: asyncpg.Record) -> Collection:
    return Collection(
        r["id"],
        r["handle"],
        r["title"],
        r["description"],
        r["parent_id"],
        _rules(r["rules"]),
        ProductSortKey(r["sort_key"]),
        r["sort_reverse"],
        r["position"],
        r["image_url"],
        r["image_alt_text"],
        r["seo_title"],
        r["seo_description"],
        r["created_at"],
        list(r["channel_codes"]),
    )


def _visible(channel_code: str | None, published_only: bool, arg: int) -> str:
    """Shoppers see a collection published on their channel (any channel when none)."""
    if not published_only:
        return "true"
    channel = f" AND ch.code = ${arg}" if channel_code is not None else ""
    return (
        "EXISTS (SELECT 1 FROM collection_channels cc JOIN channels ch ON ch.id = cc.channel_id "
        f"WHERE cc.collection_id = c.id{channel})"
    )


async def collections_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Collection | None]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM collections c WHERE c.id = ANY($1)", ids)
    return one_per_key(ids, map(_collection, rows), lambda c: c.id)


async def collections_by_handles(db: Executor, handles: Sequence[str]) -> list[Collection | None]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM collections c WHERE c.handle = ANY($1)", handles)
    return one_per_key(handles, map(_collection, rows), lambda c: c.handle)


async def children_by_parent_ids(
    db: Executor, parent_ids: Sequence[uuid.UUID]
) -> list[list[Collection]]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM collections c WHERE c.parent_id = ANY($1) "
        "ORDER BY c.position, c.title, c.id",
        parent_ids,
    )
    return many_per_key(parent_ids, map(_collection, rows), lambda c: c.parent_id)


async def ancestors_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Collection]]:
    """Each collection's ancestors, its parent first (one recursive statement for all)."""
    rows = await db.fetch(
        f"""WITH RECURSIVE up(start, id, depth) AS (
                SELECT c.id, c.parent_id, 1 FROM collections c
                 WHERE c.id = ANY($1) AND c.parent_id IS NOT NULL
                UNION ALL
                SELECT up.start, c.parent_id, up.depth + 1 FROM up JOIN collections c
                    ON c.id = up.id WHERE c.parent_id IS NOT NULL AND up.depth < 32)
            SELECT up.start, {_COLUMNS} FROM up JOIN collections c ON c.id = up.id
             ORDER BY up.start, up.depth""",
        ids,
    )
    pairs = [(r["start"], _collection(r)) for r in rows]
    grouped = many_per_key(ids, pairs, lambda pair: pair[0])
    return [[c for _, c in group] for group in grouped]


async def collections_page(
    db: Executor,
    *,
    limit: int,
    after: tuple[str, uuid.UUID] | None,
    channel_code: str | None,
    published_only: bool,
    top_level_only: bool,
) -> list[Collection]:
    """Collections by (title, id), keyset-paginated."""
    args: list[Any] = [limit]
    where = []
    if published_only:
        if channel_code is not None:
            args.append(channel_code)
        where.append(_visible(channel_code, True, len(args)))
    if top_level_only:
        where.append("c.parent_id IS NULL")
    if after is not None:
        args.extend(after)
        where.append(f"(c.title, c.id) > (${len(args) - 1}, ${len(args)})")
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM collections c "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY c.title, c.id LIMIT $1",
        *args,
    )
    return [_collection(r) for r in rows]


async def search_collections(
    db: Executor, words: Sequence[str], limit: int, channel_code: str | None, published_only: bool
) -> list[Collection]:
    """Collections whose title has every word as the start of one of its words."""
    args: list[Any] = [limit, list(words)]
    if published_only and channel_code is not None:
        args.append(channel_code)
    rows = await db.fetch(
        f"""SELECT {_COLUMNS} FROM collections c
             WHERE {_visible(channel_code, published_only, 3)}
               AND (SELECT bool_and(EXISTS (
                        SELECT 1 FROM regexp_split_to_table(
                            lower(ucg_unaccent(c.title)), '[^[:alnum:]]+') AS t(word)
                         WHERE t.word LIKE w || '%'))
                      FROM unnest($2::text[]) AS w)
             ORDER BY length(c.title), c.title, c.id LIMIT $1""",
        *args,
    )
    return [_collection(r) for r in rows]


class PostgresCollectionRepository:
    """Collection writes inside a unit of work's transaction."""

    _FIELDS = frozenset(
        {
            "handle",
            "title",
            "description",
            "parent_id",
            "rules",
            "sort_key",
            "sort_reverse",
            "position",
            "image_url",
            "image_alt_text",
            "seo_title",
            "seo_description",
        }
    )

    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    @staticmethod
    def _value(name: str, value: object) -> object:
        if name == "rules" and isinstance(value, list):
            return json.dumps(
                [
                    {"field": r.field.value, "relation": r.relation.value, "value": r.value}
                    for r in value
                ]
            )
        return value

    def _sql_value(self, name: str, i: int) -> str:
        return f"${i}::text::jsonb" if name == "rules" else f"${i}"

    async def handle_exists(self, handle: str, except_id: uuid.UUID | None = None) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT 1 FROM collections WHERE handle = $1 AND id IS DISTINCT FROM $2",
                handle,
                except_id,
            )
        )

    async def get(self, collection_id: uuid.UUID) -> Collection | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM collections c WHERE c.id = $1 FOR UPDATE OF c", collection_id
        )
        return None if row is None else _collection(row)

    async def ancestor_ids(self, collection_id: uuid.UUID) -> list[uuid.UUID]:
        """The collection and its ancestors' ids, itself first."""
        rows = await self._conn.fetch(
            """WITH RECURSIVE up(id, depth) AS (
                   SELECT $1::uuid, 0
                   UNION ALL
                   SELECT c.parent_id, up.depth + 1 FROM up JOIN collections c ON c.id = up.id
                    WHERE c.parent_id IS NOT NULL AND up.depth < 32)
               SELECT id FROM up ORDER BY depth""",
            collection_id,
        )
        return [r["id"] for r in rows]

    async def add(self, fields: dict[str, object]) -> uuid.UUID:
        names = [n for n in fields if n in self._FIELDS]
        values = ", ".join(self._sql_value(n, i) for i, n in enumerate(names, start=1))
        try:
            new_id: uuid.UUID = await self._conn.fetchval(
                f"INSERT INTO collections ({', '.join(names)}) VALUES ({values}) RETURNING id",
                *(self._value(n, fields[n]) for n in names),
            )
        except asyncpg.UniqueViolationError:
            raise DomainError(ErrorCode.TAKEN, "Handle is taken.", ["input", "handle"]) from None
        return new_id

    async def update(self, collection_id: uuid.UUID, fields: dict[str, object]) -> None:
        names = [n for n in fields if n in self._FIELDS]
        sets = ", ".join(f"{n} = {self._sql_value(n, i)}" for i, n in enumerate(names, start=2))
        try:
            await self._conn.execute(
                f"UPDATE collections SET {sets + ', ' if sets else ''}updated_at = now() "
                "WHERE id = $1",
                collection_id,
                *(self._value(n, fields[n]) for n in names),
            )
        except asyncpg.UniqueViolationError:
            raise DomainError(ErrorCode.TAKEN, "Handle is taken.", ["input", "handle"]) from None

    async def channel_ids(self, codes: Sequence[str]) -> dict[str, uuid.UUID]:
        rows = await self._conn.fetch(
            "SELECT code, id FROM channels WHERE code = ANY($1)", list(codes)
        )
        return {r["code"]: r["id"] for r in rows}

    async def set_channels(self, collection_id: uuid.UUID, channel_ids: list[uuid.UUID]) -> None:
        await self._conn.execute(
            "DELETE FROM collection_channels WHERE collection_id = $1 AND NOT channel_id = ANY($2)",
            collection_id,
            channel_ids,
        )
        await self._conn.execute(
            "INSERT INTO collection_channels (collection_id, channel_id) "
            "SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
            collection_id,
            channel_ids,
        )

    async def has_children(self, collection_id: uuid.UUID) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT 1 FROM collections WHERE parent_id = $1 LIMIT 1", collection_id
            )
        )

    async def delete(self, collection_id: uuid.UUID) -> None:
        await self._conn.execute("DELETE FROM collections WHERE id = $1", collection_id)

    async def existing_product_ids(self, product_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self._conn.fetch(
            "SELECT id FROM products WHERE id = ANY($1)", list(product_ids)
        )
        return {r["id"] for r in rows}

    async def add_products(
        self, collection_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        """Append the products not yet listed, in the given order; return those added."""
        rows = await self._conn.fetch(
            """INSERT INTO collection_products (collection_id, product_id, position)
               SELECT $1, p.id, (SELECT coalesce(max(position), -1) FROM collection_products
                                  WHERE collection_id = $1) + p.n
                 FROM unnest($2::uuid[]) WITH ORDINALITY AS p(id, n)
               ON CONFLICT DO NOTHING RETURNING product_id""",
            collection_id,
            list(product_ids),
        )
        return [r["product_id"] for r in rows]

    async def remove_products(
        self, collection_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        rows = await self._conn.fetch(
            "DELETE FROM collection_products WHERE collection_id = $1 AND product_id = ANY($2) "
            "RETURNING product_id",
            collection_id,
            list(product_ids),
        )
        return [r["product_id"] for r in rows]
