"""Records of the customer area (the Customer itself is in domain.models)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.customer.identity import IdentityKind
from domain.customer.loyalty import LedgerKind


@dataclass
class CustomerIdentity:
    id: uuid.UUID
    customer_id: uuid.UUID
    kind: IdentityKind
    value: str
    source_system: str | None
    verified: bool
    created_at: datetime


@dataclass
class AddressFields:
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    region: str
    country_code: str
    phone: str | None


@dataclass
class CustomerAddress:
    id: uuid.UUID
    customer_id: uuid.UUID
    fields: AddressFields
    is_default_shipping: bool
    is_default_billing: bool
    created_at: datetime


@dataclass
class LedgerEntry:
    id: int
    customer_id: uuid.UUID
    kind: LedgerKind
    points: int
    order_id: uuid.UUID | None
    reason: str
    created_at: datetime


@dataclass
class Credentials:
    """What login needs to know about an account."""

    subject_id: uuid.UUID
    password_hash: str | None
    roles: tuple[str, ...] = ()


@dataclass
class MergeResult:
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    changed: bool
    moved: dict[str, int]


@dataclass
class EraseResult:
    customer_id: uuid.UUID
    changed: bool
    touched: dict[str, int]
