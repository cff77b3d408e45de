"""The business SLIs, read from orders, pickups, returns and customers made here, served at
/metrics by the periodic refresher of `ucg serve`'s app."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from tests.conftest import TestEnv
from tests.helpers import app_client, unique
from tests.integration.test_metrics import samples, value
from tests.stock_helpers import make_location


async def channel(db: asyncpg.Connection[Any], name: str) -> uuid.UUID:
    code = unique(name + "_").upper()
    channel_id: uuid.UUID = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ($1, $1, 'EUR') RETURNING id",
        code,
    )
    return channel_id


async def customer(db: asyncpg.Connection[Any], merged_into: uuid.UUID | None = None) -> uuid.UUID:
    customer_id: uuid.UUID = await db.fetchval(
        "INSERT INTO customers (display_name, merged_into) VALUES ('c', $1) RETURNING id",
        merged_into,
    )
    return customer_id


async def order(
    db: asyncpg.Connection[Any],
    channel_id: uuid.UUID,
    total: int,
    customer_id: uuid.UUID | None = None,
    *,
    minutes_ago: float = 1,
    status: str = "UNFULFILLED",
) -> uuid.UUID:
    order_id: uuid.UUID = await db.fetchval(
        "INSERT INTO orders (customer_id, channel_id, status, currency_code, total_minor, "
        "created_at) VALUES ($1, $2, $3, 'EUR', $4, now() - make_interval(mins => $5)) "
        "RETURNING id",
        customer_id,
        channel_id,
        status,
        total,
        minutes_ago,
    )
    return order_id


async def fulfillment(
    db: asyncpg.Connection[Any],
    order_id: uuid.UUID,
    location: uuid.UUID,
    method: str = "PICKUP",
    status: str = "ALLOCATED",
) -> uuid.UUID:
    fulfillment_id: uuid.UUID = await db.fetchval(
        "INSERT INTO fulfillments (order_id, method, location_id, status) "
        "VALUES ($1, $2, $3, $4) RETURNING id",
        order_id,
        method,
        location,
        status,
    )
    return fulfillment_id


async def move(db: asyncpg.Connection[Any], fulfillment_id: uuid.UUID, status: str) -> None:
    await db.execute(
        "UPDATE fulfillments SET status = $2, updated_at = now() WHERE id = $1",
        fulfillment_id,
        status,
    )


async def received_return(
    db: asyncpg.Connection[Any], order_id: uuid.UUID, location: uuid.UUID, refunded: int
) -> None:
    await db.execute(
        "INSERT INTO returns (order_id, status, reason, currency_code, refund_minor, "
        "refunded_minor, location_id, idempotency_key, request_hash, received_at) "
        "VALUES ($1, 'RECEIVED', 'DAMAGED', 'EUR', $2, $2, $3, $4, 'h', now())",
        order_id,
        refunded,
        location,
        unique("ret-"),
    )


async def test_business_slis_come_from_the_data(env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    store_a = await make_location(db)
    store_b = await make_location(db)
    warehouse = await make_location(db, kind="WAREHOUSE")
    codes = dict(await db.fetch("SELECT id, code FROM locations"))
    web, pos = await channel(db, "WEB"), await channel(db, "POS")
    c1, c2, c3 = await customer(db), await customer(db), await customer(db)
    c4 = await customer(db, merged_into=c1)  # its orders are c1's

    o1 = await order(db, web, 10_000, c1, minutes_ago=90)
    await order(db, pos, 5_000, c1)
    await order(db, pos, 1_000, c4)
    o3 = await order(db, web, 4_000, c2, minutes_ago=10)
    o4 = await order(db, web, 2_000, c2)
    o5 = await order(db, web, 3_000, c3, minutes_ago=180)
    await order(db, web, 9_999, c3, status="CANCELLED")  # not value
    await order(db, web, 700)  # a guest nobody recognised
    await order(db, web, 800, minutes_ago=60 * 24 * 40)  # outside the 30-day window

    # Pickups: ready after 90 min then collected; ready after 10 min then missed (the
    # sweeper cancels it); ready at once after 3 h (placed as ready), still waiting.
    f1 = await fulfillment(db, o1, store_a)
    await move(db, f1, "PICKING")
    await move(db, f1, "READY_FOR_PICKUP")
    await move(db, f1, "PICKED_UP")
    f2 = await fulfillment(db, o3, store_a)
    await move(db, f2, "READY_FOR_PICKUP")
    await move(db, f2, "CANCELLED")
    await fulfillment(db, o5, store_b, status="READY_FOR_PICKUP")
    never_ready = await fulfillment(db, o4, warehouse, method="SHIP")
    await move(db, never_ready, "SHIPPED")

    # Returns: bought online and shipped, brought back to a store (cross-channel); picked
    # up at a store and brought back there (same channel).
    await received_return(db, o4, store_a, 1_000)
    await received_return(db, o1, store_a, 0)

    ready_at = await db.fetchval("SELECT ready_at FROM fulfillments WHERE id = $1", f1)
    assert ready_at is not None  # set by the database on the transition
    assert await db.fetchval("SELECT ready_at FROM fulfillments WHERE id = $1", never_ready) is None

    settings = env.settings(business_sli_interval_seconds=0.1)
    async with app_client(settings, lifespan=True) as client:
        text = ""
        async with asyncio.timeout(15):
            while value(text, "ucg_identity_match_ratio") == 0:
                await asyncio.sleep(0.05)
                text = (await client.get("/metrics")).text

    a, b = codes[store_a], codes[store_b]
    ready = "ucg_bopis_ready_seconds"
    assert value(text, f"{ready}_count", store=a) == 2
    assert 5_990 <= value(text, f"{ready}_sum", store=a) <= 6_100  # 600 s + 5400 s
    assert value(text, f"{ready}_bucket", store=a, le="300.0") == 0
    assert value(text, f"{ready}_bucket", store=a, le="900.0") == 1
    assert value(text, f"{ready}_bucket", store=a, le="3600.0") == 1
    assert value(text, f"{ready}_bucket", store=a, le="7200.0") == 2
    assert value(text, f"{ready}_bucket", store=a, le="+Inf") == 2
    assert value(text, f"{ready}_bucket", store=b, le="7200.0") == 0
    assert value(text, f"{ready}_bucket", store=b, le="14400.0") == 1
    assert not any(
        labels and dict(labels).get("store") == codes[warehouse] for _, labels in samples(text)
    )

    assert value(text, "ucg_pickups_ended_total", store=a, outcome="picked_up") == 1
    assert value(text, "ucg_pickups_ended_total", store=a, outcome="no_show") == 1
    assert value(text, "ucg_pickup_no_show_ratio", store=a) == 0.5
    assert (("ucg_pickup_no_show_ratio", frozenset({("store", b)}))) not in samples(text)

    assert value(text, "ucg_identity_match_ratio") == 7 / 8  # 7 of the window's 8 orders
    assert value(text, "ucg_cross_channel_return_ratio") == 0.5

    ltv = "ucg_customer_lifetime_value_minor"
    assert value(text, ltv, segment="omnichannel", currency="EUR") == 16_000
    assert value(text, ltv, segment="single_channel", currency="EUR") == 4_000  # (5000+3000)/2
    customers = "ucg_customers_with_orders"
    assert value(text, customers, segment="omnichannel", currency="EUR") == 1
    assert value(text, customers, segment="single_channel", currency="EUR") == 2
