"""Catalog reads: products, variants, channels. Every function takes a batch of keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import many_per_key, one_per_key
from domain.catalog.models import Price, ProductSortKey
from domain.errors import DomainError, ErrorCode
from domain.models import Channel, Product, ProductStatus, ProductVariant, SelectedOption

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"

_PRODUCT_COLUMNS = (
    "id, handle, title, description, status, created_at, vendor, product_type, tags, "
    "media_urls, seo_title, seo_description"
)
_VARIANT_COLUMNS = "id, product_id, sku, title, options, barcode, weight_grams, position, image_id"


def translation_match(resource_id: str, query: str) -> str:
    """SQL: one of the resource's translated texts matches the tsquery (migration 0022)."""
    return (
        f"EXISTS (SELECT 1 FROM translations t WHERE t.resource_id = {resource_id} "
        f"AND t.search @@ {query})"
    )


def _product(r: asyncpg.Record) -> Product:
    return Product(
        r["id"],
        r["handle"],
        r["title"],
        r["description"],
        ProductStatus(r["status"]),
        r["created_at"],
        r["vendor"],
        r["product_type"],
        list(r["tags"]),
        list(r["media_urls"]),
        r["seo_title"],
        r["seo_description"],
    )


def _variant(r: asyncpg.Record) -> ProductVariant:
    return ProductVariant(
        r["id"],
        r["product_id"],
        r["sku"],
        r["title"],
        [SelectedOption(str(o["name"]), str(o["value"])) for o in r["options"]],
        r["barcode"],
        r["weight_grams"],
        r["position"],
        r["image_id"],
    )


async def products_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Product | None]:
    rows = await db.fetch(f"SELECT {_PRODUCT_COLUMNS} FROM products WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(_product, rows), lambda p: p.id)


async def products_by_handles(db: Executor, handles: Sequence[str]) -> list[Product | None]:
    rows = await db.fetch(
        f"SELECT {_PRODUCT_COLUMNS} FROM products WHERE handle = ANY($1)", handles
    )
    return one_per_key(handles, map(_product, rows), lambda p: p.handle)


async def products_page(
    db: Executor, *, limit: int, after: tuple[str, uuid.UUID] | None
) -> list[Product]:
    """Products ordered by (title, id), keyset-paginated after the given position."""
    if after is None:
        rows = await db.fetch(
            f"SELECT {_PRODUCT_COLUMNS} FROM products ORDER BY title, id LIMIT $1", limit
        )
    else:
        rows = await db.fetch(
            f"SELECT {_PRODUCT_COLUMNS} FROM products WHERE (title, id) > ($2, $3) "
            "ORDER BY title, id LIMIT $1",
            limit,
            after[0],
            after[1],
        )
    return [_product(r) for r in rows]


async def variants_by_product_ids(
    db: Executor, product_ids: Sequence[uuid.UUID]
) -> list[list[ProductVariant]]:
    rows = await db.fetch(
        f"SELECT {_VARIANT_COLUMNS} FROM variants WHERE product_id = ANY($1) "
        "ORDER BY position, sku",
        product_ids,
    )
    return many_per_key(product_ids, map(_variant, rows), lambda v: v.product_id)


async def variants_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[ProductVariant | None]:
    rows = await db.fetch(f"SELECT {_VARIANT_COLUMNS} FROM variants WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(_variant, rows), lambda v: v.id)


async def variants_by_skus(db: Executor, skus: Sequence[str]) -> list[ProductVariant | None]:
    rows = await db.fetch(f"SELECT {_VARIANT_COLUMNS} FROM variants WHERE sku = ANY($1)", skus)
    return one_per_key(skus, map(_variant, rows), lambda v: v.sku)


async def channels_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Channel | None]:
    rows = await db.fetch(
        "SELECT id, code, name, currency_code FROM channels WHERE id = ANY($1)", ids
    )
    items = (Channel(r["id"], r["code"], r["name"], r["currency_code"]) for r in rows)
    return one_per_key(ids, items, lambda c: c.id)


async def all_channels(db: Executor) -> list[Channel]:
    rows = await db.fetch("SELECT id, code, name, currency_code FROM channels ORDER BY code")
    return [Channel(r["id"], r["code"], r["name"], r["currency_code"]) for r in rows]


async def search_products_page(
    db: Executor,
    *,
    limit: int,
    sort_key: ProductSortKey,
    after: tuple[Any, uuid.UUID] | None,
    tsquery: str | None,
    channel_code: str | None,
    active_only: bool,
) -> list[tuple[Product, Any]]:
    """One page of products and each one's sort value, keyset-paginated after `after`.

    `tsquery` filters by full-text search on title, tags, vendor, type and description.
    """
    args: list[Any] = [limit]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where: list[str] = []
    rank = "0::real"
    if tsquery is not None:
        query = f"to_tsquery('simple', {arg(tsquery)})"
        where.append(f"(search @@ {query} OR {translation_match('products.id', query)})")
        rank = f"ts_rank(search, {query})"
    if active_only:
        where.append("status = 'ACTIVE'")
    if channel_code is not None:
        where.append(
            "EXISTS (SELECT 1 FROM variants v JOIN prices pr ON pr.variant_id = v.id "
            f"JOIN channels c ON c.id = pr.channel_id WHERE v.product_id = products.id "
            f"AND c.code = {arg(channel_code)})"
        )
    if sort_key is ProductSortKey.RELEVANCE:
        sort_value, order = "rank", "rank DESC, id"
        if after is not None:
            r, i = arg(after[0]), arg(after[1])
            where.append(f"({rank} < {r}::real OR ({rank} = {r}::real AND id > {i}))")
    else:
        column = "title" if sort_key is ProductSortKey.TITLE else "created_at"
        sort_value, order = column, f"{column}, id"
        if after is not None:
            where.append(f"({column}, id) > ({arg(after[0])}, {arg(after[1])})")
    sql = (
        f"SELECT {_PRODUCT_COLUMNS}, {rank} AS rank FROM products "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order} LIMIT $1"
    )
    rows = await db.fetch(sql, *args)
    return [(_product(r), r[sort_value]) for r in rows]


