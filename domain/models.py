"""Plain records of the domain. No I/O, no framework types.

Resolvers return these objects directly; GraphQL leaf fields read their
attributes, so a page of them executes without per-field resolver calls.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ProductStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class LocationKind(StrEnum):
    WAREHOUSE = "WAREHOUSE"
    STORE = "STORE"
    DARK_STORE = "DARK_STORE"


@dataclass
class Channel:
    id: uuid.UUID
    code: str
    name: str
    currency_code: str


@dataclass
class Product:
    id: uuid.UUID
    handle: str
    title: str
    description: str
    status: ProductStatus
    created_at: datetime
    vendor: str = ""
    product_type: str = ""
    tags: list[str] = field(default_factory=list)
    media_urls: list[str] = field(default_factory=list)
    seo_title: str | None = None
    seo_description: str | None = None


@dataclass(frozen=True)
class SelectedOption:
    """One option value of a variant, e.g. Size = M."""

    name: str
    value: str


@dataclass
class ProductVariant:
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    title: str
    options: list[SelectedOption] = field(default_factory=list)
    barcode: str | None = None
    weight_grams: int | None = None
    position: int = 0
    image_id: uuid.UUID | None = None


@dataclass
class Customer:
    id: uuid.UUID
    display_name: str
    created_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    merged_into: uuid.UUID | None = None
    marketing_consent: bool = False
    marketing_consent_at: datetime | None = None
    marketing_consent_source: str | None = None
    first_seen_channel: str | None = None
    last_seen_channel: str | None = None
    erased_at: datetime | None = None


@dataclass
class Location:
    id: uuid.UUID
    code: str
    name: str
    kind: LocationKind
    latitude: float | None
    longitude: float | None
    address: str = ""
    opening_hours: str = ""
    can_ship: bool = True
    can_pickup: bool = False
    same_day_radius_km: float = 0.0


@dataclass
class StockLevel:
    sku: str
    location_id: uuid.UUID
    on_hand: int
    reserved: int
    safety_stock: int

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety_stock)


@dataclass
class Cart:
    id: uuid.UUID
    channel_id: uuid.UUID
    currency_code: str
    customer_id: uuid.UUID | None
    created_at: datetime
    # Added by the cart issue (migration 0005); defaults keep older constructors valid.
    updated_at: datetime | None = None
    expires_at: datetime | None = None
    status: str = "ACTIVE"
    merged_into: uuid.UUID | None = None
    note: str = ""
    discount_codes: list[str] = field(default_factory=list)
    buyer_email: str | None = None
    buyer_phone: str | None = None
    buyer_country_code: str | None = None
    buyer_province_code: str | None = None
    fulfillment_method: str = "SHIP"


@dataclass
class OutboxEvent:
    """An event to publish, written in the same transaction as the change it reports."""

    topic: str
    type: str
    aggregate_type: str
    aggregate_id: str
    data: dict[str, object] = field(default_factory=dict)
