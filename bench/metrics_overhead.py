"""What the metrics cost on the hot path: the trivial query and the product page, metrics on
vs off, in one run (rounds interleaved, so both see the same machine).

    python bench/metrics_overhead.py [--rounds 20] [--requests 200] [--first 20]

Uses UCG_DATABASE_URL and UCG_REDIS_URL (migrated, seeded with `ucg seed --demo`) when
set; otherwise starts embedded servers in a temporary directory, migrates and seeds them.
The app runs in process behind httpx's ASGI transport (the whole /graphql path: view,
extensions, resolvers, DataLoaders, SQL), one request at a time. "Off" is what
UCG_METRICS_ENABLED=false does on the hot path: the operation extension records nothing
and no statement is tallied (asyncpg's query logger is detached).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from api.settings import Settings
from resolvers.metrics import set_recording

TRIVIAL = "query Trivial { __typename }"
PRODUCT_PAGE = """query ProductPage($first: Int!) { products(first: $first) { edges { cursor node {
  id handle title status
  variants { id sku title availability stockLevels { available onHand location { code } } }
} } pageInfo { hasNextPage endCursor } } }"""


async def measure(args: argparse.Namespace, settings: Settings) -> None:
    app = create_app(settings)
    resources = app.state.services
    await resources.start()
    transport = httpx.ASGITransport(app=app)
    cases = {
        "trivial": {"query": TRIVIAL},
        "product page": {"query": PRODUCT_PAGE, "variables": {"first": args.first}},
    }
    wall: dict[tuple[str, bool], list[float]] = {
        (case, on): [] for case in cases for on in (True, False)
    }
    cpu: dict[tuple[str, bool], list[float]] = {key: [] for key in wall}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def run(body: dict[str, Any], n: int) -> tuple[float, float]:
                """Microseconds per request: wall clock, and this process's CPU time (what
                the other processes on a shared box do not inflate)."""
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(n):
                    response = await client.post("/graphql", json=body)
                    assert response.status_code == 200 and "errors" not in response.json()
                elapsed, used = time.perf_counter() - start, time.process_time() - start_cpu
                return elapsed / n * 1e6, used / n * 1e6

            for on in (True, False):  # warm up both paths
                set_recording(on)
                for body in cases.values():
                    await run(body, 50)
            for round_number in range(args.rounds):
                # Alternate which goes first, so drift (GC, caches) hits both alike.
                order = (True, False) if round_number % 2 == 0 else (False, True)
                for case, body in cases.items():
                    for on in order:
                        set_recording(on)
                        elapsed, used = await run(body, args.requests)
                        wall[(case, on)].append(elapsed)
                        cpu[(case, on)].append(used)
    finally:
        set_recording(True)
        await resources.close()
    print(
        f"{args.rounds} rounds x {args.requests} sequential requests per case and setting "
        f"(product page: products(first: {args.first}) with variants and stock)"
    )
    print(f"{'case':22s} {'metrics on':>12s} {'metrics off':>12s} {'overhead':>9s}")
    for label, table in (("wall", wall), ("CPU of ucg", cpu)):
        for case in cases:
            on = statistics.median(table[(case, True)])
            off = statistics.median(table[(case, False)])
            name = f"{case} ({label})"
            print(f"{name:22s} {on:9.0f} us {off:9.0f} us {(on / off - 1) * 100:8.1f}%")


def settings_for(urls: dict[str, str]) -> Settings:
    return Settings(
        database_url=urls["database_url"],
        redis_url=urls["redis_url"],
        kafka_bootstrap_servers=urls["kafka_bootstrap_servers"],
        relay_enabled=False,
        reservation_sweeper_enabled=False,
        rate_limit_enabled=False,
    )  # type: ignore[call-arg]


async def prepare(database_url: str) -> None:
    from datasources.postgres.migrations import migrate
    from datasources.postgres.seed import seed_demo

    await migrate(database_url)
    await seed_demo(database_url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--first", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if os.environ.get("UCG_DATABASE_URL") and os.environ.get("UCG_REDIS_URL"):
        urls = {
            "database_url": os.environ["UCG_DATABASE_URL"],
            "redis_url": os.environ["UCG_REDIS_URL"],
            "kafka_bootstrap_servers": os.environ.get("UCG_KAFKA_BOOTSTRAP_SERVERS", ""),
        }
        asyncio.run(measure(args, settings_for(urls)))
        return
    from datasources.embedded import EmbeddedServers

    with tempfile.TemporaryDirectory(prefix="ucg-bench-") as workdir:
        servers = EmbeddedServers(Path(workdir), durable=False)
        with servers:
            started = servers.start()
            urls = {
                "database_url": started.database_url,
                "redis_url": started.redis_url,
                "kafka_bootstrap_servers": started.kafka_bootstrap_servers,
            }
            asyncio.run(prepare(urls["database_url"]))
            asyncio.run(measure(args, settings_for(urls)))


if __name__ == "__main__":
    main()
