"""Checkout throughput: orders/s and latency of `complete_checkout`, hot SKU and distinct
SKUs, against a same-run pgbench baseline of the bare SQL of an order.

    python bench/checkout.py [--orders 400] [--concurrency 32] [--latency-ms 50]

Runs in process (the use-case, no HTTP/GraphQL) on a fresh database `bench_checkout`
of UCG_DATABASE_URL, or of an embedded Postgres it starts when that is unset. Every
payment call waits `--latency-ms` first (a PSP round trip) in both versions of the
code. The baseline is pgbench running, per order, one transaction: take a unit of the
SKU's stock row, insert the order, its line and its payment (no payment round trip):
what the database alone allows for that row.

Before/after: run it with the code of another commit first on PYTHONPATH, e.g.
`git archive <commit> | tar -x -C /tmp/before && PYTHONPATH=/tmp/before python
bench/checkout.py`; it adapts to the older `complete_checkout(uow, ...)` signature
(one transaction around the whole checkout, payment call inside).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from datasources.postgres.migrations import migrate
from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from domain.order import checkout
from domain.order.routing import FulfillmentMethod

SHIP = checkout.FulfillmentChoice(
    FulfillmentMethod.SHIP, address={"line1": "Damrak 1", "city": "Amsterdam"}
)
NEW_FLOW = "uows" in inspect.signature(checkout.complete_checkout).parameters


class Latency:
    """Any payment gateway, with a round trip before each call."""

    def __init__(self, inner: Any, seconds: float) -> None:
        self._inner, self._seconds = inner, seconds

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._inner, name)

        async def delayed(*args: Any) -> Any:
            await asyncio.sleep(self._seconds)
            return await call(*args)

        return delayed


def gateway(pool: asyncpg.Pool[Any], latency: float) -> Any:
    try:
        from datasources.payments.postgres_provider import PostgresTestProvider

        inner: Any = PostgresTestProvider(pool)
    except ImportError:  # the code before payments were durable
        from datasources.payments.test_provider import TestPaymentProvider

        inner = TestPaymentProvider()
    return Latency(inner, latency)


async def setup(db: asyncpg.Connection[Any], skus: int, units: int, carts: int) -> Any:
    channel = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ($1, 'Web', 'EUR') RETURNING id",
        f"B{uuid.uuid4().hex[:8]}".upper(),
    )
    location = await db.fetchval(
        "INSERT INTO locations (code, name, kind, latitude, longitude, can_pickup, can_ship) "
        "VALUES ($1, 'Bench DC', 'WAREHOUSE', 52.37, 4.89, false, true) RETURNING id",
        f"L{uuid.uuid4().hex[:8]}",
    )
    variants = []
    for _ in range(skus):
        sku = f"BENCH-{uuid.uuid4().hex[:10]}"
        product = await db.fetchval(
            "INSERT INTO products (handle, title, status) VALUES ($1, $1, 'ACTIVE') RETURNING id",
            sku.lower(),
        )
        variant = await db.fetchval(
            "INSERT INTO variants (product_id, sku, title) VALUES ($1, $2, 'Default') RETURNING id",
            product,
            sku,
        )
        await db.execute(
            "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
            "VALUES ($1, $2, 'EUR', 1999)",
            variant,
            channel,
        )
        await db.execute(
            "INSERT INTO stock_levels (sku, location_id, on_hand) VALUES ($1, $2, $3)",
            sku,
            location,
            units,
        )
        await db.execute(
            "INSERT INTO stock_movements (sku, location_id, delta, reason, source) "
            "VALUES ($1, $2, $3, 'RECEIVED', 'bench')",
            sku,
            location,
            units,
        )
        variants.append((variant, sku))
    ids = [uuid.uuid4() for _ in range(carts)]
    await db.executemany(
        "INSERT INTO carts (id, channel_id, currency_code) VALUES ($1, $2, 'EUR')",
        [(i, channel) for i in ids],
    )
    await db.executemany(
        "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, 1)",
        [(i, variants[n % skus][0]) for n, i in enumerate(ids)],
    )
    return channel, location, [sku for _, sku in variants], ids


async def place(pool: asyncpg.Pool[Any], payments: Any, cart: uuid.UUID) -> None:
    args: dict[str, Any] = {
        "cart_id": cart,
        "choice": SHIP,
        "card_token": "tok_visa",
        "idempotency_key": f"bench-{cart}",
        "now": datetime.now(UTC),
    }
    if NEW_FLOW:
        await checkout.complete_checkout(lambda: UnitOfWork(pool), None, payments, **args)
    else:
        async with UnitOfWork(pool) as uow:
            await checkout.complete_checkout(uow, None, payments, **args)


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "orders_per_s": len(ordered) / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


async def run_checkouts(
    dsn: str, skus: int, orders: int, concurrency: int, latency: float
) -> dict[str, float]:
    db = await asyncpg.connect(dsn)
    try:
        _, _, _, carts = await setup(db, skus, orders, orders)
    finally:
        await db.close()
    pool = await create_pool(dsn, min_size=concurrency, max_size=concurrency + 4)
    payments = gateway(pool, latency)
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(cart: uuid.UUID) -> None:
        async with gate:
            start = time.perf_counter()
            await place(pool, payments, cart)
            latencies.append(time.perf_counter() - start)

    try:
        began = time.perf_counter()
        await asyncio.gather(*(one(c) for c in carts))
        wall = time.perf_counter() - began
        placed = await pool.fetchval("SELECT count(*) FROM orders WHERE cart_id = ANY($1)", carts)
        assert placed == orders, (placed, orders)
    finally:
        await pool.close()
    return summary(latencies, wall)


PGBENCH_SQL = """\\set n random(0, {last})
BEGIN;
UPDATE stock_levels SET on_hand = on_hand - 1, version = version + 1, updated_at = now()
  WHERE location_id = '{location}' AND sku = (ARRAY[{skus}])[:n % {count} + 1] AND on_hand > 0;
