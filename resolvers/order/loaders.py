"""The order subgraph's DataLoaders, built per request by resolvers/context.py's Loaders.

OrderLinesByOrderIdLoader stays untyped in context.py until the order line record settles
(domain/order/model.py, issue 14)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from datasources.postgres.order import orders_by_ids
from datasources.postgres.order_listing import (
    CustomerOrdersKey,
    LifetimeValue,
    customer_order_pages,
    lifetime_values_by_customer_ids,
)
from datasources.postgres.order_repository import fulfillments_by_order_ids
from datasources.postgres.return_repository import returns_by_ids, returns_by_order_ids
from domain.order.model import Fulfillment
from domain.order.order_record import OrderRecord
from domain.order.returns import ReturnRecord
from resolvers.context import Loader


class OrderByIdLoader(Loader[uuid.UUID, OrderRecord | None]):
    """Orders by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, orders_by_ids)


class FulfillmentsByOrderIdLoader(Loader[uuid.UUID, list[Fulfillment]]):
    """Each order's fulfillments, oldest first."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, fulfillments_by_order_ids)


class ReturnsByOrderIdLoader(Loader[uuid.UUID, list[ReturnRecord]]):
    """Each order's returns, oldest first."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, returns_by_order_ids)


class ReturnByIdLoader(Loader[uuid.UUID, ReturnRecord | None]):
    """Returns by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, returns_by_ids)


class CustomerOrderPagesLoader(Loader[CustomerOrdersKey, list[OrderRecord]]):
    """Keyed by (customer, page size, cursor): every Customer.orders page in one query."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, customer_order_pages)


class LifetimeValueByCustomerIdLoader(Loader[uuid.UUID, LifetimeValue | None]):
    """Each customer's order totals less what was given back; None without orders."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, lifetime_values_by_customer_ids)
