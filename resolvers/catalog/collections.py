"""Collections: the Collection type, `collection` / `collections`, and the staff mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry

from datasources.postgres import catalog_collections
from datasources.postgres.catalog_listing import CollectionScope, Listing
from domain.authz import may_see_unpublished
from domain.catalog import collections as domain
from domain.catalog.models import ProductSortKey as ProductSortKey_
from domain.errors import DomainError, ErrorCode
from domain.ids import from_global_id, to_global_id
from resolvers.catalog.listing import ProductConnection, ProductFilter, filter_set, product_page
from resolvers.catalog.markets import translated_text
from resolvers.catalog.shopper import ShopperInput, load_signals
from resolvers.catalog.types import ProductSortKey, Seo, seo
from resolvers.common import (
    Connection,
    Node,
    check_page_size,
    connection,
    decode_cursor,
    described_enum,
    encode_cursor,
    parse_uuid,
    record_type_check,
)
from resolvers.context import Info

# The domain enums themselves are registered (described_enum): annotations name them.
CollectionRuleField = domain.RuleField
described_enum(
    CollectionRuleField,
    "What a collection rule looks at.",
    {
        "TAG": "A tag of the product.",
        "VENDOR": "The product's vendor (case-insensitive).",
        "PRODUCT_TYPE": "The product's type (case-insensitive).",
        "PRICE": "The product's lowest variant price (on the listing's channel when given).",
    },
)
CollectionRuleRelation = domain.RuleRelation
described_enum(
    CollectionRuleRelation,
    "How a collection rule compares.",
    {
        "EQUALS": "Is (has the tag, for TAG).",
        "NOT_EQUALS": "Is not (lacks the tag, for TAG).",
        "LESS_THAN": "Below the value (PRICE only).",
        "GREATER_THAN": "Above the value (PRICE only).",
    },
)


@strawberry.type(description='One condition of a rule-based collection, e.g. tag = "summer".')
class CollectionRule:
    is_type_of = record_type_check(domain.CollectionRule)

    field: CollectionRuleField = strawberry.field(description="What is compared.")
    relation: CollectionRuleRelation = strawberry.field(description="How the value is compared.")
    value: str = strawberry.field(description='What with, e.g. "summer" or "50.00".')


@strawberry.input(description='One condition of a rule-based collection, e.g. price < "50".')
class CollectionRuleInput:
    field: CollectionRuleField = strawberry.field(description="What is compared.")
    relation: CollectionRuleRelation = strawberry.field(description="How the value is compared.")
    value: str = strawberry.field(description="A tag, vendor or type; a decimal for PRICE.")


@strawberry.type(description="An image with its alternative text.")
class CollectionImage:
    url: str = strawberry.field(description="http(s) URL of the image.")
    alt_text: str = strawberry.field(description="What the image shows, for screen readers.")


def _channel(info: Info, channel: str | None) -> str | None:
    """The channel a shopper browses: the argument, else their API key's channel."""
    return channel or getattr(info.context.principal, "channel", None)


def visible(info: Info, collection: domain.Collection | None, channel: str | None = None) -> bool:
    """Shoppers see collections published on their channel (on any, when it is not known);
    staff with the CATALOG scope see every collection."""
    if collection is None:
        return False
    if may_see_unpublished(info.context.principal):
        return True
    codes = collection.channel_codes
    wanted = _channel(info, channel)
    return bool(codes) and (wanted is None or wanted in codes)


def _collection(obj: object) -> domain.Collection:
    """`self` in Collection's resolvers: the record a resolver returned (is_type_of)."""
    return cast(domain.Collection, obj)


