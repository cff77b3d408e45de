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
ALL = OUTBOUND + INBOUND + tuple(f"{name}.dlq" for name in (*INBOUND, INTERACTIONS))
