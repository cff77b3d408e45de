"""The catalog subgraph's DataLoaders, built per request by resolvers/context.py's Loaders."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from datasources.postgres.catalog import (
    channels_by_ids,
    prices_by_variant_ids,
    products_by_handles,
    products_by_ids,
    variants_by_ids,
    variants_by_product_ids,
    variants_by_skus,
)
from datasources.postgres.catalog_collections import (
    ancestors_by_ids,
    children_by_parent_ids,
    collections_by_handles,
    collections_by_ids,
)
from datasources.postgres.catalog_media import images_by_ids, images_by_product_ids
from datasources.postgres.markets import cart_markets_by_cart_ids, translations_by_resource
from domain.catalog.collections import Collection
from domain.catalog.models import Price, ProductImage
from domain.models import Channel, Product, ProductVariant
from resolvers.context import Loader

# (resource id, language fallback chain) -> language -> key -> text
TranslationsKey = tuple[uuid.UUID, tuple[str, ...]]
Translations = dict[str, dict[str, str]]


class ProductByIdLoader(Loader[uuid.UUID, Product | None]):
    """Products by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, products_by_ids)


class ProductByHandleLoader(Loader[str, Product | None]):
    """Products by handle; None for an unknown handle."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, products_by_handles)


class VariantsByProductIdLoader(Loader[uuid.UUID, list[ProductVariant]]):
    """Each product's variants, in display order."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, variants_by_product_ids)


class VariantByIdLoader(Loader[uuid.UUID, ProductVariant | None]):
    """Variants by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, variants_by_ids)


class VariantBySkuLoader(Loader[str, ProductVariant | None]):
    """Variants by SKU; None for an unknown SKU."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, variants_by_skus)


class ChannelByIdLoader(Loader[uuid.UUID, Channel | None]):
    """Sales channels by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, channels_by_ids)


class PricesByVariantIdLoader(Loader[uuid.UUID, list[Price]]):
    """Each variant's prices, one per channel and currency."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, prices_by_variant_ids)


class TranslationsByResourceLoader(Loader[TranslationsKey, Translations]):
    """Keyed by (product or collection id, languages): language -> key -> text."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, translations_by_resource)


class CartMarketByCartIdLoader(Loader[uuid.UUID, tuple[str, str | None] | None]):
    """Each cart's (market handle, language) when it was created in a market, else None."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, cart_markets_by_cart_ids)


class CollectionByIdLoader(Loader[uuid.UUID, Collection | None]):
    """Collections by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, collections_by_ids)


class CollectionByHandleLoader(Loader[str, Collection | None]):
    """Collections by handle; None for an unknown handle."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, collections_by_handles)


class CollectionsByParentIdLoader(Loader[uuid.UUID, list[Collection]]):
    """The collections nested in each collection, in display order."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, children_by_parent_ids)


class CollectionAncestorsByIdLoader(Loader[uuid.UUID, list[Collection]]):
    """Each collection's ancestors, its parent first."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, ancestors_by_ids)


class ImagesByProductIdLoader(Loader[uuid.UUID, list[ProductImage]]):
    """Each product's images, in display order (main first)."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, images_by_product_ids)


class ImageByIdLoader(Loader[uuid.UUID, ProductImage | None]):
    """Product images by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, images_by_ids)
