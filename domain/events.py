"""The event catalog: every event type the code may write to the outbox, in one place.

Adding an event type means adding it here and adding its JSON Schema file
`schemas/events/<type>.json`; a test fails for any type string used in the
code that is missing from either. Pure: no I/O.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.auth import Principal
from domain.authz import may_follow_order
from domain.errors import NotFound

ORDERS_TOPIC = "ucg.orders.v1"
INVENTORY_TOPIC = "ucg.inventory.v1"
CUSTOMERS_TOPIC = "ucg.customers.v1"
CARTS_TOPIC = "ucg.carts.v1"
CATALOG_TOPIC = "ucg.catalog.v1"
INTERACTIONS_TOPIC = "ucg.interactions.v1"

# Versioned type names: ucg.<area>.<what_happened>.v<major>.
EVENT_TYPE_NAME = re.compile(r"^ucg\.[a-z]+(?:\.[a-z][a-z_]*)+\.v[0-9]+$")


@dataclass(frozen=True)
class EventType:
    """One kind of event: where it is published and what its subject (aggregate) is."""

    name: str
    topic: str
    aggregate_type: str
    description: str


EVENT_TYPES: dict[str, EventType] = {
    e.name: e
    for e in (
        EventType(
            "ucg.catalog.channel_created.v1",
            CATALOG_TOPIC,
            "Channel",
            "A sales channel was created.",
        ),
        EventType(
            "ucg.inventory.stock_changed.v1",
            INVENTORY_TOPIC,
            "StockLevel",
            "Stock of one SKU at one location changed (on hand, reserved or available).",
        ),
        EventType(
            "ucg.inventory.discrepancy_detected.v1",
            INVENTORY_TOPIC,
            "StockLevel",
            "The inventory reconciliation found a stock row disagreeing with its ledger "
            "(on hand) or with its active reservations (reserved).",
        ),
        EventType(
            "ucg.order.status_changed.v1",
            ORDERS_TOPIC,
            "Order",
            "An order moved to a new status.",
        ),
        EventType(
            "ucg.catalog.product_created.v1",
            CATALOG_TOPIC,
            "Product",
            "A product was created.",
        ),
        EventType(
            "ucg.catalog.product_updated.v1",
            CATALOG_TOPIC,
            "Product",
            "A product changed (including being archived).",
        ),
        EventType(
            "ucg.catalog.variant_created.v1",
            CATALOG_TOPIC,
            "Product",
            "A variant was added to a product.",
        ),
        EventType(
            "ucg.catalog.collection_changed.v1",
            CATALOG_TOPIC,
            "Collection",
            "A collection was created, changed or deleted, or products were listed in or "
            "removed from it.",
        ),
        EventType(
            "ucg.catalog.market_changed.v1",
            CATALOG_TOPIC,
            "Market",
            "A market was created or changed.",
        ),
        EventType(
            "ucg.catalog.translations_changed.v1",
            CATALOG_TOPIC,
            "Product",
            "A product's or collection's texts in one language were set or removed.",
        ),
        EventType(
            "ucg.catalog.price_changed.v1",
            CATALOG_TOPIC,
            "ProductVariant",
            "A variant's price on one channel was set or changed.",
        ),
        EventType(
            "ucg.customer.registered.v1",
            CUSTOMERS_TOPIC,
            "Customer",
            "A customer registered.",
        ),
        EventType(
            "ucg.customer.updated.v1",
            CUSTOMERS_TOPIC,
            "Customer",
            "A customer's profile, consent or addresses changed (which values is not said).",
        ),
        EventType(
            "ucg.customer.identity_linked.v1",
            CUSTOMERS_TOPIC,
            "Customer",
            "An identity (email, phone, loyalty card, device, external id) was linked to a customer",
        ),
        EventType(
            "ucg.customer.merged.v1",
            CUSTOMERS_TOPIC,
            "Customer",
            "A duplicate customer record was merged into its survivor",
        ),
        EventType(
            "ucg.customer.erased.v1",
            CUSTOMERS_TOPIC,
            "Customer",
            "A customer's personal data was erased (GDPR)",
        ),
        EventType(
            "ucg.customer.segment_changed.v1",
            CUSTOMERS_TOPIC,
            "Customer",
            "A customer entered or left a segment, or a member of one visited a store.",
        ),
        EventType(
            "ucg.customer.points_earned.v1",
            CUSTOMERS_TOPIC,
            "Customer",
            "Loyalty points were earned for an order.",
        ),
        EventType(
            "ucg.customer.points_changed.v1",
            CUSTOMERS_TOPIC,
            "Customer",
            "Loyalty points were redeemed, adjusted or expired.",
        ),
        EventType(
            "ucg.cart.updated.v1",
            CARTS_TOPIC,
            "Cart",
            "A cart changed: created, lines, discount codes, buyer, note, method or merge.",
        ),
        EventType(
            "ucg.discount.created.v1",
            CARTS_TOPIC,
            "Discount",
            "A discount code was created.",
        ),
        EventType(
            "ucg.order.created.v1",
            ORDERS_TOPIC,
            "Order",
            "An order was placed.",
        ),
        EventType(
            "ucg.fulfillment.status_changed.v1",
            ORDERS_TOPIC,
            "Order",
            "A fulfillment of an order moved to a new status (keyed by the order).",
        ),
        EventType(
            "ucg.order.return_created.v1",
            ORDERS_TOPIC,
            "Order",
            "A return of delivered units was asked for (keyed by the order).",
        ),
        EventType(
            "ucg.order.return_received.v1",
            ORDERS_TOPIC,
            "Order",
            "Returned goods arrived: resellable units restocked, refund given back.",
        ),
        EventType(
            "ucg.order.cancelled.v1",
            ORDERS_TOPIC,
            "Order",
            "Units of an order (or all of it) were cancelled, restocked and settled.",
        ),
        EventType(
            "ucg.store.pickup_arrived.v1",
            ORDERS_TOPIC,
            "Store",
            "A buyer said they are at the store (or its curbside bay) for a pickup order.",
        ),
        EventType(
            "ucg.store.pickup_handed_over.v1",
            ORDERS_TOPIC,
            "Store",
            "Store staff handed a ready pickup to its buyer after checking the pickup code.",
        ),
        EventType(
            "ucg.store.work_line_picked.v1",
            ORDERS_TOPIC,
            "Store",
            "A store picked one line of its pick list (units found, and units short).",
        ),
        EventType(
            "ucg.store.hold_placed.v1",
            ORDERS_TOPIC,
            "Store",
            "Items were held at a store for a customer (reserve in store), until a time.",
        ),
        EventType(
            "ucg.store.hold_cancelled.v1",
            ORDERS_TOPIC,
            "Store",
            "A hold at a store was cancelled; its units are back on sale.",
        ),
        EventType(
            "ucg.interaction.tracked.v1",
            INTERACTIONS_TOPIC,
            "Shopper",
            "A shopper interaction was accepted through interactionsTrack (ids only).",
        ),
    )
}


@dataclass(frozen=True)
class OrderStatusChanged:
    """An order's status change as delivered to a subscriber."""

    event_id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID | None
    status: str
    previous_status: str | None
    sequence: int
    occurred_at: datetime


@dataclass(frozen=True)
class StockChanged:
    """A stock level change as delivered to a subscriber."""

    event_id: uuid.UUID
    sku: str
    location_id: uuid.UUID
    on_hand: int
    reserved: int
    available: int
    sequence: int
    occurred_at: datetime


def check_order_visible(principal: Principal | None, owner_id: uuid.UUID | None) -> Principal:
    """A customer sees only their own orders; an ORDERS scope sees any. Anyone else gets
    NOT_FOUND, exactly as for an order that does not exist."""
    if not may_follow_order(principal, owner_id):
        raise NotFound("Order", ["order_id"])
    assert principal is not None
    return principal


def order_change_visible(principal: Principal, change: OrderStatusChanged) -> bool:
    """Checked again on every delivery: the event itself must name the caller's order."""
    return may_follow_order(principal, change.customer_id)


# Types that outside systems send to us; their schemas live with their consumers
# (datasources/kafka/adjustments.py) or in schemas/events/inbound/, not among the
# outbound schemas of schemas/events/.
INBOUND_EVENT_TYPES = frozenset(
    {"ucg.inventory.adjustment.v1", "ucg.fulfillment.update.v1", "ucg.interaction.v1"}
)
