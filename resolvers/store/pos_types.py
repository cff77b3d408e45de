"""The till's output types (posSaleComplete, posEndlessAisleOrder, storeReturnShare), each
built from its domain record."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.ids import to_global_id
from domain.store import pos as domain_pos
from domain.store.boris import StoreReturnShare as StoreReturnShareRecord
from domain.store.pos_aisle import AisleOrder


@strawberry.enum(description="How the customer pays at the till.")
class PosTenderKind(Enum):
    CASH = strawberry.enum_value("CASH", description="Cash; what is over the sale is change.")
    CARD = strawberry.enum_value(
        "CARD", description="A card, authorized and captured through the payment provider."
    )


@strawberry.type(description="A tender as it paid the sale.")
class PosTender:
    tendered_minor: int = strawberry.field(description="What the customer handed over.")
    applied_minor: int = strawberry.field(description="What of it pays the sale.")
    kind: PosTenderKind = strawberry.field(description="Cash or card.")

    @classmethod
    def from_record(cls, tender: domain_pos.AppliedTender) -> PosTender:
        return cls(
            tendered_minor=tender.tendered_minor,
            applied_minor=tender.applied_minor,
            kind=PosTenderKind(tender.kind.value),
        )


@strawberry.type(description="A completed till sale: an ordinary order, already picked up.")
class PosSale:
    order_number: int = strawberry.field(description="The order's number.")
    receipt_number: str = strawberry.field(description="Receipt number: store code and order.")
    currency_code: str = strawberry.field(description="ISO 4217 currency of the sale.")
    total_minor: int = strawberry.field(description="What the sale cost, in minor units.")
    change_minor: int = strawberry.field(description="Cash given back, in minor units.")
    points_earned: int = strawberry.field(description="Loyalty points the sale earned.")
    tenders: list[PosTender] = strawberry.field(description="How it was paid.")
    order_id: strawberry.ID = strawberry.field(description="Global id of the Order.")
    location_id: strawberry.ID = strawberry.field(description="Global id of the store.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="Global id of the customer; null for an anonymous sale."
    )

    @classmethod
    def from_record(cls, sale: domain_pos.PosSale) -> PosSale:
        customer = sale.customer_id
        return cls(
            order_number=sale.order_number,
            receipt_number=sale.receipt_number,
            currency_code=sale.currency_code,
            total_minor=sale.total_minor,
            change_minor=sale.change_minor,
            points_earned=sale.points_earned,
            tenders=[PosTender.from_record(t) for t in sale.tenders],
            order_id=strawberry.ID(to_global_id("Order", sale.order_id)),
            location_id=strawberry.ID(to_global_id("Location", sale.location_id)),
            customer_id=None
            if customer is None
            else strawberry.ID(to_global_id("Customer", customer)),
        )


@strawberry.type(description="An endless-aisle order taken at a till.")
class PosAisleOrder:
    order_id: strawberry.ID = strawberry.field(description="Global id of the Order.")
    order_number: int = strawberry.field(description="The order's number.")
    total_minor: int = strawberry.field(description="What the card was charged, in minor units.")
    currency_code: str = strawberry.field(description="ISO 4217 currency of the order.")
    sold_at: strawberry.ID = strawberry.field(
        description="Global id of the store whose till took the order."
    )

    @classmethod
    def from_record(cls, aisle: AisleOrder) -> PosAisleOrder:
        return cls(
            order_id=strawberry.ID(to_global_id("Order", aisle.order.id)),
            order_number=aisle.order.number,
            total_minor=aisle.order.total_minor,
            currency_code=aisle.order.currency_code,
            sold_at=strawberry.ID(to_global_id("Location", aisle.sold_at)),
        )


@strawberry.type(
    description="Returns taken back at a store, and how many came from other channels."
)
class StoreReturnShare:
    received: int = strawberry.field(description="Returns received at this store.")
    cross_channel: int = strawberry.field(
        description="Of them, orders not sold at a till (online, app): return-anywhere."
    )
    location_id: strawberry.ID = strawberry.field(description="Global id of the store.")

    @classmethod
    def from_record(cls, share: StoreReturnShareRecord) -> StoreReturnShare:
        return cls(
            location_id=strawberry.ID(to_global_id("Location", share.location_id)),
            received=share.received,
            cross_channel=share.cross_channel,
        )
