"""Topic names (DESIGN section 5), created at start-up."""

from __future__ import annotations

ORDERS = "ucg.orders.v1"
INVENTORY = "ucg.inventory.v1"
CUSTOMERS = "ucg.customers.v1"
CARTS = "ucg.carts.v1"
CATALOG = "ucg.catalog.v1"
INVENTORY_ADJUSTMENTS = "ucg.inventory.adjustments.v1"
FULFILLMENT_UPDATES = "ucg.fulfillment.updates.v1"
# Both ways: the relay publishes interactionsTrack's events here, and storefronts, apps
# and POS that already stream write their own; the profile consumer group reads it all.
INTERACTIONS = "ucg.interactions.v1"

OUTBOUND = (ORDERS, INVENTORY, CUSTOMERS, CARTS, CATALOG, INTERACTIONS)
# What the API instances' event hub follows for subscriptions (not the interaction stream).
LIVE = (ORDERS, INVENTORY, CUSTOMERS, CARTS, CATALOG)
INBOUND = (INVENTORY_ADJUSTMENTS, FULFILLMENT_UPDATES)
# The consumer groups of `ucg consume` and the topic each reads (the topic prefix applies
# to both); `ucg doctor` reports how far behind each is.
INVENTORY_ADJUSTMENTS_GROUP = "ucg-inventory-adjustments"
FULFILLMENT_UPDATES_GROUP = "ucg-fulfillment-updates"
INTERACTIONS_GROUP = "ucg-customer-profiles"
# Reads ucg.order.created.v1 off the orders topic into product_co_purchases.
CO_PURCHASES_GROUP = "ucg-co-purchases"
CONSUMER_GROUPS = (
    (INVENTORY_ADJUSTMENTS_GROUP, INVENTORY_ADJUSTMENTS),
    (FULFILLMENT_UPDATES_GROUP, FULFILLMENT_UPDATES),
    (INTERACTIONS_GROUP, INTERACTIONS),
    (CO_PURCHASES_GROUP, ORDERS),
)
ALL = OUTBOUND + INBOUND + tuple(f"{name}.dlq" for name in (*INBOUND, INTERACTIONS, ORDERS))
