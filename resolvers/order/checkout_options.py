"""GraphQL of checkout routing: the fulfillment options of checkoutBegin, Order.risk."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from domain.ids import to_global_id
from domain.order import options as domain_options
from domain.order.routing import RoutingPlan, Unroutable
from resolvers.common import Money, money


@strawberry.enum(description="How the buyer receives the order.")
class CheckoutFulfillmentMethod(Enum):
    SHIP = strawberry.enum_value("SHIP", description="Shipped from a warehouse.")
    PICKUP = strawberry.enum_value("PICKUP", description="Collected by the buyer at a store.")
    SHIP_FROM_STORE = strawberry.enum_value(
        "SHIP_FROM_STORE", description="Shipped from a store that holds the stock."
    )
    SAME_DAY = strawberry.enum_value(
        "SAME_DAY", description="Delivered the same day from a nearby store or dark store."
    )


@strawberry.enum(description="Why a fulfillment method cannot serve the cart.")
class FulfillmentUnavailableReason(Enum):
    OUT_OF_STOCK = strawberry.enum_value(
        "OUT_OF_STOCK",
        description="Locations offer this method here and now, but their stock is short.",
    )
    NO_ELIGIBLE_LOCATION = strawberry.enum_value(
        "NO_ELIGIBLE_LOCATION",
        description="No location offers this method for this address, store or time "
        "(e.g. outside every same-day radius, or after the cut-off).",
    )


@strawberry.type(description="Units of one sku in a planned shipment.")
class PlannedShipmentLine:
    sku: str = strawberry.field(description="The variant's sku.")
    quantity: int = strawberry.field(description="Units sent from this location.")


@strawberry.type(
    description="One parcel or pickup of a fulfillment plan: where from, what, by when."
)
class PlannedShipment:
    location_id: strawberry.ID = strawberry.field(
        description="Global id of the Location that serves it."
    )
    lines: list[PlannedShipmentLine] = strawberry.field(description="What it holds, by sku.")
    promised_at: datetime = strawberry.field(
        description="PICKUP: ready for collection by; other methods: delivered by."
    )
    distance_km: float | None = strawberry.field(
        description="Distance from the location to the buyer (or the chosen store); null "
        "when unknown (no coordinates)."
    )


@strawberry.type(description="A cart line a method cannot serve, with what it could offer.")
class UnservedLine:
    sku: str = strawberry.field(description="The variant's sku.")
    requested: int = strawberry.field(description="Units the cart asks for.")
    available: int = strawberry.field(description="Units this method could offer (fewer).")


@strawberry.type(
    description="One way to receive the cart: its plan, price and promise, or why it is "
    "unavailable. Unavailable methods are listed too, so a storefront can explain them."
)
class FulfillmentOption:
    method: CheckoutFulfillmentMethod = strawberry.field(description="The method.")
    available: bool = strawberry.field(description="Whether the method can serve the cart now.")
    price: Money | None = strawberry.field(
        description="Shipping charged for this method (one price per order however many "
        "shipments, after free-shipping codes and thresholds); null when unavailable."
    )
    promised_at: datetime | None = strawberry.field(
        description="The latest promise of its shipments; null when unavailable."
    )
    shipments: list[PlannedShipment] = strawberry.field(
        description="The plan: one entry per location (more than one is a split "
        "shipment); empty when unavailable."
    )
    reason: FulfillmentUnavailableReason | None = strawberry.field(
        description="Why the method is unavailable; null when available."
    )
    unserved_lines: list[UnservedLine] = strawberry.field(
        description="The lines it cannot serve; empty when available."
    )
    alternative_location_ids: list[strawberry.ID] = strawberry.field(
        description="PICKUP at a store that lacks stock: other pickup locations holding "
        "everything, nearest first."
    )


def option_type(option: domain_options.FulfillmentOption, currency_code: str) -> FulfillmentOption:
    result = option.result
    method = CheckoutFulfillmentMethod(option.method.value)
    if isinstance(result, RoutingPlan):
        return FulfillmentOption(
            method=method,
            available=True,
            price=money(option.price_minor or 0, currency_code),
            promised_at=option.promised_at,
            shipments=[
                PlannedShipment(
                    location_id=strawberry.ID(to_global_id("Location", s.location_id)),
                    lines=[PlannedShipmentLine(sku=x.sku, quantity=x.quantity) for x in s.lines],
                    promised_at=s.promised_at,
                    distance_km=s.distance_km,
                )
                for s in result.shipments
            ],
            reason=None,
            unserved_lines=[],
            alternative_location_ids=[],
        )
    assert isinstance(result, Unroutable)
    return FulfillmentOption(
        method=method,
        available=False,
        price=None,
        promised_at=None,
        shipments=[],
        reason=FulfillmentUnavailableReason(result.reason.value),
        unserved_lines=[
            UnservedLine(sku=x.sku, requested=x.requested, available=x.available)
            for x in result.lines
        ],
        alternative_location_ids=[
            strawberry.ID(to_global_id("Location", i)) for i in result.alternatives
        ],
    )


@strawberry.type(description="One fraud rule that fired at checkout.")
class OrderRiskReason:
    code: str = strawberry.field(
        description="Stable rule code, e.g. CARD_VELOCITY, HIGH_VALUE_NO_HISTORY, "
        "BILLING_SHIPPING_COUNTRY_MISMATCH, NEW_ACCOUNT (docs/ORDERS.md)."
    )
    points: int = strawberry.field(description="Points the rule added to the score.")
    detail: str = strawberry.field(description="Human explanation for the reviewer.")


@strawberry.type(description="The fraud check of an order (staff only).")
class OrderRisk:
    score: int = strawberry.field(
        description="0-100; at 70 or more the order was placed ON_HOLD for review."
    )
    on_hold: bool = strawberry.field(description="Whether the order waits for staff review.")
    reasons: list[OrderRiskReason] = strawberry.field(description="Every rule that fired.")