async def spelling_corrections(db: Executor, words: Sequence[str]) -> dict[str, str | None]:
    """For each word that starts no catalog word, the closest catalog word (or None).

    Closest: fewest edits (at most 1 for words of 3 letters, 2 from 4; a swapped pair is 2), then trigram
    similarity, then the word most products have. One statement for all the words."""
    rows = await db.fetch(
        """SELECT w.word,
                  (SELECT t.term FROM search_terms t
                    WHERE t.products > 0
                      AND abs(length(t.term) - length(w.word)) <= 2
                      AND levenshtein(t.term, w.word)
                          <= CASE WHEN length(w.word) >= 4 THEN 2 ELSE 1 END
                    ORDER BY levenshtein(t.term, w.word), similarity(t.term, w.word) DESC,
                             t.products DESC, t.term
                    LIMIT 1) AS correction
             FROM unnest($1::text[]) AS w(word)
            WHERE length(w.word) >= 3
              AND NOT EXISTS (SELECT 1 FROM search_terms k
                               WHERE k.products > 0 AND k.term LIKE w.word || '%')""",
        list(words),
    )
    return {r["word"]: r["correction"] for r in rows}


async def term_completions(db: Executor, prefix: str, limit: int) -> list[str]:
    """Catalog words starting with `prefix`, the most common first."""
    rows = await db.fetch(
        """SELECT term FROM search_terms WHERE products > 0 AND term LIKE $1 || '%'
           ORDER BY products DESC, term LIMIT $2""",
        prefix,
        limit,
    )
    return [r["term"] for r in rows]


async def prices_by_variant_ids(
    db: Executor, variant_ids: Sequence[uuid.UUID]
) -> list[list[Price]]:
    rows = await db.fetch(
        "SELECT p.variant_id, c.code, p.currency_code, p.amount_minor, p.compare_at_minor "
        "FROM prices p JOIN channels c ON c.id = p.channel_id "
        "WHERE p.variant_id = ANY($1) ORDER BY c.code, p.currency_code",
        variant_ids,
    )
    prices = (
        Price(
            r["variant_id"], r["code"], r["currency_code"], r["amount_minor"], r["compare_at_minor"]
        )
        for r in rows
    )
    return many_per_key(variant_ids, prices, lambda p: p.variant_id)


