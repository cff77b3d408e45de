"""Catalog use-cases."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from domain.auth import Principal, Role, require_roles
from domain.catalog import rules
from domain.catalog.models import Price
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import (
    Channel,
    OutboxEvent,
    Product,
    ProductStatus,
    ProductVariant,
    SelectedOption,
)
from domain.money import is_currency_code
from domain.ports import UnitOfWork

CATALOG_TOPIC = "ucg.catalog.v1"
_CHANNEL_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


def validate_channel(code: str, name: str, currency_code: str) -> None:
    if not _CHANNEL_CODE.match(code):
        raise DomainError(
            ErrorCode.INVALID,
            "Channel code must be 1-32 upper-case letters, digits or _, starting with a letter.",
            ["code"],
        )
    if not name.strip():
        raise DomainError(ErrorCode.INVALID, "Channel name must not be blank.", ["name"])
    if not is_currency_code(currency_code):
        raise DomainError(
            ErrorCode.INVALID,
            "Currency code must be an ISO 4217 code such as EUR.",
            ["currency_code"],
        )


async def create_channel(
    uow: UnitOfWork, principal: Principal | None, code: str, name: str, currency_code: str
) -> Channel:
    require_roles(principal, Role.MERCHANDISER)
    validate_channel(code, name, currency_code)
    if await uow.catalog.channel_code_exists(code):
        raise DomainError(ErrorCode.TAKEN, f"Channel {code} already exists.", ["code"])
    channel = await uow.catalog.add_channel(code, name.strip(), currency_code)
    await uow.add_event(
        OutboxEvent(
            topic=CATALOG_TOPIC,
            type="ucg.catalog.channel_created.v1",
            aggregate_type="Channel",
            aggregate_id=str(channel.id),
            data={"channelId": str(channel.id), "code": code, "currencyCode": currency_code},
        )
    )
    return channel


@dataclass(frozen=True)
class ProductDraft:
    """Fields of a product to create, or (None = unchanged) to update."""

    handle: str | None = None
    title: str | None = None
    description: str | None = None
    status: ProductStatus | None = None
    vendor: str | None = None
    product_type: str | None = None
    tags: list[str] | None = None
    media_urls: list[str] | None = None
    seo_title: str | None = None
    seo_description: str | None = None


def _clean_draft(draft: ProductDraft) -> dict[str, object]:
    changes: dict[str, object] = {}
    if draft.handle is not None:
        rules.validate_handle(draft.handle, ["handle"])
        changes["handle"] = draft.handle
    if draft.title is not None:
        changes["title"] = rules.validate_title(draft.title, ["title"])
    if draft.tags is not None:
        changes["tags"] = rules.clean_tags(draft.tags, ["tags"])
    if draft.media_urls is not None:
        rules.validate_urls(draft.media_urls, ["media_urls"])
        changes["media_urls"] = draft.media_urls
    for name in ("description", "vendor", "product_type", "seo_title", "seo_description"):
        value = getattr(draft, name)
        if value is not None:
            changes[name] = value.strip()
    if draft.status is not None:
        changes["status"] = draft.status.value
    return changes


_PRODUCT_EVENTS = {
    "created": "ucg.catalog.product_created.v1",
    "updated": "ucg.catalog.product_updated.v1",
}


def product_event(kind: str, product: Product) -> OutboxEvent:
    """The catalog event of a product `created` or `updated` (its media, its picks...)."""
    return OutboxEvent(
        topic=CATALOG_TOPIC,
        type=_PRODUCT_EVENTS[kind],
        aggregate_type="Product",
        aggregate_id=str(product.id),
        data={
            "productId": str(product.id),
            "handle": product.handle,
            "status": product.status.value,
        },
    )


async def create_product(
    uow: UnitOfWork, principal: Principal | None, draft: ProductDraft
) -> Product:
    require_roles(principal, Role.MERCHANDISER)
    if draft.handle is None or draft.title is None:
        raise DomainError(ErrorCode.INVALID, "handle and title are required.", [])
    changes = _clean_draft(draft)
    if await uow.catalog.handle_exists(draft.handle):
        raise DomainError(ErrorCode.TAKEN, f"Handle {draft.handle} is taken.", ["handle"])
    product = await uow.catalog.add_product(changes)
    await uow.add_event(product_event("created", product))
    return product


async def update_product(
    uow: UnitOfWork, principal: Principal | None, product_id: uuid.UUID, draft: ProductDraft
) -> Product:
    require_roles(principal, Role.MERCHANDISER)
    changes = _clean_draft(draft)
    if draft.handle is not None and await uow.catalog.handle_exists(draft.handle, product_id):
        raise DomainError(ErrorCode.TAKEN, f"Handle {draft.handle} is taken.", ["handle"])
    product = await uow.catalog.update_product(product_id, changes)
    if product is None:
        raise NotFound("Product", ["id"])
    await uow.add_event(product_event("updated", product))
    return product


async def archive_product(
    uow: UnitOfWork, principal: Principal | None, product_id: uuid.UUID
) -> Product:
    return await update_product(
        uow, principal, product_id, ProductDraft(status=ProductStatus.ARCHIVED)
    )


async def create_variant(
    uow: UnitOfWork,
    principal: Principal | None,
    product_id: uuid.UUID,
    sku: str,
    title: str,
    options: list[SelectedOption],
    barcode: str | None,
    weight_grams: int | None,
) -> ProductVariant:
    require_roles(principal, Role.MERCHANDISER)
    rules.validate_sku(sku, ["sku"])
    if weight_grams is not None and not 0 <= weight_grams <= 10**7:
        raise DomainError(ErrorCode.INVALID, "Weight must be 0-10,000,000 g.", ["weight_grams"])
    names = [o.name.strip() for o in options]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise DomainError(
            ErrorCode.INVALID, "Option names must be unique and non-blank.", ["options"]
        )
    if not await uow.catalog.product_exists(product_id):
        raise NotFound("Product", ["product_id"])
    if await uow.catalog.sku_exists(sku):
        raise DomainError(ErrorCode.TAKEN, f"SKU {sku} is taken.", ["sku"])
    variant = await uow.catalog.add_variant(
        product_id, sku, title.strip() or sku, options, barcode, weight_grams
    )
    await uow.add_event(
        OutboxEvent(
            topic=CATALOG_TOPIC,
            type="ucg.catalog.variant_created.v1",
            aggregate_type="Product",
            aggregate_id=str(product_id),
            data={"productId": str(product_id), "sku": sku},
        )
    )
    return variant


async def set_price(
    uow: UnitOfWork,
    principal: Principal | None,
    sku: str,
    channel_code: str,
    amount: str,
    compare_at: str | None,
) -> Price:
    require_roles(principal, Role.MERCHANDISER)
    channel = await uow.catalog.channel_by_code(channel_code)
    if channel is None:
        raise NotFound(f"Channel {channel_code}", ["channel"])
    minor = rules.to_minor_units(amount, channel.currency_code, ["amount"])
    compare_minor = (
        None
        if compare_at is None
        else rules.to_minor_units(compare_at, channel.currency_code, ["compare_at"])
    )
    variant_id = await uow.catalog.variant_id_by_sku(sku)
    if variant_id is None:
        raise NotFound(f"SKU {sku}", ["sku"])
    price = Price(variant_id, channel.code, channel.currency_code, minor, compare_minor)
    await uow.catalog.upsert_price(price, channel.id)
    await uow.add_event(
        OutboxEvent(
            topic=CATALOG_TOPIC,
            type="ucg.catalog.price_changed.v1",
            aggregate_type="ProductVariant",
            aggregate_id=str(variant_id),
            data={
                "sku": sku,
                "channel": channel.code,
                "currencyCode": channel.currency_code,
                "amountMinor": minor,
                "compareAtMinor": compare_minor,
            },
        )
    )
    return price
