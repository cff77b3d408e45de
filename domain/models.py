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


@dataclass
class ProductVariant:
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    title: str


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


@dataclass
class Order:
    id: uuid.UUID
    number: int
    customer_id: uuid.UUID | None
    status: str
    currency_code: str
    total_minor: int
    created_at: datetime


@dataclass
class OutboxEvent:
    """An event to publish, written in the same transaction as the change it reports."""

    topic: str
    type: str
    aggregate_type: str
    aggregate_id: str
    data: dict[str, object] = field(default_factory=dict)
