"""The catalog subgraph: Product, ProductVariant (keys id and sku), Channel."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain import models
from domain.ids import from_global_id, to_global_id
from resolvers.common import VARIANT_DESCRIPTION, Node, described_enum, record_type_check
from resolvers.context import Info

ProductStatus = described_enum(
    models.ProductStatus,
    "Lifecycle of a product: only ACTIVE ones are sold.",
    {
        "DRAFT": "Being prepared; invisible to shoppers and not sellable.",
        "ACTIVE": "Published and sellable on the channels it is priced for.",
        "ARCHIVED": "No longer sold; kept for order history.",
    },
)


@strawberry.federation.type(keys=["id"], description="A sales channel with its currency.")
class Channel(Node):
    is_type_of = record_type_check(models.Channel)

    @strawberry.field(description="Opaque global id of the channel.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Channel", self.id))  # type: ignore[arg-type]

    code: str = strawberry.field(description="Stable code, e.g. WEB, POS, AGENT.")
    name: str = strawberry.field(description="Display name of the channel.")
    currency_code: str = strawberry.field(description="ISO 4217 currency the channel sells in.")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Channel | None:
        _, local = from_global_id(id, "Channel")
        return await info.context.loaders.ChannelByIdLoader.load(local)


@strawberry.federation.type(keys=["id", "sku"], description=VARIANT_DESCRIPTION)
class ProductVariant(Node):
    is_type_of = record_type_check(models.ProductVariant)

    @strawberry.field(description="Opaque global id of the variant.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ProductVariant", self.id))  # type: ignore[arg-type]

    sku: str = strawberry.field(description="Stock keeping unit, unique across the catalog.")
    title: str = strawberry.field(description='Variant title, e.g. "Red / M".')

    @strawberry.field(description="The product this variant belongs to.")
    async def product(self, info: Info) -> Product:
        return await info.context.loaders.ProductByIdLoader.load(self.product_id)  # type: ignore[attr-defined,no-any-return]

    @classmethod
    async def resolve_reference(
        cls, info: Info, id: strawberry.ID | None = None, sku: str | None = None
    ) -> models.ProductVariant | None:
        loaders = info.context.loaders
        if sku is not None:
            return await loaders.VariantBySkuLoader.load(sku)  # type: ignore[no-any-return]
        _, local = from_global_id(id or "", "ProductVariant")
        return await loaders.VariantByIdLoader.load(local)  # type: ignore[no-any-return]


@strawberry.federation.type(keys=["id"], description="A product of the catalog.")
class Product(Node):
    is_type_of = record_type_check(models.Product)

    @strawberry.field(description="Opaque global id of the product.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Product", self.id))  # type: ignore[arg-type]

    handle: str = strawberry.field(description='URL-safe unique handle, e.g. "linen-shirt".')
    title: str = strawberry.field(description="Product title.")
    description: str = strawberry.field(description="Plain-text description.")
    status: ProductStatus = strawberry.field(description="Lifecycle status.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When the product was created.")

    @strawberry.field(description="The variants of the product, in display order.")
    async def variants(self, info: Info) -> list[ProductVariant]:
        return await info.context.loaders.VariantsByProductIdLoader.load(self.id)  # type: ignore[arg-type,no-any-return]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Product | None:
        _, local = from_global_id(id, "Product")
        return await info.context.loaders.ProductByIdLoader.load(local)  # type: ignore[no-any-return]
