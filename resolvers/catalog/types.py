"""The catalog subgraph: Product, ProductVariant (keys id and sku), Channel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry

from domain import models
from domain.catalog import models as catalog_models
from domain.catalog.options import (
    OptionValue,
    in_stock,
    product_options,
    variant_by_selected_options,
)
from domain.ids import from_global_id, to_global_id
from domain.inventory.rules import channel_sellable
from resolvers.catalog.markets import MarketPrice, market_price, translated_text
from resolvers.catalog.visibility import published_product, published_variant
from resolvers.common import (
    VARIANT_DESCRIPTION,
    Money,
    Node,
    described_enum,
    money,
    record_type_check,
)
from resolvers.context import Info

# The domain enums themselves are registered (described_enum): annotations name them.
ProductStatus = models.ProductStatus
described_enum(
    ProductStatus,
    "Lifecycle of a product: only ACTIVE ones are sold.",
    {
        "DRAFT": "Being prepared; invisible to shoppers and not sellable.",
        "ACTIVE": "Published and sellable on the channels it is priced for.",
        "ARCHIVED": "No longer sold; kept for order history.",
    },
)


ProductSortKey = catalog_models.ProductSortKey
described_enum(
    ProductSortKey,
    "How to order a list of products.",
    {
        "TITLE": "Alphabetically by title.",
        "CREATED_AT": "Oldest first (`reverse` for newest first).",
        "RELEVANCE": "Best search match first (only with `query`; else like TITLE).",
        "PRICE": "Lowest variant price first (on `channel` when given); `reverse` for highest.",
        "BEST_SELLING": "Most units sold first, from the order lines of orders not cancelled.",
        "MANUAL": "A manual collection's own order (elsewhere like TITLE).",
        "PERSONAL": (
            "Best for this shopper first (the signed-in customer, else `shopper`), by the "
            "FOR_YOU score of productRecommendations; like TITLE for a shopper nobody knows."
        ),
    },
)


@strawberry.type(description="One option value of a variant, e.g. Size = M.")
class SelectedOption:
    is_type_of = record_type_check(models.SelectedOption)

    name: str = strawberry.field(description='Option name, e.g. "Size".')
    value: str = strawberry.field(description='Option value, e.g. "M".')


@strawberry.input(description="One option value, e.g. Size = M.")
class SelectedOptionInput:
    name: str = strawberry.field(description="Option name.")
    value: str = strawberry.field(description="Option value.")


@strawberry.type(
    description="One value of a product option, with whether any variant having it sells now."
)
class ProductOptionValue:
    value: str = strawberry.field(description='The value, e.g. "M".')
    skus: strawberry.Private[tuple[str, ...]]

    @strawberry.field(
        description=(
            "Whether a variant with this value can be sold now on the caller's channel "
            "(units available at a location serving it); false means sold out."
        )
    )
    async def in_stock(self, info: Info) -> bool:
        code = getattr(info.context.principal, "channel", None)
        rows = await info.context.loaders.SellableStockBySkuLoader.load_many(list(self.skus))
        available = {
            sku: channel_sellable(code, per_location)
            for sku, per_location in zip(self.skus, rows, strict=True)
        }
        return in_stock(OptionValue(self.value, self.skus), available)

    @strawberry.field(description="SKUs of the variants having this value, in display order.")
    def variant_skus(self) -> list[str]:
        return list(self.skus)


@strawberry.type(description='An option a product comes in, e.g. "Size" with S, M, L.')
class ProductOption:
    name: str = strawberry.field(description='Option name, e.g. "Size".')
    values: list[ProductOptionValue] = strawberry.field(
        description="Its values, in the order the variants show them."
    )


@strawberry.type(description="An image of a product, with its alternative text and size.")
class ProductImage:
    url: str = strawberry.field(description="http(s) URL of the image.")
    alt_text: str = strawberry.field(
        description="What the image shows, for screen readers; empty if not written yet."
    )
    width: int | None = strawberry.field(description="Width in pixels, if known.")
    height: int | None = strawberry.field(description="Height in pixels, if known.")
    position: int = strawberry.field(description="Order among the product's images, from 0.")
    # Last, where the published schema has it.
    id: strawberry.ID = strawberry.field(description="Opaque global id of the image.")

    @classmethod
    def from_record(cls, image: catalog_models.ProductImage) -> ProductImage:
        return cls(
            id=strawberry.ID(to_global_id("ProductImage", image.id)),
            url=image.url,
            alt_text=image.alt_text,
            width=image.width,
            height=image.height,
            position=image.position,
        )


@strawberry.type(description="What search engines are shown for a page.")
class Seo:
    title: str = strawberry.field(description="Page title (falls back to the object's title).")
    description: str = strawberry.field(
        description="Meta description (falls back to the object's description, shortened)."
    )


def seo(title: str | None, description: str | None, fallback_title: str, fallback: str) -> Seo:
    text = description or fallback
    return Seo(title=title or fallback_title, description=text[:320])


@strawberry.type(description="The price of a variant on one channel.")
class VariantPrice:
    channel_code: str = strawberry.field(description="Channel the price applies to.")
    amount: Money = strawberry.field(description="The selling price.")
    compare_at: Money | None = strawberry.field(
        description="The former or list price shown struck through; null if none."
    )

    @classmethod
    def from_record(cls, price: catalog_models.Price) -> VariantPrice:
        minor = price.compare_at_minor
        return cls(
            channel_code=price.channel_code,
            amount=money(price.amount_minor, price.currency_code),
            compare_at=None if minor is None else money(minor, price.currency_code),
        )


# `self` in an entity's resolvers is the record a resolver returned (is_type_of), not
# an instance of the GraphQL class: these say so, and mypy checks what is read from it.
def _variant(obj: object) -> models.ProductVariant:
    return cast(models.ProductVariant, obj)


def _product(obj: object) -> models.Product:
    return cast(models.Product, obj)


@strawberry.federation.type(keys=["id"], description="A sales channel with its currency.")
class Channel(Node):
    is_type_of = record_type_check(models.Channel)

    @strawberry.field(description="Opaque global id of the channel.")  # type: ignore[misc]  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Channel", self.id))

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

    @strawberry.field(description="Opaque global id of the variant.")  # type: ignore[misc]  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ProductVariant", _variant(self).id))

    sku: str = strawberry.field(description="Stock keeping unit, unique across the catalog.")
    title: str = strawberry.field(description='Variant title, e.g. "Red / M".')
    options: list[SelectedOption] = strawberry.field(
        description="Option values that make this variant, in display order (Size, Colour...)."
    )
    barcode: str | None = strawberry.field(description="GTIN/EAN/UPC barcode, if any.")
    weight_grams: int | None = strawberry.field(description="Shipping weight in grams, if known.")

    @strawberry.field(
        description="The price on a channel (in the channel's currency); null if not sold there."
    )
    async def price(
        self,
        info: Info,
        channel: Annotated[str, strawberry.argument(description="Channel code, e.g. WEB.")],
    ) -> VariantPrice | None:
        prices = await info.context.loaders.PricesByVariantIdLoader.load(_variant(self).id)
        found = next((p for p in prices if p.channel_code == channel), None)
        return None if found is None else VariantPrice.from_record(found)

    @strawberry.field(
        description=(
            "The price in the buyer's market (@inContext country): its price list's channel "
            "and currency, with how tax is shown; null outside a market or when not on its "
            "price list."
        )
    )
    async def market_price(self, info: Info) -> MarketPrice | None:
        return await market_price(info, _variant(self).id)

    @strawberry.field(description="Every price of this variant, one per channel and currency.")
    async def prices(self, info: Info) -> list[VariantPrice]:
        prices = await info.context.loaders.PricesByVariantIdLoader.load(_variant(self).id)
        return [VariantPrice.from_record(p) for p in prices]

    @strawberry.field(description="The variant's own image (e.g. its colour); null if none.")
    async def image(self, info: Info) -> ProductImage | None:
        image_id = _variant(self).image_id
        if image_id is None:
            return None
        image = await info.context.loaders.ImageByIdLoader.load(image_id)
        return None if image is None else ProductImage.from_record(image)

    @strawberry.field(description="The product this variant belongs to.")
    async def product(self, info: Info) -> Product:
        product = await info.context.loaders.ProductByIdLoader.load(_variant(self).product_id)
        return product  # type: ignore[return-value]  # a record

    @classmethod
    async def resolve_reference(
        cls, info: Info, id: strawberry.ID | None = None, sku: str | None = None
    ) -> models.ProductVariant | None:
        loaders = info.context.loaders
        if sku is not None:
            found = await loaders.VariantBySkuLoader.load(sku)
        else:
            _, local = from_global_id(id or "", "ProductVariant")
            found = await loaders.VariantByIdLoader.load(local)
        return await published_variant(info, found)


@strawberry.federation.type(keys=["id"], description="A product of the catalog.")
class Product(Node):
    is_type_of = record_type_check(models.Product)

    @strawberry.field(description="Opaque global id of the product.")  # type: ignore[misc]  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Product", _product(self).id))

    handle: str = strawberry.field(description='URL-safe unique handle, e.g. "linen-shirt".')

    @strawberry.field(
        description="Product title, in the @inContext language when translated (with fallback)."
    )
    def title(self, info: Info) -> str:
        product = _product(self)
        return translated_text(info, product.id, product.title, "title")  # type: ignore[no-any-return]  # or an awaitable

    @strawberry.field(
        description=(
            "Plain-text description, in the @inContext language when translated (with fallback)."
        )
    )
    def description(self, info: Info) -> str:
        product = _product(self)
        return translated_text(info, product.id, product.description, "description")  # type: ignore[no-any-return]  # or an awaitable

    status: ProductStatus = strawberry.field(description="Lifecycle status.")
    created_at: datetime = strawberry.field(description="When the product was created.")
    vendor: str = strawberry.field(description="Brand or maker; empty if not set.")
    product_type: str = strawberry.field(description='Category, e.g. "Shirts"; empty if not set.')
    tags: list[str] = strawberry.field(description="Free-form tags, searchable.")
    media_urls: list[str] = strawberry.field(description="Image and video URLs, first is main.")
    seo_title: str | None = strawberry.field(description="Title for search engines, if set.")
    seo_description: str | None = strawberry.field(
        description="Meta description for search engines, if set."
    )

    @strawberry.field(description="The product's images, in display order (main first).")
    async def images(self, info: Info) -> list[ProductImage]:
        images = await info.context.loaders.ImagesByProductIdLoader.load(_product(self).id)
        return [ProductImage.from_record(i) for i in images]

    @strawberry.field(description="The main image (the first); null when there is none.")
    async def featured_image(self, info: Info) -> ProductImage | None:
        images = await info.context.loaders.ImagesByProductIdLoader.load(_product(self).id)
        return ProductImage.from_record(images[0]) if images else None

    @strawberry.field(description="Title and description for search engines, with fallbacks.")
    def seo(self) -> Seo:
        product = _product(self)
        return seo(product.seo_title, product.seo_description, product.title, product.description)

    @strawberry.field(description="The variants of the product, in display order.")
    async def variants(self, info: Info) -> list[ProductVariant]:
        return await info.context.loaders.VariantsByProductIdLoader.load(_product(self).id)  # type: ignore[return-value]  # records

    @strawberry.field(
        description=(
            "The options the product comes in (Size, Colour...), built from its variants, with "
            "each value's stock."
        )
    )
    async def options(self, info: Info) -> list[ProductOption]:
        variants = await info.context.loaders.VariantsByProductIdLoader.load(_product(self).id)
        return [
            ProductOption(
                name=o.name,
                values=[ProductOptionValue(value=v.value, skus=v.skus) for v in o.values],
            )
            for o in product_options(variants)
        ]

    @strawberry.field(
        description=(
            "The variant having exactly these option values (one per option); null when that "
            "combination is not made. An unknown option name is an INVALID error."
        )
    )
    async def variant_by_selected_options(
        self,
        info: Info,
        selected_options: Annotated[
            list[SelectedOptionInput],
            strawberry.argument(description="One value per option, e.g. Size = M, Colour = Red."),
        ],
    ) -> ProductVariant | None:
        variants = await info.context.loaders.VariantsByProductIdLoader.load(_product(self).id)
        wanted = [models.SelectedOption(o.name, o.value) for o in selected_options]
        return variant_by_selected_options(variants, wanted)  # type: ignore[return-value]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Product | None:
        _, local = from_global_id(id, "Product")
        found = await info.context.loaders.ProductByIdLoader.load(local)
        return await published_product(info, found)
