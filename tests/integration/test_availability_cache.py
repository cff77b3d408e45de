"""Every path that changes stock drops the cached `availability:<sku>` snapshot.

The API process's event hub runs an invalidator for each `stock_changed` event, whichever
process or code path wrote it: checkout, cancel, a received return, reservation expiry.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from datasources.redis.client import create_redis
from domain.inventory.rules import ReservationLine
from domain.inventory.services import release_expired_reservations, reserve
from tests.conftest import TestEnv
from tests.helpers import app_client, graphql, unique
from tests.live import wait_until
from tests.order_helpers import Sale, make_sale
from tests.return_helpers import create_return, picked_up_order, place_order, receive_return

AVAILABLE = "query($skus: [String!]!) { availability(skus: $skus) { available } }"
CANCEL = """mutation($id: ID!, $key: String) {
  orderCancel(orderId: $id, reason: CUSTOMER_REQUEST, idempotencyKey: $key) {
    userErrors { code } } }"""


class Cache:
    def __init__(self, env: TestEnv, client: httpx.AsyncClient, sale: Sale) -> None:
        self.key = f"{env.settings().cache_key_prefix}availability:{sale.sku}"
        self.client, self.sku, self.redis = client, sale.sku, create_redis(env.servers.redis_url)

    async def warm(self) -> int:
        """Read availability (filling the cache); the units available."""
        body = await graphql(self.client, AVAILABLE, {"skus": [self.sku]})
        assert await self.redis.exists(self.key), "the read filled the cache"
        return int(sum(row["available"] for row in body["data"]["availability"]))

    async def dropped(self) -> None:
        async def gone() -> bool:
            return not await self.redis.exists(self.key)

        await wait_until(gone, within=10, what=f"{self.key} dropped")


async def test_checkout_cancel_and_return_each_drop_the_cached_availability(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 10, kind="STORE")
    async with app_client(settings, lifespan=True) as client:
        await _checkout_cancel_and_return(env, client, db, sale)


async def _checkout_cancel_and_return(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any], sale: Sale
) -> None:
    settings = env.settings()
    cache = Cache(env, client, sale)
    try:
        assert await cache.warm() == 10
        order = await place_order(client, db, settings, sale, qty=2)
        await cache.dropped()
        assert await cache.warm() == 8

        cancelled = await graphql(
            client, CANCEL, {"id": order.id, "key": unique("c-")}, token=order.token
        )
        assert cancelled["data"]["orderCancel"]["userErrors"] == []
        await cache.dropped()
        assert await cache.warm() == 10

        collected = await picked_up_order(client, db, settings, sale, qty=3)
        await cache.dropped()
        assert await cache.warm() == 7
        created = await create_return(client, collected, 1)
        received = await receive_return(client, settings, created["return"]["id"], sale.location)
        assert received["userErrors"] == []
        await cache.dropped()
        assert await cache.warm() == 8
    finally:
        await cache.redis.aclose()


async def test_an_expired_reservation_drops_the_cached_availability(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 4)
    # The test releases the expired hold itself: the app's sweeper must not get there first.
    settings = env.settings(reservation_sweeper_enabled=False)
    async with app_client(settings, lifespan=True) as client:
        await _expiry(env, client, sale)


async def _expiry(env: TestEnv, client: httpx.AsyncClient, sale: Sale) -> None:
    cache = Cache(env, client, sale)
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        assert await cache.warm() == 4
        async with UnitOfWork(pool) as uow:
            await reserve(
                uow, [ReservationLine(sale.sku, 3)], location_id=sale.location, ttl_seconds=0.2
            )
        # The reservation's own stock change drops the snapshot first (waited for, not
        # slept on: a fill before its fan-out would be dropped under the next read).
        await cache.dropped()
        assert await cache.warm() == 1
        await asyncio.sleep(0.3)  # past the hold's 0.2 s: expired, so the release takes it
        async with UnitOfWork(pool) as uow:
            assert await release_expired_reservations(uow) == 1
        await cache.dropped()
        assert await cache.warm() == 4
    finally:
        await pool.close()
        await cache.redis.aclose()
