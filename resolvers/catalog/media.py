"""Admin media mutations: product images (staff with the CATALOG scope)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain.catalog import media
from domain.ids import from_global_id
from resolvers.catalog.types import ProductImage
from resolvers.context import Info
from resolvers.mutation import PROBLEMS, entity_payload, run_mutation


@strawberry.input(description="A new product image.")
class ProductImageInput:
    url: str = strawberry.field(description="http(s) URL of the image.")
    alt_text: str = strawberry.field(
        default="", description="What the image shows, for screen readers (up to 512 chars)."
    )
    width: int | None = strawberry.field(default=None, description="Width in pixels.")
    height: int | None = strawberry.field(default=None, description="Height in pixels.")
    variant_skus: list[str] = strawberry.field(
        default_factory=list, description="SKUs of the product's variants this image shows."
    )


@entity_payload(
    "Result of productImageAdd.", errors=PROBLEMS, image="The new image; null on error."
)
class ProductImagePayload:
    image: ProductImage | None


@strawberry.type
class MediaAdminMutation:
    @strawberry.mutation(
        description=(
            "Append an image to a product, optionally as the image of some of its variants "
            "(staff with the CATALOG scope)."
        )
    )
    async def product_image_add(
        self,
        info: Info,
        product_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the product.")
        ],
        input: Annotated[ProductImageInput, strawberry.argument(description="The image.")],
    ) -> ProductImagePayload:

        async def use_case(uow: UnitOfWork) -> ProductImage:
            _, local = from_global_id(product_id, "Product")
            image = await media.add_image(
                uow,
                info.context.principal,
                local,
                input.url,
                input.alt_text,
                input.width,
                input.height,
                input.variant_skus,
            )
            return ProductImage.from_record(image)

        return await run_mutation(info, ProductImagePayload, use_case)
