"""Catalog queries and mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from datasources.postgres import catalog as catalog_db
from datasources.postgres import catalog_collections
from datasources.postgres.catalog_listing import Listing
from domain.authz import may_see_unpublished
from domain.catalog import services
from domain.catalog.models import ProductSortKey as ProductSortKey_
from domain.catalog.search import corrected_tsquery, search_words, suggestion
from domain.errors import DomainError, ErrorCode
from domain.ids import from_global_id
from resolvers.catalog.admin import CatalogAdminMutation
from resolvers.catalog.cache import product_by_handle
from resolvers.catalog.collection_admin import CollectionAdminMutation
from resolvers.catalog.collections import Collection, CollectionQuery
from resolvers.catalog.collections import _channel as shopper_channel
from resolvers.catalog.cursors import sees_unpublished
from resolvers.catalog.listing import ProductConnection, ProductFilter, filter_set, product_page
from resolvers.catalog.market_admin import MarketAdminMutation, MarketQuery
from resolvers.catalog.media import MediaAdminMutation
from resolvers.catalog.shopper import ShopperInput, load_signals
from resolvers.catalog.types import Channel, Product, ProductSortKey, ProductVariant
from resolvers.catalog.visibility import published_variant
from resolvers.context import Info
from resolvers.mutation import WITH_INPUT, entity_payload, run_mutation


@strawberry.input(description="A new sales channel.")
class ChannelCreateInput:
    code: str = strawberry.field(description="Stable upper-case code, e.g. WEB.")
    name: str = strawberry.field(description="Display name.")
    currency_code: str = strawberry.field(description="ISO 4217 currency code, e.g. EUR.")


@entity_payload(
    "Result of channelCreate.", errors=WITH_INPUT, channel="The new channel; null on error."
)
class ChannelCreatePayload:
    channel: Channel | None


@strawberry.type(description="A search-box suggestion: a whole query to run.")
class SearchQuerySuggestion:
    text: str = strawberry.field(description='The suggested query, e.g. "rain jacket".')


@strawberry.type(description="What a search box shows while the shopper types.")
class PredictiveSearchResult:
    products: list[Product] = strawberry.field(description="The best-matching products.")
    queries: list[SearchQuerySuggestion] = strawberry.field(
        description="Queries completing the last word with the catalog's commonest words."
    )
    words: strawberry.Private[list[str]]
    limit: strawberry.Private[int]

    @strawberry.field(
        description=(
            "Collections whose title has every typed word as the start of one of its words "
            "(shortest title first); published ones only, for shoppers. One statement."
        )
    )
    async def collections(self, info: Info) -> list[Collection]:
        if not self.words:
            return []
        principal = info.context.principal
        found = await catalog_collections.search_collections(
            info.context.pool,
            self.words,
            self.limit,
            shopper_channel(info, None),
            not may_see_unpublished(principal),
        )
        return found  # type: ignore[return-value]


MAX_PREDICTIONS = 10


async def _corrected(info: Info, text: str) -> tuple[list[str], dict[str, str | None]]:
    """The search text's words and their spelling corrections (one statement, none if empty)."""
    words = search_words(text)
    corrections = await catalog_db.spelling_corrections(info.context.pool, words) if words else {}
    return words, corrections


async def _search_query(info: Info, text: str) -> str | None:
    """The tsquery for the search text, each word accepting its spelling correction."""
    return corrected_tsquery(*await _corrected(info, text))


