"""The priced view of a cart, computed once per request from batched loads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from domain.cart.view import CartView, build_view
from domain.models import Cart
from resolvers.context import Context


async def _build(context: Context, cart: Cart) -> CartView:
    loaders = context.loaders
    priced = await loaders.CartLinesByCartIdLoader.load(cart.id)
    skus = sorted({offer.sku for _, offer in priced})
    codes = cart.discount_codes
    levels, definitions = await asyncio.gather(
        loaders.StockLevelsBySkuLoader.load_many(skus),
        loaders.DiscountByCodeLoader.load_many([(c, cart.customer_id) for c in codes]),
    )
    available = {
        sku: sum(level.available for level in sku_levels)
        for sku, sku_levels in zip(skus, levels, strict=True)
    }
    found = {d.code: d for d in definitions if d is not None}
    return build_view(cart, priced, available, found, datetime.now(UTC))


def cart_view(context: Context, cart: Cart) -> asyncio.Future[CartView]:
    views: dict[Any, asyncio.Future[CartView]] = context.loaders.cart_views
    key = (cart.id, cart.updated_at)
    if key not in views:
        views[key] = asyncio.ensure_future(_build(context, cart))
    return views[key]


def forget_cart(context: Context, cart_id: uuid.UUID) -> None:
    """After a mutation: drop what this request cached about the cart."""
    loaders = context.loaders
    loaders.CartByIdLoader.clear(cart_id)
    loaders.CartLinesByCartIdLoader.clear(cart_id)
    for key in [k for k in loaders.cart_views if k[0] == cart_id]:
        del loaders.cart_views[key]
