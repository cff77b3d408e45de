"""Product images: validation and the add-image use-case (CATALOG scope). Pure but for the
unit of work it is given."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.auth import Principal
from domain.catalog import rules
from domain.catalog.collection_services import require_catalog_scope
from domain.catalog.models import ProductImage
from domain.catalog.services import product_event
from domain.errors import DomainError, ErrorCode, NotFound
from domain.ports import MediaUnitOfWork

MAX_ALT_TEXT = 512
MAX_SIDE = 20_000


def validate_image(url: str, alt_text: str, width: int | None, height: int | None) -> str:
    """The cleaned alt text, or INVALID on the field at fault."""
    rules.validate_urls([url], ["url"])
    cleaned = alt_text.strip()
    if len(cleaned) > MAX_ALT_TEXT:
        raise DomainError(
            ErrorCode.INVALID,
            f"Alt text is at most {MAX_ALT_TEXT} characters.",
            ["alt_text"],
        )
    for value, name in ((width, "width"), (height, "height")):
        if value is not None and not 1 <= value <= MAX_SIDE:
            raise DomainError(
                ErrorCode.INVALID, f"{name.capitalize()} must be 1-{MAX_SIDE} px.", [name]
            )
    return cleaned


async def add_image(
    uow: MediaUnitOfWork,
    principal: Principal | None,
    product_id: uuid.UUID,
    url: str,
    alt_text: str,
    width: int | None,
    height: int | None,
    variant_skus: Sequence[str],
) -> ProductImage:
    """Append an image to a product (and make it the image of these variants of it)."""
    require_catalog_scope(principal)
    cleaned = validate_image(url, alt_text, width, height)
    product = await uow.catalog.update_product(product_id, {})
    if product is None:
        raise NotFound("Product", ["product_id"])
    image = await uow.media.add_image(product_id, url, cleaned, width, height)
    skus = list(dict.fromkeys(variant_skus))
    if skus:
        changed = set(await uow.media.set_variant_image(product_id, skus, image.id))
        for i, sku in enumerate(skus):
            if sku not in changed:
                raise NotFound(f"SKU {sku} of this product", ["variant_skus", str(i)])
    await uow.add_event(product_event("updated", product))
    return image
