"""Admin catalog mutations: products, variants, prices (merchandisers and admins)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain import models
from domain.catalog import services
from domain.ids import from_global_id
from resolvers.catalog.cache import invalidate_products
from resolvers.catalog.types import (
    Product,
    ProductStatus,
    ProductVariant,
    SelectedOptionInput,
    VariantPrice,
)
from resolvers.context import Info
from resolvers.mutation import PROBLEMS, entity_payload, run_mutation


@strawberry.input(description="A new product. Starts as DRAFT unless a status is given.")
class ProductCreateInput:
    handle: str = strawberry.field(description="URL-safe unique handle, e.g. linen-shirt.")
    title: str = strawberry.field(description="Title, 1-255 characters.")
    description: str = strawberry.field(default="", description="Plain-text description.")
    status: ProductStatus | None = strawberry.field(
        default=None, description="Lifecycle status; DRAFT when omitted."
    )
    vendor: str = strawberry.field(default="", description="Brand or maker.")
    product_type: str = strawberry.field(default="", description="Category, e.g. Shirts.")
    tags: list[str] = strawberry.field(default_factory=list, description="Searchable tags.")
    media_urls: list[str] = strawberry.field(
        default_factory=list, description="Image/video http(s) URLs, main first."
    )
    seo_title: str | None = strawberry.field(default=None, description="Title for search engines.")
    seo_description: str | None = strawberry.field(
        default=None, description="Meta description for search engines."
    )


@strawberry.input(description="Changes to a product; omitted fields stay as they are.")
class ProductUpdateInput:
    handle: str | None = strawberry.field(default=None, description="New unique handle.")
    title: str | None = strawberry.field(default=None, description="New title.")
    description: str | None = strawberry.field(default=None, description="New description.")
    status: ProductStatus | None = strawberry.field(
        default=None, description="New lifecycle status."
    )
    vendor: str | None = strawberry.field(default=None, description="New vendor.")
    product_type: str | None = strawberry.field(default=None, description="New product type.")
    tags: list[str] | None = strawberry.field(default=None, description="Replaces the tags.")
    media_urls: list[str] | None = strawberry.field(
        default=None, description="Replaces the media URLs."
    )
    seo_title: str | None = strawberry.field(default=None, description="New SEO title.")
    seo_description: str | None = strawberry.field(default=None, description="New SEO description.")


@strawberry.input(description="A new variant of a product.")
class ProductVariantCreateInput:
    sku: str = strawberry.field(description="Unique SKU.")
    title: str = strawberry.field(default="", description='Title, e.g. "Navy / M".')
    options: list[SelectedOptionInput] = strawberry.field(
        default_factory=list, description="Option values, in display order."
    )
    barcode: str | None = strawberry.field(default=None, description="GTIN/EAN/UPC.")
    weight_grams: int | None = strawberry.field(default=None, description="Weight in grams.")


@entity_payload(
    "Result of a product mutation.", errors=PROBLEMS, product="The product; null on error."
)
class ProductPayload:
    product: Product | None


@entity_payload(
    "Result of productVariantCreate.", errors=PROBLEMS, variant="The variant; null on error."
)
class ProductVariantPayload:
    variant: ProductVariant | None


@entity_payload("Result of variantPriceSet.", errors=PROBLEMS, price="The price; null on error.")
class VariantPriceSetPayload:
    price: VariantPrice | None


def _draft(input: Any) -> services.ProductDraft:
    status = getattr(input, "status", None)
    return services.ProductDraft(
        handle=input.handle,
        title=input.title,
        description=input.description,
        status=None if status is None else models.ProductStatus(status.value),
        vendor=input.vendor,
        product_type=input.product_type,
        tags=input.tags,
        media_urls=input.media_urls,
        seo_title=input.seo_title,
        seo_description=input.seo_description,
    )


async def _invalidate(info: Info, *products: models.Product | None) -> None:
    await invalidate_products(info.context, products)


@strawberry.type
class CatalogAdminMutation:
    @strawberry.mutation(description="Create a product (merchandisers).")
    async def product_create(
        self,
        info: Info,
        input: Annotated[ProductCreateInput, strawberry.argument(description="Product.")],
    ) -> ProductPayload:
        return await run_mutation(
            info,
            ProductPayload,
            lambda uow: services.create_product(uow, info.context.principal, _draft(input)),
        )

    @strawberry.mutation(description="Change a product (merchandisers).")
    async def product_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the product.")],
        input: Annotated[ProductUpdateInput, strawberry.argument(description="Changes.")],
    ) -> ProductPayload:
        before: models.Product | None = None

        async def use_case(uow: UnitOfWork) -> models.Product:
            nonlocal before
            _, local = from_global_id(id, "Product")
            before = await info.context.loaders.ProductByIdLoader.load(local)
            return await services.update_product(uow, info.context.principal, local, _draft(input))

        return await run_mutation(
            info,
            ProductPayload,
            use_case,
            after_commit=lambda product: _invalidate(info, before, product),
        )

    @strawberry.mutation(description="Archive a product: no longer sold, kept for history.")
    async def product_archive(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the product.")],
    ) -> ProductPayload:

        async def use_case(uow: UnitOfWork) -> models.Product:
            _, local = from_global_id(id, "Product")
            return await services.archive_product(uow, info.context.principal, local)

        return await run_mutation(
            info, ProductPayload, use_case, after_commit=lambda product: _invalidate(info, product)
        )

    @strawberry.mutation(description="Add a variant to a product (merchandisers).")
    async def product_variant_create(
        self,
        info: Info,
        product_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the product.")
        ],
        input: Annotated[ProductVariantCreateInput, strawberry.argument(description="Variant.")],
    ) -> ProductVariantPayload:

        async def use_case(uow: UnitOfWork) -> models.ProductVariant:
            _, local = from_global_id(product_id, "Product")
            options = [
                models.SelectedOption(o.name.strip(), o.value.strip()) for o in input.options
            ]
            return await services.create_variant(
                uow,
                info.context.principal,
                local,
                input.sku,
                input.title,
                options,
                input.barcode,
                input.weight_grams,
            )

        return await run_mutation(info, ProductVariantPayload, use_case)

    @strawberry.mutation(
        description="Set a variant's price on a channel, in the channel's currency (merchandisers)."
    )
    async def variant_price_set(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The SKU.")],
        channel: Annotated[str, strawberry.argument(description="Channel code, e.g. WEB.")],
        amount: Annotated[Decimal, strawberry.argument(description='Price, e.g. "29.95".')],
        compare_at: Annotated[
            Decimal | None,
            strawberry.argument(description="Former/list price shown struck through."),
        ] = None,
    ) -> VariantPriceSetPayload:

        async def use_case(uow: UnitOfWork) -> VariantPrice:
            price = await services.set_price(
                uow,
                info.context.principal,
                sku,
                channel,
                str(amount),
                None if compare_at is None else str(compare_at),
            )
            return VariantPrice.from_record(price)

        return await run_mutation(info, VariantPriceSetPayload, use_case)
