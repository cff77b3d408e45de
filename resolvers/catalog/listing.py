"""Product listings with facets: the ProductConnection of `products` and `Collection.products`,
the filters a shopper picks and the facet counts a listing page shows (Shopify-style)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

import strawberry

from datasources.postgres import catalog_listing
from datasources.postgres.catalog_listing import Listing
from domain.catalog import facets
from domain.catalog.models import ProductSortKey
from domain.ids import local_id
from resolvers.catalog.cursors import decode_product_cursor, encode_product_cursor
from resolvers.catalog.markets import buyer
from resolvers.catalog.types import Product
from resolvers.common import Edge, PageInfo, check_page_size, connection, described_enum
from resolvers.context import Info


class FilterKind(StrEnum):
    LIST = "LIST"
    PRICE_RANGE = "PRICE_RANGE"


# The domain enum itself is registered (described_enum): annotations name it.
FilterType = FilterKind
described_enum(
    FilterType,
    "How a storefront shows a facet.",
    {
        "LIST": "A list of values to tick (several of one facet widen the list).",
        "PRICE_RANGE": "A price range: one value spanning the lowest to the highest price.",
    },
)


@strawberry.input(description="A price range; either bound may be left out.")
class PriceRangeFilter:
    min: Decimal | None = strawberry.field(default=None, description="Lowest price, inclusive.")
    max: Decimal | None = strawberry.field(default=None, description="Highest price, inclusive.")


@strawberry.input(description='A variant option value, e.g. name "Size", value "M".')
class VariantOptionFilter:
    name: str = strawberry.field(description="Option name.")
    value: str = strawberry.field(description="Option value.")


@strawberry.input(description="A point and a radius: in stock at a pickup location near it.")
class NearFilter:
    lat: float = strawberry.field(description="Latitude, -90 to 90.")
    lon: float = strawberry.field(description="Longitude, -180 to 180.")
    radius_km: float = strawberry.field(description="Radius in kilometres, above 0, at most 500.")


@strawberry.input(
    description=(
        "One filter of a product listing; set exactly one field. Filters of one kind widen "
        "the list (vendor A or B), kinds narrow it (vendor A and size M). A facet value's "
        "`input` is a ready-made filter."
    )
)
class ProductFilter:
    price: PriceRangeFilter | None = strawberry.field(
        default=None,
        description="Lowest variant price within this range (on `channel` when given).",
    )
    variant_option: VariantOptionFilter | None = strawberry.field(
        default=None, description="Some variant has this option value."
    )
    product_vendor: str | None = strawberry.field(default=None, description="Exact vendor.")
    product_type: str | None = strawberry.field(default=None, description="Exact product type.")
    tag: str | None = strawberry.field(default=None, description="Has this tag.")
    available: bool | None = strawberry.field(
        default=None,
        description="true: units available at some location; false: sold out everywhere.",
    )
    available_at: strawberry.ID | None = strawberry.field(
        default=None,
        description="Units available at this location (a Location global id, e.g. a store).",
    )
    available_near: NearFilter | None = strawberry.field(
        default=None,
        description="Units available at a pickup location within radiusKm of the point.",
    )


@strawberry.type(description="One value of a facet, with how many products of the list have it.")
class FilterValue:
    label: str = strawberry.field(description='Display text, e.g. "Noord & Co" or "M".')
    count: int = strawberry.field(
        description="Products of the list having it (counted with the other facets' filters)."
    )
    input: str = strawberry.field(
        description='The ProductFilter selecting it, as JSON, e.g. {"productVendor":"Noord"}.'
    )


@strawberry.type(description="A facet of a product listing, e.g. Vendor or Size.")
class Filter:
    id: str = strawberry.field(description='Stable id, e.g. "filter.p.vendor".')
    label: str = strawberry.field(description='Display name, e.g. "Vendor".')
    type: FilterType = strawberry.field(description="How to show it.")
    values: list[FilterValue] = strawberry.field(description="Its values, commonest first.")


@strawberry.type(
    description="A page of products (Relay connection), with the facets of the whole list."
)
class ProductConnection:
    edges: list[Edge[Product]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    listing: strawberry.Private[Listing]

    @strawberry.field(
        description=(
            "Facets of the whole list (not just this page) with counts: availability, price "
            "range, vendor, product type, tags, each option. One SQL statement."
        )
    )
    async def filters(self, info: Info) -> list[Filter]:
        rows = await catalog_listing.listing_facets(info.context.pool, self.listing)
        return [
            Filter(
                id=f.id,
                label=f.label,
                type=FilterKind(f.type),
                values=[FilterValue(label=v.label, count=v.count, input=v.input) for v in f.values],
            )
            for f in facets.build_facets(rows.counts, rows.price_min, rows.price_max)
        ]


def filter_set(filters: list[ProductFilter] | None) -> facets.FilterSet:
    """The GraphQL filters, validated and grouped (INVALID on `filters.N` when bad)."""
    return facets.group_filters(
        [
            facets.ProductFilter(
                price_min=f.price.min if f.price else None,
                price_max=f.price.max if f.price else None,
                has_price=f.price is not None,
                option_name=f.variant_option.name if f.variant_option else None,
                option_value=f.variant_option.value if f.variant_option else None,
                vendor=f.product_vendor,
                product_type=f.product_type,
                tag=f.tag,
                available=f.available,
                available_at=(
                    local_id(f.available_at, "Location", ["filters", str(i), "availableAt"])
                    if f.available_at is not None
                    else None
                ),
                available_near=(
                    facets.NearPoint(
                        f.available_near.lat, f.available_near.lon, f.available_near.radius_km
                    )
                    if f.available_near is not None
                    else None
                ),
            )
            for i, f in enumerate(filters or [])
        ],
        ["filters"],
    )


def in_market(info: Info, listing: Listing) -> Listing:
    """In an @inContext market and with no `channel`, the listing prices (filter, sort,
    facets) and keeps products from the market's price list."""
    market = buyer(info).market
    if market is None or listing.channel_code is not None:
        return listing
    return replace(
        listing, channel_code=market.price_channel_code, currency_code=market.currency_code
    )


async def product_page(
    info: Info,
    listing: Listing,
    *,
    first: int,
    after: str | None,
    sort_key: ProductSortKey,
    reverse: bool,
) -> ProductConnection:
    check_page_size(first)
    listing = in_market(info, listing)
    key = catalog_listing.effective_sort_key(sort_key, listing.scope)
    if key is ProductSortKey.RELEVANCE and listing.tsquery is None:
        key = ProductSortKey.TITLE
    if key is ProductSortKey.PERSONAL and (listing.personal is None or listing.personal.empty):
        key = ProductSortKey.TITLE  # a shopper nobody knows
    position = decode_product_cursor(after, key, reverse) if after is not None else None
    rows = await catalog_listing.listing_page(
        info.context.pool, listing, limit=first + 1, sort_key=key, reverse=reverse, after=position
    )
    cursors: dict[int, str] = {
        id(p): encode_product_cursor(key, value, p.id, reverse) for p, value in rows
    }
    page: Any = connection([p for p, _ in rows], first, lambda p: cursors[id(p)])
    return ProductConnection(edges=page.edges, page_info=page.page_info, listing=listing)
