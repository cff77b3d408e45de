"""Catalog reads: products, variants, channels. Every function takes a batch of keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import many_per_key, one_per_key
from domain.errors import DomainError, ErrorCode
from domain.models import Channel, Product, ProductStatus, ProductVariant

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"

_PRODUCT_COLUMNS = "id, handle, title, description, status, created_at"


def _product(r: asyncpg.Record) -> Product:
    return Product(
        r["id"],
        r["handle"],
        r["title"],
        r["description"],
        ProductStatus(r["status"]),
        r["created_at"],
    )


def _variant(r: asyncpg.Record) -> ProductVariant:
    return ProductVariant(r["id"], r["product_id"], r["sku"], r["title"])


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
        "SELECT id, product_id, sku, title FROM variants WHERE product_id = ANY($1) "
        "ORDER BY position, sku",
        product_ids,
    )
    return many_per_key(product_ids, map(_variant, rows), lambda v: v.product_id)


async def variants_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[ProductVariant | None]:
    rows = await db.fetch("SELECT id, product_id, sku, title FROM variants WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(_variant, rows), lambda v: v.id)


async def variants_by_skus(db: Executor, skus: Sequence[str]) -> list[ProductVariant | None]:
    rows = await db.fetch(
        "SELECT id, product_id, sku, title FROM variants WHERE sku = ANY($1)", skus
    )
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