class PostgresCatalogRepository:
    """Catalog writes inside a unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def channel_code_exists(self, code: str) -> bool:
        return bool(await self._conn.fetchval("SELECT 1 FROM channels WHERE code = $1", code))

    async def add_channel(self, code: str, name: str, currency_code: str) -> Channel:
        try:
            r = await self._conn.fetchrow(
                "INSERT INTO channels (code, name, currency_code) VALUES ($1, $2, $3) "
                "RETURNING id, code, name, currency_code",
                code,
                name,
                currency_code,
            )
        except asyncpg.UniqueViolationError:
            # A concurrent create won the race after our existence check.
            raise DomainError(
                ErrorCode.TAKEN, f"Channel {code} already exists.", ["input", "code"]
            ) from None
        assert r is not None
        return Channel(r["id"], r["code"], r["name"], r["currency_code"])

    # Products, variants, prices (admin mutations) ---------------------------------------

    _PRODUCT_FIELDS = frozenset(
        {
            "handle",
            "title",
            "description",
            "status",
            "vendor",
            "product_type",
            "tags",
            "media_urls",
            "seo_title",
            "seo_description",
        }
    )

    async def handle_exists(self, handle: str, except_id: uuid.UUID | None = None) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT 1 FROM products WHERE handle = $1 AND id IS DISTINCT FROM $2",
                handle,
                except_id,
            )
        )

    async def add_product(self, fields: dict[str, object]) -> Product:
        names = [n for n in fields if n in self._PRODUCT_FIELDS]
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        try:
            row = await self._conn.fetchrow(
                f"INSERT INTO products ({', '.join(names)}) VALUES ({placeholders}) "
                f"RETURNING {_PRODUCT_COLUMNS}",
                *(fields[n] for n in names),
            )
        except asyncpg.UniqueViolationError:
            raise DomainError(ErrorCode.TAKEN, "Handle is taken.", ["input", "handle"]) from None
        assert row is not None
        return _product(row)

    async def update_product(
        self, product_id: uuid.UUID, fields: dict[str, object]
    ) -> Product | None:
        names = [n for n in fields if n in self._PRODUCT_FIELDS]
        sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
        try:
            row = await self._conn.fetchrow(
                f"UPDATE products SET {sets + ', ' if sets else ''}updated_at = now() "
                f"WHERE id = $1 RETURNING {_PRODUCT_COLUMNS}",
                product_id,
                *(fields[n] for n in names),
            )
        except asyncpg.UniqueViolationError:
            raise DomainError(ErrorCode.TAKEN, "Handle is taken.", ["input", "handle"]) from None
        return None if row is None else _product(row)

    async def product_exists(self, product_id: uuid.UUID) -> bool:
        return bool(await self._conn.fetchval("SELECT 1 FROM products WHERE id = $1", product_id))

    async def sku_exists(self, sku: str) -> bool:
        return bool(await self._conn.fetchval("SELECT 1 FROM variants WHERE sku = $1", sku))

    async def add_variant(
        self,
        product_id: uuid.UUID,
        sku: str,
        title: str,
        options: list[SelectedOption],
        barcode: str | None,
        weight_grams: int | None,
    ) -> ProductVariant:
        try:
            row = await self._conn.fetchrow(
                "INSERT INTO variants (product_id, sku, title, options, barcode, weight_grams, "
                "position) VALUES ($1, $2, $3, $4, $5, $6, "
                "(SELECT coalesce(max(position) + 1, 0) FROM variants WHERE product_id = $1)) "
                f"RETURNING {_VARIANT_COLUMNS}",
                product_id,
                sku,
                title,
                [{"name": o.name, "value": o.value} for o in options],
                barcode,
                weight_grams,
            )
        except asyncpg.UniqueViolationError:
            raise DomainError(ErrorCode.TAKEN, f"SKU {sku} is taken.", ["input", "sku"]) from None
        assert row is not None
        return _variant(row)

    async def channel_by_code(self, code: str) -> Channel | None:
        r = await self._conn.fetchrow(
            "SELECT id, code, name, currency_code FROM channels WHERE code = $1", code
        )
        return None if r is None else Channel(r["id"], r["code"], r["name"], r["currency_code"])

    async def variant_id_by_sku(self, sku: str) -> uuid.UUID | None:
        value: uuid.UUID | None = await self._conn.fetchval(
            "SELECT id FROM variants WHERE sku = $1", sku
        )
        return value

    async def upsert_price(self, price: Price, channel_id: uuid.UUID) -> None:
        await self._conn.execute(
            "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor, "
            "compare_at_minor) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (variant_id, channel_id, currency_code) DO UPDATE "
            "SET amount_minor = EXCLUDED.amount_minor, compare_at_minor = EXCLUDED.compare_at_minor",
            price.variant_id,
            channel_id,
            price.currency_code,
            price.amount_minor,
            price.compare_at_minor,
        )
