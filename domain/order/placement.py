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

from domain.errors import DomainError, ErrorCode
from domain.order.fulfillment import FulfillmentStatus
from domain.order.order_parts import Fulfillment, OrderLine
from domain.order.settlement import PaymentState, PaymentStatus


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


def new_parts(
    lines: Sequence[NewLine],
    fulfillments: Sequence[NewFulfillment],
    payments: Sequence[NewPayment],
    currency_code: str,
) -> tuple[tuple[OrderLine, ...], tuple[Fulfillment, ...], tuple[PaymentState, ...]]:
    """The new order's lines, fulfillments (their units by line id) and payments, with
    their ids; at least one line, and no line placed in fulfillments beyond its quantity."""
    if not lines:
        raise DomainError(ErrorCode.INVALID, "An order has at least one line.", ["lines"])
    made = [
        OrderLine(
            id=uuid.uuid4(),
            sku=line.sku,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
            discount_minor=line.discount_minor,
            tax_minor=line.tax_minor,
            cancelled_quantity=0,
            returned_quantity=0,
            currency_code=currency_code,
            variant_id=line.variant_id,
        )
        for line in lines
    ]
    placed: dict[int, int] = {}
    parts = []
    for new in fulfillments:
        units: dict[uuid.UUID, int] = {}
        for index, quantity in new.units:
            placed[index] = placed.get(index, 0) + quantity
            if placed[index] > made[index].quantity:
                raise DomainError(
                    ErrorCode.INVALID,
                    "A line's units in fulfillments exceed its quantity.",
                    ["lines", str(index)],
                )
            line_id = made[index].id
            units[line_id] = units.get(line_id, 0) + quantity
        parts.append(
            Fulfillment(
                id=uuid.uuid4(),
                method=new.method,
                location_id=new.location_id,
                status=new.status,
                lines=units,
                promised_at=new.promised_at,
            )
        )
    paid = tuple(
        PaymentState(
            id=uuid.uuid4(),
            authorization_id=p.authorization_id,
            status=PaymentStatus.CAPTURED if p.captured else PaymentStatus.AUTHORIZED,
            currency_code=currency_code,
            amount_minor=p.amount_minor,
            owed_minor=p.amount_minor,
            captured_minor=p.amount_minor if p.captured else 0,
            refunded_minor=0,
            provider=p.provider,
        )
        for p in payments
    )
    # In the order a load reads them back: created in one transaction, so by id.
    return (
        tuple(made),
        tuple(sorted(parts, key=lambda part: part.id)),
        tuple(sorted(paid, key=lambda payment: payment.id)),
    )
