"""Markets, their countries, and translations of catalog texts (migration 0022)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import asyncpg

from datasources.postgres.catalog import Executor
from domain.catalog.markets import Market, MarketDraft
from domain.models import OutboxEvent

_MARKET_SELECT = """
SELECT m.id, m.handle, m.name, m.currency_code, c.code AS channel_code, m.tax_inclusive,
       m.languages, m.default_language,
       coalesce((SELECT array_agg(mc.country_code ORDER BY mc.position)
                   FROM market_countries mc WHERE mc.market_id = m.id), '{}') AS countries
  FROM markets m JOIN channels c ON c.id = m.price_channel_id"""


def _market(r: asyncpg.Record) -> Market:
    return Market(
        r["id"],
        r["handle"],
        r["name"],
        tuple(c.strip() for c in r["countries"]),
        r["currency_code"],
        r["channel_code"],
        r["tax_inclusive"],
        tuple(r["languages"]),
        r["default_language"],
    )


async def all_markets(db: Executor) -> list[Market]:
    return [_market(r) for r in await db.fetch(f"{_MARKET_SELECT} ORDER BY m.handle")]


async def market_by_handle(db: Executor, handle: str) -> Market | None:
    r = await db.fetchrow(f"{_MARKET_SELECT} WHERE m.handle = $1", handle)
    return None if r is None else _market(r)


async def market_by_id(db: Executor, market_id: uuid.UUID) -> Market | None:
    r = await db.fetchrow(f"{_MARKET_SELECT} WHERE m.id = $1", market_id)
    return None if r is None else _market(r)


async def context_lookup(db: Executor, country: str | None) -> tuple[Market | None, list[str]]:
    """The market selling to `country` and every market's languages, in one statement."""
    r = await db.fetchrow(
        f"""SELECT (SELECT array_agg(DISTINCT l ORDER BY l) FROM markets, unnest(languages) l)
                   AS offered, found.*
              FROM (SELECT 1) one LEFT JOIN ({_MARKET_SELECT}
                    WHERE m.id = (SELECT market_id FROM market_countries
                                   WHERE country_code = $1)) found ON true""",
        country,
    )
    assert r is not None
    offered = list(r["offered"] or [])
    return (None if r["id"] is None else _market(r)), offered


async def translations_by_resource(
    db: Executor, keys: Sequence[tuple[uuid.UUID, tuple[str, ...]]]
) -> list[dict[str, dict[str, str]]]:
    """For each (resource id, languages): language -> key -> text. One statement a batch."""
    ids = list({k[0] for k in keys})
    languages = list({language for _, chain in keys for language in chain})
    rows = await db.fetch(
        "SELECT resource_id, language, key, value FROM translations "
        "WHERE resource_id = ANY($1) AND language = ANY($2)",
        ids,
        languages,
    )
    found: dict[uuid.UUID, dict[str, dict[str, str]]] = {}
    for r in rows:
        found.setdefault(r["resource_id"], {}).setdefault(r["language"], {})[r["key"]] = r["value"]
    return [
        {lang: texts for lang, texts in found.get(rid, {}).items() if lang in chain}
        for rid, chain in keys
    ]


class PostgresMarketRepository:
    """Market and translation writes inside a unit of work's transaction."""

    def __init__(
        self, conn: asyncpg.Connection[Any], add_event: Callable[[OutboxEvent], Awaitable[int]]
    ) -> None:
        self._conn = conn
        self._add_event = add_event

    async def add_event(self, event: OutboxEvent) -> int:
        return await self._add_event(event)

    async def market_by_handle(self, handle: str) -> Market | None:
        return await market_by_handle(self._conn, handle)

    async def channel_exists(self, code: str) -> bool:
        return bool(await self._conn.fetchval("SELECT 1 FROM channels WHERE code = $1", code))

    async def countries_taken(
        self, countries: Sequence[str], except_id: uuid.UUID | None
    ) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT country_code FROM market_countries WHERE country_code = ANY($1) "
            "AND market_id IS DISTINCT FROM $2 ORDER BY country_code",
            list(countries),
            except_id,
        )
        return [r["country_code"] for r in rows]

    async def save_market(self, market_id: uuid.UUID | None, draft: MarketDraft) -> Market:
        channel = draft.price_channel_code
        if market_id is None:
            market_id = await self._conn.fetchval(
                "INSERT INTO markets (handle, name, currency_code, price_channel_id, "
                "tax_inclusive, languages, default_language) "
                "VALUES ($1, $2, $3, (SELECT id FROM channels WHERE code = $4), $5, $6, $7) "
                "RETURNING id",
                draft.handle,
                draft.name,
                draft.currency_code,
                channel,
                draft.tax_inclusive,
                draft.languages,
                draft.default_language,
            )
        else:
            await self._conn.execute(
                "UPDATE markets SET handle = $2, name = $3, "
                "currency_code = coalesce($4, currency_code), "
                "price_channel_id = coalesce((SELECT id FROM channels WHERE code = $5), "
                "price_channel_id), tax_inclusive = coalesce($6, tax_inclusive), "
                "languages = coalesce($7, languages), "
                "default_language = coalesce($8, default_language), updated_at = now() "
                "WHERE id = $1",
                market_id,
                draft.handle,
                draft.name,
                draft.currency_code,
                channel,
                draft.tax_inclusive,
                draft.languages,
                draft.default_language,
            )
        if draft.countries is not None:
            await self._conn.execute("DELETE FROM market_countries WHERE market_id = $1", market_id)
            await self._conn.executemany(
                "INSERT INTO market_countries (country_code, market_id, position) "
                "VALUES ($1, $2, $3)",
                [(c, market_id, i) for i, c in enumerate(draft.countries)],
            )
        assert market_id is not None
        found = await market_by_id(self._conn, market_id)
        assert found is not None
        return found

    async def offered_languages(self) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT DISTINCT l FROM markets, unnest(languages) l ORDER BY l"
        )
        return [r["l"] for r in rows]

    async def resource_exists(self, kind: str, resource_id: uuid.UUID) -> bool:
        table = "products" if kind == "PRODUCT" else "collections"
        return bool(await self._conn.fetchval(f"SELECT 1 FROM {table} WHERE id = $1", resource_id))

    async def set_translations(
        self, kind: str, resource_id: uuid.UUID, language: str, values: Mapping[str, str]
    ) -> None:
        gone = [k for k, v in values.items() if not v]
        if gone:
            await self._conn.execute(
                "DELETE FROM translations WHERE resource_id = $1 AND language = $2 "
                "AND key = ANY($3)",
                resource_id,
                language,
                gone,
            )
        await self._conn.executemany(
            "INSERT INTO translations (resource_kind, resource_id, language, key, value) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (resource_id, language, key) "
            "DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
            [(kind, resource_id, language, k, v) for k, v in values.items() if v],
        )


async def record_cart_market(
    db: Executor, cart_id: uuid.UUID, market_id: uuid.UUID, language: str | None
) -> None:
    await db.execute(
        "UPDATE carts SET market_id = $2, language = $3 WHERE id = $1", cart_id, market_id, language
    )


async def cart_markets_by_cart_ids(
    db: Executor, cart_ids: Sequence[uuid.UUID]
) -> list[tuple[str, str | None] | None]:
    """For each cart, (market handle, language) when it was created in a market."""
    rows = await db.fetch(
        "SELECT c.id, m.handle, c.language FROM carts c JOIN markets m ON m.id = c.market_id "
        "WHERE c.id = ANY($1)",
        list(cart_ids),
    )
    found = {r["id"]: (r["handle"], r["language"]) for r in rows}
    return [found.get(i) for i in cart_ids]
