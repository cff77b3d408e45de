"""Product documents through the Redis read-through cache, dropped after a change commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.models import Product, ProductStatus
from resolvers.context import Context
from resolvers.inventory.cache import cache_of

PRODUCT_BY_HANDLE = "product-by-handle"


def _document(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.id),
        "handle": product.handle,
        "title": product.title,
        "description": product.description,
        "status": product.status.value,
        "createdAt": product.created_at.isoformat(),
        "vendor": product.vendor,
        "productType": product.product_type,
        "tags": product.tags,
        "mediaUrls": product.media_urls,
        "seoTitle": product.seo_title,
        "seoDescription": product.seo_description,
    }


def _product(doc: dict[str, Any]) -> Product:
    return Product(
        uuid.UUID(doc["id"]),
        doc["handle"],
        doc["title"],
        doc["description"],
        ProductStatus(doc["status"]),
        datetime.fromisoformat(doc["createdAt"]),
        doc["vendor"],
        doc["productType"],
        list(doc["tags"]),
        list(doc["mediaUrls"]),
        doc["seoTitle"],
        doc["seoDescription"],
    )


async def product_by_handle(context: Context, handle: str) -> Product | None:
    async def load(handles: list[str]) -> dict[str, Any]:
        found = await context.loaders.ProductByHandleLoader.load_many(handles)
        return {p.handle: _document(p) for p in found if p is not None}

    docs = await cache_of(context).get_many(PRODUCT_BY_HANDLE, [handle], load)
    doc = docs.get(handle)
    if doc is None:
        return None
    product = _product(doc)
    context.loaders.ProductByIdLoader.prime(product.id, product)
    return product


async def invalidate_products(context: Context, products: Sequence[Product | None]) -> None:
    handles = [p.handle for p in products if p is not None]
    await cache_of(context).invalidate(PRODUCT_BY_HANDLE, handles)