@strawberry.type
class Query(CollectionQuery, MarketQuery):
    @strawberry.field(description="A product by global id or by handle (give exactly one).")
    async def product(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global id.")] = None,
        handle: Annotated[str | None, strawberry.argument(description="Unique handle.")] = None,
    ) -> Product | None:
        loaders = info.context.loaders
        if handle is not None:
            found = await product_by_handle(info.context, handle)
        elif id is not None:
            _, local = from_global_id(id, "Product")
            found = await loaders.ProductByIdLoader.load(local)
        else:
            return None
        if found is not None and found.status != "ACTIVE":
            if not sees_unpublished(info.context.principal):
                return None
        return found  # type: ignore[return-value]  # a record

    @strawberry.field(
        description=(
            "Products a page at a time (Relay connection). `query` searches title, tags, "
            "vendor, type and description (every word must match, as a prefix or, for a "
            "word that starts no catalog word, as its closest spelling; accents ignored); "
            "`channel` "
            "keeps products priced on that channel. Shoppers see ACTIVE products only; "
            "merchandisers and admins see every status."
        )
    )
    async def products(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 0 to 250.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
        query: Annotated[
            str | None, strawberry.argument(description='Search text, e.g. "linen shirt".')
        ] = None,
        channel: Annotated[
            str | None, strawberry.argument(description="Only products priced on this channel.")
        ] = None,
        sort_key: Annotated[
            ProductSortKey | None,
            strawberry.argument(description="Order; RELEVANCE when `query` is given, else TITLE."),
        ] = None,
        filters: Annotated[
            list[ProductFilter] | None,
            strawberry.argument(description="Narrow the list (see ProductFilter)."),
        ] = None,
        reverse: Annotated[
            bool,
            strawberry.argument(description="Reverse the order (e.g. PRICE high to low)."),
        ] = False,
        shopper: Annotated[
            ShopperInput | None,
            strawberry.argument(description="sortKey PERSONAL: the anonymous shopper."),
        ] = None,
    ) -> ProductConnection:
        grouped = filter_set(filters)
        tsquery = await _search_query(info, query) if query else None
        if sort_key is None:
            key = ProductSortKey_.RELEVANCE if tsquery else ProductSortKey_.TITLE
        else:
            key = ProductSortKey_(sort_key.value)
        listing = Listing(
            tsquery=tsquery,
            channel_code=channel,
            active_only=not sees_unpublished(info.context.principal),
            filters=grouped,
        )
        if key is ProductSortKey_.PERSONAL:
            listing.personal = await load_signals(info, shopper)
        return await product_page(
            info, listing, first=first, after=after, sort_key=key, reverse=reverse
        )

    @strawberry.field(
        description=(
            "Suggestions for a search box as the shopper types: the best-matching products "
            "(typos forgiven, as in `products(query:)`) and whole queries completing the last "
            "word. An empty query suggests nothing."
        )
    )
    async def predictive_search(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description='What was typed, e.g. "rain jac".')],
        limit: Annotated[
            int,
            strawberry.argument(description=f"Products and queries each, 1 to {MAX_PREDICTIONS}."),
        ] = 5,
    ) -> PredictiveSearchResult:
        if not 1 <= limit <= MAX_PREDICTIONS:
            raise DomainError(
                ErrorCode.INVALID, f"`limit` must be between 1 and {MAX_PREDICTIONS}.", ["limit"]
            )
        words, corrections = await _corrected(info, query)
        if not words:
            return PredictiveSearchResult(products=[], queries=[], words=[], limit=limit)
        pool = info.context.pool
        rows = await catalog_db.search_products_page(
            pool,
            limit=limit,
            sort_key=ProductSortKey_.RELEVANCE,
            after=None,
            tsquery=corrected_tsquery(words, corrections),
            channel_code=None,
            active_only=not sees_unpublished(info.context.principal),
        )
        last = words[-1]
        completions = await catalog_db.term_completions(pool, corrections.get(last) or last, limit)
        return PredictiveSearchResult(
            products=[p for p, _ in rows],  # type: ignore[misc]
            queries=[SearchQuerySuggestion(text=suggestion(words, c)) for c in completions],
            words=words,
            limit=limit,
        )

    @strawberry.field(description="A variant by its SKU.")
    async def variant(
        self, info: Info, sku: Annotated[str, strawberry.argument(description="The SKU.")]
    ) -> ProductVariant | None:
        found = await info.context.loaders.VariantBySkuLoader.load(sku)
        return await published_variant(info, found)  # type: ignore[return-value]  # a record

    @strawberry.field(description="Every sales channel.")
    async def channels(self, info: Info) -> list[Channel]:
        return await catalog_db.all_channels(info.context.pool)  # type: ignore[return-value]


@strawberry.type
class Mutation(
    CatalogAdminMutation, CollectionAdminMutation, MediaAdminMutation, MarketAdminMutation
):
    @strawberry.mutation(description="Create a sales channel (staff).")
    async def channel_create(
        self,
        info: Info,
        input: Annotated[ChannelCreateInput, strawberry.argument(description="Channel.")],
    ) -> ChannelCreatePayload:
        return await run_mutation(
            info,
            ChannelCreatePayload,
            lambda uow: services.create_channel(
                uow, info.context.principal, input.code, input.name, input.currency_code
            ),
        )
