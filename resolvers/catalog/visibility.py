"""Unpublished catalog (DRAFT, ARCHIVED) answers like a missing one to the public, on
every entry point: product, variant, node and the catalog subgraph's _entities."""

from __future__ import annotations

from domain.authz import may_see_unpublished
from domain.models import Product, ProductVariant
from resolvers.context import Info


async def published_product(info: Info, product: Product | None) -> Product | None:
    if product is None or product.status == "ACTIVE":
        return product
    return product if may_see_unpublished(info.context.principal) else None


async def published_variant(info: Info, variant: ProductVariant | None) -> ProductVariant | None:
    """A variant is as visible as its product."""
    if variant is None or may_see_unpublished(info.context.principal):
        return variant
    product = await info.context.loaders.ProductByIdLoader.load(variant.product_id)
    return variant if product is not None and product.status == "ACTIVE" else None
