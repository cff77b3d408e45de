"""Product images: batched reads for the DataLoaders, and their writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from datasources.postgres.catalog import Executor
from datasources.postgres.rows import many_per_key, one_per_key
from domain.catalog.models import ProductImage

_COLUMNS = "id, product_id, url, alt_text, width, height, position"


def _image(r: asyncpg.Record) -> ProductImage:
    return ProductImage(
        r["id"], r["product_id"], r["url"], r["alt_text"], r["width"], r["height"], r["position"]
    )


async def images_by_product_ids(
    db: Executor, product_ids: Sequence[uuid.UUID]
) -> list[list[ProductImage]]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM product_images WHERE product_id = ANY($1) ORDER BY position",
        product_ids,
    )
    return many_per_key(product_ids, map(_image, rows), lambda i: i.product_id)


async def images_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[ProductImage | None]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM product_images WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(_image, rows), lambda i: i.id)


class PostgresMediaRepository:
    """Image writes inside a unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def add_image(
        self,
        product_id: uuid.UUID,
        url: str,
        alt_text: str,
        width: int | None,
        height: int | None,
    ) -> ProductImage:
        row = await self._conn.fetchrow(
            "INSERT INTO product_images (product_id, url, alt_text, width, height, position) "
            "VALUES ($1, $2, $3, $4, $5, (SELECT coalesce(max(position) + 1, 0) "
            f"FROM product_images WHERE product_id = $1)) RETURNING {_COLUMNS}",
            product_id,
            url,
            alt_text,
            width,
            height,
        )
        assert row is not None
        return _image(row)

    async def set_variant_image(
        self, product_id: uuid.UUID, skus: Sequence[str], image_id: uuid.UUID
    ) -> list[str]:
        """Point these SKUs of the product at the image; return those changed."""
        rows = await self._conn.fetch(
            "UPDATE variants SET image_id = $3 WHERE product_id = $1 AND sku = ANY($2) "
            "RETURNING sku",
            product_id,
            list(skus),
            image_id,
        )
        return [r["sku"] for r in rows]
