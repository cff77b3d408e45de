"""Catalog queries and mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from datasources.postgres import catalog as catalog_db
from datasources.postgres.uow import UnitOfWork
from domain.catalog import services
from domain.errors import DomainError
from domain.ids import from_global_id
from resolvers.catalog.types import Channel, Product, ProductVariant
from resolvers.common import Connection, check_page_size, connection, decode_cursor, encode_cursor
from resolvers.context import Info
from resolvers.errors import UserError, user_errors


@strawberry.input(description="A new sales channel.")
class ChannelCreateInput:
    code: str = strawberry.field(description="Stable upper-case code, e.g. WEB.")
    name: str = strawberry.field(description="Display name.")
    currency_code: str = strawberry.field(description="ISO 4217 currency code, e.g. EUR.")


@strawberry.type(description="Result of channelCreate.")
class ChannelCreatePayload:
    channel: Channel | None = strawberry.field(description="The new channel; null on error.")
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; empty on success."
    )


@strawberry.type
class Query:
    @strawberry.field(description="A product by global id or by handle (give exactly one).")
    async def product(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global id.")] = None,
        handle: Annotated[str | None, strawberry.argument(description="Unique handle.")] = None,
    ) -> Product | None:
        loaders = info.context.loaders
        if handle is not None:
            return await loaders.ProductByHandleLoader.load(handle)  # type: ignore[no-any-return]
        if id is None:
            return None
        _, local = from_global_id(id, "Product")
        return await loaders.ProductByIdLoader.load(local)  # type: ignore[no-any-return]

    @strawberry.field(description="Products ordered by title, a page at a time.")
    async def products(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 0 to 250.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> Connection[Product]:
        check_page_size(first)
        position = None
        if after is not None:
            title, raw_id = decode_cursor(after, 2)
            _, local = from_global_id(f"gid://ucg/Product/{raw_id}", "Product")
            position = (title, local)
        items = await catalog_db.products_page(info.context.pool, limit=first + 1, after=position)
        return connection(items, first, lambda p: encode_cursor(p.title, str(p.id)))

    @strawberry.field(description="A variant by its SKU.")
    async def variant(
        self, info: Info, sku: Annotated[str, strawberry.argument(description="The SKU.")]
    ) -> ProductVariant | None:
        return await info.context.loaders.VariantBySkuLoader.load(sku)  # type: ignore[no-any-return]

    @strawberry.field(description="Every sales channel.")
    async def channels(self, info: Info) -> list[Channel]:
        return await catalog_db.all_channels(info.context.pool)  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a sales channel (staff).")
    async def channel_create(
        self,
        info: Info,
        input: Annotated[ChannelCreateInput, strawberry.argument(description="Channel.")],
    ) -> ChannelCreatePayload:
        try:
            async with UnitOfWork(info.context.pool) as uow:
                channel = await services.create_channel(
                    uow, info.context.principal, input.code, input.name, input.currency_code
                )
        except DomainError as error:
            return ChannelCreatePayload(channel=None, user_errors=user_errors(error))
        return ChannelCreatePayload(channel=channel, user_errors=[])  # type: ignore[arg-type]
