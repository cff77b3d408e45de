"""The Fulfillment type and its status enum (order subgraph)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from domain.ids import to_global_id
from domain.order import model
from resolvers.common import Money, money, record_type_check


@strawberry.enum(description="Where a fulfillment is in its lifecycle.")
class FulfillmentStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Created; not yet released to work.")
    ON_HOLD = strawberry.enum_value("ON_HOLD", description="Waiting for a staff review.")
    ALLOCATED = strawberry.enum_value(
        "ALLOCATED", description="Stock committed at the location; in its pick queue."
    )
    PICKING = strawberry.enum_value("PICKING", description="Being picked.")
    PACKED = strawberry.enum_value("PACKED", description="Packed, waiting for the carrier.")
    SHIPPED = strawberry.enum_value("SHIPPED", description="Handed to the carrier or courier.")
    DELIVERY_FAILED = strawberry.enum_value(
        "DELIVERY_FAILED", description="The carrier could not deliver; it will retry."
    )
    DELIVERED = strawberry.enum_value("DELIVERED", description="Delivered to the buyer.")
    READY_FOR_PICKUP = strawberry.enum_value(
        "READY_FOR_PICKUP", description="Waiting at the store for the buyer."
    )
    PICKED_UP = strawberry.enum_value("PICKED_UP", description="Collected by the buyer.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled; stock given back.")


@strawberry.type(description="A shipment or pickup of (part of) an order from one location.")
class Fulfillment:
    is_type_of = record_type_check(model.Fulfillment)

    @strawberry.field(description="Opaque global id of the fulfillment.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Fulfillment", self.id))

    @strawberry.field(
        description="The fulfillment method: SHIP, PICKUP, SHIP_FROM_STORE or SAME_DAY."
    )
    def method(self) -> str:
        return self.method  # type: ignore[no-any-return]  # self is a record

    @strawberry.field(description="Global id of the location that fulfills it.")
    def location_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Location", self.location_id))

    @strawberry.field(description="Where it is in its lifecycle.")
    def status(self) -> FulfillmentStatus:
        return FulfillmentStatus(self.status)

    @strawberry.field(description='Carrier and tracking number, e.g. "DHL 00340434"; null if none.')
    def tracking(self) -> str | None:
        return self.tracking  # type: ignore[no-any-return]  # self is a record

    @strawberry.field(description="When it was created (at checkout).")
    def created_at(self) -> datetime:
        return self.created_at  # type: ignore[no-any-return]  # self is a record

    promised_at: datetime | None = strawberry.field(
        description="When it was promised to be delivered or ready for pickup; null if no "
        "promise was made."
    )
    pickup_deadline: datetime | None = strawberry.field(
        description="A pickup waiting at the store: until when it is held. Past it the "
        "fulfillment is cancelled, its units restocked and the payment voided or refunded. "
        "Null until it is READY_FOR_PICKUP, and for deliveries."
    )


@strawberry.type(description="A line of an order, at the price charged at checkout.")
class OrderLine:
    is_type_of = record_type_check(model.OrderLine)

    @strawberry.field(description="Opaque global id of the order line.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("OrderLine", self.id))

    sku: str = strawberry.field(description="SKU of the variant bought.")
    quantity: int = strawberry.field(description="Units bought.")
    cancelled_quantity: int = strawberry.field(
        description="Units of this line cancelled since (not charged, back in stock)."
    )
    returned_quantity: int = strawberry.field(
        description="Units of this line returned since (received back and refunded)."
    )

    @strawberry.field(description="Price of one unit at checkout (the snapshot).")
    def unit_price(self) -> Money:
        return money(self.unit_price_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Discount on the whole line at checkout (its share of line and order "
        "discounts); zero if none."
    )
    def discount(self) -> Money:
        return money(self.discount_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Tax added to the line at checkout (tax-exclusive regions, e.g. US sales "
        "tax); zero where prices include tax (e.g. EU VAT)."
    )
    def tax(self) -> Money:
        return money(self.tax_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(
        description="What the line cost at checkout: unit price times quantity, less the "
        "discount, plus the added tax. Not lowered by later cancellations or returns."
    )
    def total(self) -> Money:
        return money(self.total_minor, self.currency_code)  # type: ignore[attr-defined]
