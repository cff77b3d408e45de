"""Topic names (DESIGN section 5), created at start-up."""

from __future__ import annotations

ORDERS = "ucg.orders.v1"
INVENTORY = "ucg.inventory.v1"
CUSTOMERS = "ucg.customers.v1"
CARTS = "ucg.carts.v1"
CATALOG = "ucg.catalog.v1"
INVENTORY_ADJUSTMENTS = "ucg.inventory.adjustments.v1"
FULFILLMENT_UPDATES = "ucg.fulfillment.updates.v1"

OUTBOUND = (ORDERS, INVENTORY, CUSTOMERS, CARTS, CATALOG)
INBOUND = (INVENTORY_ADJUSTMENTS, FULFILLMENT_UPDATES)
ALL = OUTBOUND + INBOUND + tuple(f"{name}.dlq" for name in INBOUND)
