"""No oversell: many buyers race for few units with real parallel connections."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

import asyncpg
import pytest

from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError, ErrorCode
from domain.inventory.models import ReservationStatus
from domain.inventory.rules import ReservationLine
from domain.inventory.services import (
    commit_reservation,
    release_expired_reservations,
    release_reservation,
    reserve,
)
from tests.conftest import ROOT, TestEnv
from tests.integration.buyers import buy
from tests.stock_helpers import assert_ledger_matches, make_location, make_variant, receive


async def _level(db: asyncpg.Connection[Any], sku: str, location_id: uuid.UUID) -> Any:
    return await db.fetchrow(
        "SELECT on_hand, reserved, safety_stock FROM stock_levels WHERE sku = $1 AND location_id = $2",
        sku,
        location_id,
    )


class AvailabilityWatch:
    """Polls available on its own connection while buyers race; records the lowest seen."""

    def __init__(self, dsn: str, sku: str, location_id: uuid.UUID) -> None:
        self.dsn, self.sku, self.location_id = dsn, sku, location_id
        self.lowest: int | None = None
        self._stop = asyncio.Event()

    async def run(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            while not self._stop.is_set():
                value = await conn.fetchval(
                    "SELECT on_hand - reserved - safety_stock FROM stock_levels "
                    "WHERE sku = $1 AND location_id = $2",
                    self.sku,
                    self.location_id,
                )
                self.lowest = value if self.lowest is None else min(self.lowest, value)
                await asyncio.sleep(0)
        finally:
            await conn.close()

    def stop(self) -> None:
        self._stop.set()


async def test_200_buyers_50_units_one_event_loop(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 52, safety_stock=2)
    watch = AvailabilityWatch(env.database_url, sku, location)
    watcher = asyncio.create_task(watch.run())
    counts = await buy(env.database_url, sku, location, 200)
    watch.stop()
    await watcher
    assert counts == {"reserved": 50, "refused": 150}
    level = await _level(db, sku, location)
    assert (level["on_hand"], level["reserved"]) == (52, 50)
    assert watch.lowest is not None and watch.lowest >= 0
    assert (
        await db.fetchval("SELECT sum(quantity) FROM reservation_lines WHERE sku = $1", sku) == 50
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'ucg.inventory.stock_changed.v1'"
        )
        == 50
    )
    await assert_ledger_matches(db)


@pytest.mark.slow
async def test_200_buyers_50_units_four_processes(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 50)
    watch = AvailabilityWatch(env.database_url, sku, location)
    watcher = asyncio.create_task(watch.run())
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.buyers",
            env.database_url,
            sku,
            str(location),
            "50",
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outputs = await asyncio.gather(*(p.communicate() for p in processes))
    watch.stop()
    await watcher
    assert [p.returncode for p in processes] == [0, 0, 0, 0]
    results = [json.loads(out) for out, _ in outputs]
    assert sum(r["reserved"] for r in results) == 50
    assert sum(r["refused"] for r in results) == 150
    level = await _level(db, sku, location)
    assert (level["on_hand"], level["reserved"]) == (50, 50)
    assert watch.lowest is not None and watch.lowest >= 0
    await assert_ledger_matches(db)


async def test_multi_line_reservation_is_all_or_nothing(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    location = await make_location(db)
    plenty, scarce = await make_variant(db), await make_variant(db)
    await receive(db, plenty, location, 10)
    await receive(db, scarce, location, 1)
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        with pytest.raises(DomainError) as raised:
            async with UnitOfWork(pool) as uow:
                await reserve(
                    uow,
                    [ReservationLine(plenty, 3), ReservationLine(scarce, 2)],
                    location_id=None,
                    ttl_seconds=60,
                )
        assert raised.value.code is ErrorCode.OUT_OF_STOCK
        assert raised.value.field == ["lines", "1"]
        assert (await _level(db, plenty, location))["reserved"] == 0
        assert await db.fetchval("SELECT count(*) FROM reservations") == 0
    finally:
        await pool.close()


async def test_best_location_prefers_one_that_serves_every_line(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    small, big = await make_location(db), await make_location(db)
    a, b = await make_variant(db), await make_variant(db)
    await receive(db, a, small, 5)
    await receive(db, a, big, 3)
    await receive(db, b, big, 3)
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        async with UnitOfWork(pool) as uow:
            reservation = await reserve(
                uow,
                [ReservationLine(a, 2), ReservationLine(b, 1)],
                location_id=None,
                ttl_seconds=60,
            )
        assert {line.location_id for line in reservation.lines} == {big}
    finally:
        await pool.close()


async def test_commit_sells_and_release_returns(env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 10)
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        async with UnitOfWork(pool) as uow:
            sold = await reserve(
                uow, [ReservationLine(sku, 3)], location_id=location, ttl_seconds=60
            )
        async with UnitOfWork(pool) as uow:
            kept = await reserve(
                uow, [ReservationLine(sku, 2)], location_id=location, ttl_seconds=60
            )
        assert (await _level(db, sku, location))["reserved"] == 5
        async with UnitOfWork(pool) as uow:
            committed = await commit_reservation(uow, sold.id)
        assert committed.status is ReservationStatus.COMMITTED
        async with UnitOfWork(pool) as uow:
            await release_reservation(uow, kept.id)
        async with UnitOfWork(pool) as uow:  # releasing twice changes nothing
            again = await release_reservation(uow, kept.id)
        assert again.status is ReservationStatus.RELEASED
        level = await _level(db, sku, location)
        assert (level["on_hand"], level["reserved"]) == (7, 0)
        with pytest.raises(DomainError):
            async with UnitOfWork(pool) as uow:
                await commit_reservation(uow, kept.id)
        await assert_ledger_matches(db)
        sequences = await db.fetch(
            "SELECT sequence FROM outbox WHERE aggregate_id = $1 ORDER BY id", f"{sku}@{location}"
        )
        assert [r["sequence"] for r in sequences] == [1, 2, 3, 4]
    finally:
        await pool.close()


async def test_sweeper_releases_expired_reservations(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    from datasources.postgres.sweeper import ReservationSweeper

    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 4)
    pool = await create_pool(env.database_url, min_size=1, max_size=4)
    sweeper = ReservationSweeper(pool, interval_seconds=0.05)
    task = asyncio.create_task(sweeper.run())
    try:
        async with UnitOfWork(pool) as uow:
            short = await reserve(
                uow, [ReservationLine(sku, 3)], location_id=location, ttl_seconds=0.3
            )
        async with UnitOfWork(pool) as uow:
            long = await reserve(
                uow, [ReservationLine(sku, 1)], location_id=location, ttl_seconds=600
            )
        async with asyncio.timeout(15):
            while True:
                status = await db.fetchval(
                    "SELECT status FROM reservations WHERE id = $1", short.id
                )
                if status == "EXPIRED":
                    break
                await asyncio.sleep(0.02)
        assert (
            await db.fetchval("SELECT status FROM reservations WHERE id = $1", long.id) == "ACTIVE"
        )
        assert (await _level(db, sku, location))["reserved"] == 1
    finally:
        sweeper.stop()
        await task
        await pool.close()


async def test_two_sweepers_never_release_twice(env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    location = await make_location(db)
    sku = await make_variant(db)
    await receive(db, sku, location, 20)
    pool = await create_pool(env.database_url, min_size=2, max_size=6)
    try:
        for _ in range(10):
            async with UnitOfWork(pool) as uow:
                await reserve(
                    uow, [ReservationLine(sku, 2)], location_id=location, ttl_seconds=0.01
                )
        await db.execute("UPDATE reservations SET expires_at = now() - interval '1 second'")

        async def sweep() -> int:
            async with UnitOfWork(pool) as uow:
                return await release_expired_reservations(uow)

        released = await asyncio.gather(*(sweep() for _ in range(4)))
        assert sum(released) == 10
        assert (await _level(db, sku, location))["reserved"] == 0
    finally:
        await pool.close()
