"""What a sale hands the Order aggregate to place a new order (`Order.place`).

Online checkout, the endless aisle (which is online checkout from the till) and
the till's carry-out sale all place their orders through `Order.place`, and one
repository method (`OrderRepository.add`) writes the order with its lines,
fulfillments, payments and events. These are its inputs: plain values, no ids
yet (the factory gives them).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.order.fulfillment import FulfillmentStatus


@dataclass(frozen=True)
class NewLine:
    """A line as sold: the price snapshot of the sale."""

    variant_id: uuid.UUID
    sku: str
    quantity: int
    unit_price_minor: int
    discount_minor: int = 0  # of the whole line
    tax_minor: int = 0  # added tax of the whole line


@dataclass(frozen=True)
class NewFulfillment:
    """A shipment or pickup of the new order: its units per line (by the line's index in
    the sale's lines)."""

    method: str
    location_id: uuid.UUID
    status: FulfillmentStatus
    units: Sequence[tuple[int, int]]  # (line index, units)
    promised_at: datetime | None = None


@dataclass(frozen=True)
class NewPayment:
    """An authorization (online) or a capture at the till (card or cash tender)."""

    provider: str
    authorization_id: str
    amount_minor: int
    captured: bool = False  # the till: taken already


@dataclass(frozen=True)
class Placement:
    """What the order row records about how it was sold; the aggregate's rules never read
    it, the repository writes it once."""

    method: str  # the order's fulfillment method
    idempotency_key: str
    shipping_address: Mapping[str, Any] | None = None
    card_fingerprint: str | None = None
    address_key: str | None = None