INSERT INTO stock_movements (sku, location_id, delta, reason, source)
  VALUES ((ARRAY[{skus}])[:n % {count} + 1], '{location}', -1, 'SOLD', 'pgbench');
WITH o AS (INSERT INTO orders (channel_id, currency_code, total_minor, status)
           VALUES ('{channel}', 'EUR', 2494, 'UNFULFILLED') RETURNING id),
     l AS (INSERT INTO order_lines (order_id, position, variant_id, sku, quantity,
                                    unit_price_minor, total_minor)
           SELECT o.id, 0, v.id, v.sku, 1, 1999, 1999 FROM o, variants v
           WHERE v.sku = (ARRAY[{skus}])[:n % {count} + 1] RETURNING order_id)
INSERT INTO payments (order_id, provider, authorization_id, status, currency_code,
                      amount_minor, owed_minor)
  SELECT order_id, 'bench', 'auth', 'AUTHORIZED', 'EUR', 2494, 2494 FROM l;
COMMIT;
"""


def pgbench_binary() -> str:
    try:
        from datasources.embedded import _postgres_bin_dir

        candidate = _postgres_bin_dir() / "pgbench"
        if candidate.exists():
            return str(candidate)
    except Exception:  # noqa: BLE001 - fall back to the one on PATH
        pass
    found = shutil.which("pgbench")
    assert found, "pgbench not found"
    return found


async def pgbench_stock(dsn: str, skus: int, units: int) -> tuple[Any, Any, list[str]]:
    db = await asyncpg.connect(dsn)
    try:
        channel, location, names, _ = await setup(db, skus, units, 0)
    finally:
        await db.close()
    return channel, location, names


def run_pgbench(dsn: str, skus: int, concurrency: int, seconds: int) -> dict[str, float]:
    channel, location, names = asyncio.run(pgbench_stock(dsn, skus, 10**7))
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-pgbench-"))
    script = workdir / "order.sql"
    quoted = ", ".join(f"'{s}'" for s in names)
    script.write_text(
        PGBENCH_SQL.format(
            last=10**6, skus=quoted, count=len(names), location=location, channel=channel
        )
    )
    command = [pgbench_binary(), "-n", "-c", str(concurrency), "-j", "2", "-T", str(seconds)]
    command += ["-f", str(script), "-l", "--log-prefix", str(workdir / "log"), dsn]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latencies = []
    for log in workdir.glob("log*"):
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1e6)
    shutil.rmtree(workdir, ignore_errors=True)
    result = summary(latencies, 1.0)
    result["orders_per_s"] = tps
    return result


def fresh_database(admin_dsn: str, name: str) -> str:
    async def create() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    base, _, _ = admin_dsn.rpartition("/")
    dsn = f"{base}/{name}"
    asyncio.run(migrate(dsn))
    return dsn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    args = parser.parse_args()
    servers = None
    admin = os.environ.get("UCG_DATABASE_URL")
    if admin is None:
        from datasources.embedded import EmbeddedServers

        servers = EmbeddedServers(
            pathlib.Path(tempfile.mkdtemp(prefix="bench-checkout-")),
            redis_url="redis://unused",
            kafka_bootstrap_servers="unused:9092",
        )
        admin = servers.start().database_url
    try:
        dsn = fresh_database(admin, "bench_checkout")
        print(f"code: {'payment outside the transaction' if NEW_FLOW else 'payment inside'}")
        print(f"orders {args.orders}, concurrency {args.concurrency}, PSP {args.latency_ms} ms")
        print(
            "| scenario | orders/s | p50 ms | p99 ms | pgbench orders/s | pgbench p99 ms | ratio |"
        )
        print("|---|---|---|---|---|---|---|")
        for name, skus in (("hot SKU", 1), ("distinct SKUs", args.concurrency)):
            ours = asyncio.run(
                run_checkouts(dsn, skus, args.orders, args.concurrency, args.latency_ms / 1000)
            )
            base = run_pgbench(dsn, skus, args.concurrency, args.pgbench_seconds)
            print(
                f"| {name} | {ours['orders_per_s']:.1f} | {ours['p50_ms']:.0f} | "
                f"{ours['p99_ms']:.0f} | {base['orders_per_s']:.0f} | {base['p99_ms']:.1f} | "
                f"{base['orders_per_s'] / ours['orders_per_s']:.1f}x |",
                flush=True,
            )
    finally:
        if servers is not None:
            servers.stop()


if __name__ == "__main__":
    main()