@strawberry.type(
    description=(
        "A group of products a storefront shows together: manual (listed products, in their "
        "order) or rule-based (every product meeting all its rules). Collections nest."
    )
)
class Collection(Node):
    is_type_of = record_type_check(domain.Collection)

    @strawberry.field(description="Opaque global id of the collection.")  # type: ignore[misc]  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Collection", self.id))

    handle: str = strawberry.field(description='URL-safe unique handle, e.g. "summer".')

    @strawberry.field(
        description="Display title, in the @inContext language when translated (with fallback)."
    )
    def title(self, info: Info) -> str:
        collection = _collection(self)
        return translated_text(info, collection.id, collection.title, "title")  # type: ignore[no-any-return]  # or an awaitable

    @strawberry.field(
        description=(
            "Plain-text description, in the @inContext language when translated (with fallback)."
        )
    )
    def description(self, info: Info) -> str:
        collection = _collection(self)
        return translated_text(info, collection.id, collection.description, "description")  # type: ignore[no-any-return]  # or an awaitable

    rules: list[CollectionRule] = strawberry.field(
        description="Conditions a product must all meet; empty for a manual collection."
    )
    sort_key: ProductSortKey = strawberry.field(
        description="How its products are ordered when `products` is given no sortKey."
    )
    sort_reverse: bool = strawberry.field(description="Whether that default order is reversed.")
    created_at: datetime = strawberry.field(description="When the collection was created.")
    channel_codes: list[str] = strawberry.field(
        description="Channels it is published on (shoppers see it there only)."
    )

    @strawberry.field(description="True when its products follow its rules, not a list.")
    def rule_based(self) -> bool:
        return bool(_collection(self).rules)

    @strawberry.field(description="Its image, if any.")
    def image(self) -> CollectionImage | None:
        record = _collection(self)
        if record.image_url is None:
            return None
        return CollectionImage(url=record.image_url, alt_text=record.image_alt_text or "")

    @strawberry.field(description="Title and description for search engines.")
    def seo(self) -> Seo:
        record = _collection(self)
        return seo(record.seo_title, record.seo_description, record.title, record.description)

    @strawberry.field(description="The collection it is nested in; null at the top.")
    async def parent(self, info: Info) -> Collection | None:
        parent_id = _collection(self).parent_id
        if parent_id is None:
            return None
        found = await info.context.loaders.CollectionByIdLoader.load(parent_id)
        return found if visible(info, found) else None  # type: ignore[return-value]  # a record

    @strawberry.field(description="Collections nested in it, in their display order.")
    async def children(self, info: Info) -> list[Collection]:
        found = await info.context.loaders.CollectionsByParentIdLoader.load(_collection(self).id)
        return [c for c in found if visible(info, c)]  # type: ignore[misc]  # records

    @strawberry.field(
        description="The trail from the top collection down to this one (itself last)."
    )
    async def breadcrumbs(self, info: Info) -> list[Collection]:
        record = _collection(self)
        ancestors = await info.context.loaders.CollectionAncestorsByIdLoader.load(record.id)
        by_id = {a.id: a for a in ancestors if visible(info, a)}
        return domain.breadcrumbs(record, by_id)  # type: ignore[return-value]  # records

    @strawberry.field(
        description=(
            "Its products, a page at a time, with facets (`filters`). Shoppers see ACTIVE "
            "products only. Without sortKey the collection's own order applies."
        )
    )
    async def products(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 0 to 250.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
        filters: Annotated[
            list[ProductFilter] | None,
            strawberry.argument(description="Narrow the list (see ProductFilter)."),
        ] = None,
        sort_key: Annotated[
            ProductSortKey | None,
            strawberry.argument(description="Order; the collection's sortKey when omitted."),
        ] = None,
        reverse: Annotated[
            bool | None,
            strawberry.argument(description="Reverse the order (e.g. PRICE high to low)."),
        ] = None,
        channel: Annotated[
            str | None,
            strawberry.argument(description="Only products priced on this channel; prices there."),
        ] = None,
        shopper: Annotated[
            ShopperInput | None,
            strawberry.argument(description="sortKey PERSONAL: the anonymous shopper."),
        ] = None,
    ) -> ProductConnection:
        record = _collection(self)
        listing = Listing(
            channel_code=channel,
            active_only=not may_see_unpublished(info.context.principal),
            scope=CollectionScope(record.id, list(record.rules)),
            filters=filter_set(filters),
        )
        if sort_key is None:
            key = record.sort_key
            backwards = record.sort_reverse if reverse is None else reverse
        else:
            key, backwards = ProductSortKey_(sort_key.value), bool(reverse)
        if key is ProductSortKey_.PERSONAL:
            listing.personal = await load_signals(info, shopper)
        return await product_page(
            info, listing, first=first, after=after, sort_key=key, reverse=backwards
        )


def _collection_cursor(c: domain.Collection) -> str:
    return encode_cursor("COLLECTION", c.title, str(c.id))


@strawberry.type
class CollectionQuery:
    @strawberry.field(
        description=(
            "A collection by handle or global id (give one). Shoppers get null for one not "
            "published on `channel` (or on their API key's channel; on any when neither)."
        )
    )
    async def collection(
        self,
        info: Info,
        handle: Annotated[str | None, strawberry.argument(description="Unique handle.")] = None,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global id.")] = None,
        channel: Annotated[
            str | None, strawberry.argument(description="Channel code the shopper browses.")
        ] = None,
    ) -> Collection | None:
        loaders = info.context.loaders
        if handle is not None:
            found = await loaders.CollectionByHandleLoader.load(handle)
        elif id is not None:
            _, local = from_global_id(id, "Collection")
            found = await loaders.CollectionByIdLoader.load(local)
        else:
            return None
        return found if visible(info, found, channel) else None  # type: ignore[return-value]  # a record

    @strawberry.field(description="Collections a page at a time, by title (Relay connection).")
    async def collections(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 0 to 250.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
        channel: Annotated[
            str | None, strawberry.argument(description="Channel code the shopper browses.")
        ] = None,
        top_level_only: Annotated[
            bool,
            strawberry.argument(description="Only collections not nested in another."),
        ] = False,
    ) -> Connection[Collection]:
        check_page_size(first)
        position = None
        if after is not None:
            kind, title, raw_id = decode_cursor(after, 3)
            if kind != "COLLECTION":
                raise DomainError(
                    ErrorCode.INVALID, "The cursor is not valid for this list.", ["after"]
                )
            position = (title, parse_uuid(raw_id, ["after"]))
        found = await catalog_collections.collections_page(
            info.context.pool,
            limit=first + 1,
            after=position,
            channel_code=_channel(info, channel),
            published_only=not may_see_unpublished(info.context.principal),
            top_level_only=top_level_only,
        )
        return connection(found, first, _collection_cursor)
