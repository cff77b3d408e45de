"""The one writer of new orders: `Order.place` then `uow.orders_for_update.add` writes
the order, its lines, fulfillments with their units and payments in one statement,
whatever the number of lines and shipments, and a later load reads the same aggregate."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from datasources.postgres.pool import create_pool, log_statements
from datasources.postgres.uow import UnitOfWork
from domain.models import OutboxEvent
from domain.order.aftersale import OrderTotals
from domain.order.fulfillment import FulfillmentStatus as S
from domain.order.fulfillment import OrderStatus
from domain.order.model import Order
from domain.order.placement import NewFulfillment, NewLine, NewPayment, Placement
from tests.conftest import TestEnv
from tests.integration.test_cart_statements import _asyncpg_internal
from tests.order_helpers import Sale, make_sale
from tests.stock_helpers import make_location, make_variant

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture
async def pool(env: TestEnv) -> AsyncIterator[asyncpg.Pool[Any]]:
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


async def test_a_split_order_is_one_insert_and_loads_back_equal(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    other_sku = await make_variant(db)
    other = await db.fetchval("SELECT id FROM variants WHERE sku = $1", other_sku)
    depot = await make_location(db)
    with log_statements() as sql:
        async with UnitOfWork(pool) as uow:
            order, events = await place_split(uow, sale, other, other_sku, depot)
            await uow.orders_for_update.add(order)
            await uow.orders_for_update.save(order, NOW)
    ran = [s for s in sql if not _asyncpg_internal(s)]
    tables = ("orders", "order_lines", "fulfillments", "fulfillment_lines", "payments")
    writes = [s for s in ran if any(f"INSERT INTO {t} " in s for t in tables)]
    assert len(writes) == 1 and all(f"INSERT INTO {t} " in writes[0] for t in tables), ran
    number = order.number
    async with UnitOfWork(pool) as uow:
        loaded = await uow.orders_for_update.get_for_update(order.id)
        by_key = await uow.orders_for_update.get_by_idempotency_key(f"add-{number}")
    assert loaded == order and by_key == order
    assert loaded is not None and loaded.status is OrderStatus.UNFULFILLED
    assert sorted(p.provider for p in loaded.payments) == ["card", "test"]
    assert [line.total_minor for line in loaded.lines] == [2900, 500]
    stored = await db.fetch(
        "SELECT total_minor FROM order_lines WHERE order_id = $1 ORDER BY position", order.id
    )
    assert [r["total_minor"] for r in stored] == [2900, 500]
    # The queued order_created event reached the outbox, once.
    rows = await db.fetch("SELECT type, payload FROM outbox WHERE aggregate_id = $1", str(order.id))
    assert [(r["type"], r["payload"]["number"]) for r in rows] == [(events[0].type, number)]


async def place_split(
    uow: UnitOfWork, sale: Sale, other: uuid.UUID, other_sku: str, depot: uuid.UUID
) -> tuple[Order, list[OutboxEvent]]:
    """Line 0 split over two locations, line 1 from the depot; an authorization and a
    captured card."""
    number = await uow.orders_for_update.next_number()
    return Order.place(
        number=number,
        customer_id=None,
        channel_id=sale.channel,
        currency_code="EUR",
        lines=[NewLine(sale.variant, sale.sku, 3, 1000, 100), NewLine(other, other_sku, 1, 500)],
        fulfillments=[
            NewFulfillment("SHIP", sale.location, S.ALLOCATED, [(0, 2)], NOW),
            NewFulfillment("SHIP", depot, S.ALLOCATED, [(0, 1), (1, 1)], NOW),
        ],
        payments=[
            NewPayment("test", "auth_a", 2000),
            NewPayment("card", "auth_b", 1890, captured=True),
        ],
        totals=OrderTotals(3500, 100, 0, 490, 3890),
        placement=Placement("SHIP", f"add-{number}", shipping_address={"city": "Gouda"}),
        request_hash="h",
    )
