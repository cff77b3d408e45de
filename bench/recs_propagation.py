"""Propagation benchmark (issue 16 item 6): an interaction on one channel -> FOR_YOU on another.

    .venv/bin/python bench/recs_propagation.py [--rate 200] [--probes 60] [--batch 5]

Starts what it needs: Postgres/Redis/Kafka from the UCG_* URLs or embedded ones, a fresh
database with the demo data, one `ucg serve` process (relay and the profile consumer group
inside, UCG_CONSUMERS_ENABLED). Background load: `--rate` interactions a second sent with
`interactionsTrack` over HTTP (batches of `--batch`, product views and cart adds of 500
devices on WEB). Every `--gap` seconds a probe: a new device views a product on WEB
(interactionsTrack over HTTP, timed from the moment its response came back, i.e. the
interaction is committed), then both of these are polled every `--poll` seconds:

* ucg: `productRecommendations(intent: FOR_YOU, channel: "APP", shopper: {deviceId})` over
  HTTP until its first item is no longer a BEST_SELLER (the profile now speaks);
* baseline, same run: the device's `customer_profiles` row read straight from Postgres
  (outbox -> relay -> Kafka -> consumer -> commit, without the GraphQL read).

Prints p50/p90/p99/max of both, the interaction rate achieved and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datasources.embedded import EmbeddedServers, free_port  # noqa: E402
from datasources.postgres.migrations import migrate  # noqa: E402
from datasources.postgres.seed import demo_catalog, seed_demo  # noqa: E402
from domain.ids import to_global_id  # noqa: E402

TRACK = """mutation($e: [InteractionInput!]!) {
  interactionsTrack(events: $e, anonymousConsent: true) { accepted userErrors { code } } }"""
FOR_YOU = """query($d: String!) {
  productRecommendations(intent: FOR_YOU, first: 10, channel: "APP", shopper: {deviceId: $d}) {
    reason } }"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p90_ms": round(percentile(ms, 90), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
    }


def view(product: str, device: str, kind: str = "PRODUCT_VIEWED") -> dict[str, Any]:
    return {
        "type": kind,
        "channel": "WEB",
        "occurredAt": datetime.now(UTC).isoformat(),
        "deviceId": device,
        "productId": product,
    }


class Load:
    """`rate` interactions a second in batches, paced by the clock (not by responses)."""

    def __init__(self, url: str, products: list[str], rate: float, batch: int) -> None:
        self.url, self.products, self.rate, self.batch = url, products, rate, batch
        self.sent = 0
        self.failed = 0
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, http: httpx.AsyncClient) -> None:
        rng = random.Random(1)
        interval = self.batch / self.rate
        start = time.monotonic()
        n = 0
        while not self._stop.is_set():
            # One shopper's batch, as a storefront sends it (a batch of several shoppers'
            # events takes their event sequences in random order: deadlocks at this rate).
            device = f"load-{rng.randrange(500)}"
            events = [
                view(
                    rng.choice(self.products),
                    device,
                    rng.choice(["PRODUCT_VIEWED"] * 4 + ["ADDED_TO_CART"]),
                )
                for _ in range(self.batch)
            ]
            task = asyncio.create_task(self._send(http, events))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            n += 1
            await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))

    async def _send(self, http: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
        try:
            r = await http.post(
                f"{self.url}/graphql", json={"query": TRACK, "variables": {"e": events}}
            )
            body = r.json()
            self.sent += body["data"]["interactionsTrack"]["accepted"]
        except Exception:  # noqa: BLE001 - counted, the load goes on
            self.failed += 1

    def stop(self) -> None:
        self._stop.set()


async def probe(
    http: httpx.AsyncClient,
    url: str,
    pool: asyncpg.Pool[Any],
    product: str,
    poll: float,
    limit_s: float,
) -> tuple[float | None, float | None, float | None]:
    """Seconds until the profile row exists, until FOR_YOU reflects the view (None: not
    within `limit_s`) and from the event's transaction to its publish by the relay."""
    device = f"probe-{uuid.uuid4()}"
    r = await http.post(
        f"{url}/graphql", json={"query": TRACK, "variables": {"e": [view(product, device)]}}
    )
    assert r.json()["data"]["interactionsTrack"]["accepted"] == 1, r.text
    t0 = time.monotonic()

    async def row() -> float:
        while True:
            if await pool.fetchval(
                "SELECT 1 FROM customer_profiles WHERE subject = $1", f"device:{device}"
            ):
                return time.monotonic() - t0
            await asyncio.sleep(poll)

    async def relayed() -> float | None:
        """The relay's share: the outbox row's publish time after its transaction began
        (None: no published row, counted as a missed probe)."""
        lag = await pool.fetchval(
            "SELECT extract(epoch FROM published_at - created_at) FROM outbox"
            " WHERE aggregate_type = 'Shopper' AND aggregate_id = $1",
            f"device:{device}",
        )
        return None if lag is None else float(lag)

    async def for_you() -> float:
        while True:
            try:
                r = await http.post(
                    f"{url}/graphql", json={"query": FOR_YOU, "variables": {"d": device}}
                )
                items = r.json()["data"]["productRecommendations"]
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                items = None  # a dropped keep-alive connection or an overloaded server: again
            if items and items[0]["reason"] != "BEST_SELLER":
                return time.monotonic() - t0
            await asyncio.sleep(poll)

    try:
        db, api = await asyncio.wait_for(asyncio.gather(row(), for_you()), limit_s)
    except TimeoutError:
        return None, None, None
    return db, api, await relayed()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200, help="interactions a second")
    parser.add_argument("--batch", type=int, default=5, help="interactions per call")
    parser.add_argument("--probes", type=int, default=60)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between probes")
    parser.add_argument("--poll", type=float, default=0.01, help="poll interval, seconds")
    parser.add_argument("--timeout", type=float, default=20.0, help="a probe's limit, s")
    parser.add_argument(
        "--max-poll-records", type=int, default=100, help="the consumers' batch limit"
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load first")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ucg-bench-"))
    servers = EmbeddedServers(
        workdir,
        database_url=os.environ.get("UCG_DATABASE_URL"),
        redis_url=os.environ.get("UCG_REDIS_URL"),
        kafka_bootstrap_servers=os.environ.get("UCG_KAFKA_BOOTSTRAP_SERVERS"),
    )
    with servers:
        urls = servers.start()
        name = f"ucg_bench_{os.getpid()}"
        admin = await asyncpg.connect(urls.database_url)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        database_url = urls.database_url.rsplit("/", 1)[0] + f"/{name}"
        await migrate(database_url)
        await seed_demo(database_url)
        products = [to_global_id("Product", p[0]) for p in demo_catalog()[0]]
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("UCG_")}
        env.update(
            UCG_DATABASE_URL=database_url,
            UCG_REDIS_URL=urls.redis_url,
            UCG_KAFKA_BOOTSTRAP_SERVERS=urls.kafka_bootstrap_servers,
            UCG_KAFKA_TOPIC_PREFIX=f"bench{os.getpid()}.",
            UCG_PORT=str(port),
            UCG_WORKERS="1",  # one process (and one profile consumer), as measured
            UCG_LOG_LEVEL="WARNING",
            UCG_CONSUMERS_ENABLED="true",
            UCG_RATE_LIMIT_ENABLED="false",
            UCG_INTERACTION_RATE_CAPACITY="100000",
            UCG_INTERACTION_RATE_PER_SECOND="100000",
            UCG_KAFKA_CONSUMER_MAX_POLL_RECORDS=str(args.max_poll_records),
        )
        server = subprocess.Popen(  # noqa: ASYNC220 - started once, before timing
            [sys.executable, "-m", "entrypoints.cli", "serve"], env=env, cwd=ROOT
        )
        url = f"http://127.0.0.1:{port}"
        pool = await create_pool(database_url)
        try:
            limits = httpx.Limits(max_connections=64)
            async with httpx.AsyncClient(timeout=30, limits=limits) as http:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if (await http.get(f"{url}/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise TimeoutError("ucg serve did not start")
                    await asyncio.sleep(0.2)
                load = Load(url, products, args.rate, args.batch)
                load_task = asyncio.create_task(load.run(http))
                await asyncio.sleep(args.warmup)
                sent_before, started = load.sent, time.monotonic()
                folded_before = await folded(pool)
                db_times: list[float] = []
                api_times: list[float] = []
                relay_times: list[float] = []
                missed = 0
                rng = random.Random(2)
                for _ in range(args.probes):
                    product = rng.choice(products)
                    db, api, relay = await probe(http, url, pool, product, args.poll, args.timeout)
                    if db is None or api is None or relay is None:
                        missed += 1
                    else:
                        db_times.append(db)
                        api_times.append(api)
                        relay_times.append(relay)
                    await asyncio.sleep(args.gap)
                elapsed = time.monotonic() - started
                achieved = (load.sent - sent_before) / elapsed
                folded_rate = (await folded(pool) - folded_before) / elapsed
                load.stop()
                await load_task
            results = {
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
                "python": platform.python_version(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "interactions_per_s_target": args.rate,
                "interactions_per_s_achieved": round(achieved, 1),
                "load_failures": load.failed,
                "profile_updates_per_s": round(folded_rate, 1),
                "probes_missed": f"{missed} of {args.probes} (not within {args.timeout} s)",
                "profile_consumer_backlog_at_end": await pool.fetchval(
                    "SELECT count(*) FROM interactions i WHERE NOT EXISTS (SELECT 1 FROM "
                    "processed_events p WHERE p.consumer = 'customer-profiles' "
                    "AND p.event_id = 'tracked:' || i.id)"
                ),
                "for_you_reflects_it": summary(api_times),
                "baseline_profile_row_in_postgres": summary(db_times),
                "of_which_relay_outbox_to_kafka": summary(relay_times),
                "consumer_max_poll_records": args.max_poll_records,
                "poll_interval_ms": args.poll * 1000,
            }
            print(json.dumps(results, indent=2))
        finally:
            await pool.close()
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
            admin = await asyncpg.connect(urls.database_url)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


async def folded(pool: asyncpg.Pool[Any]) -> int:
    """Interactions the profile consumer group has applied so far."""
    n: int = await pool.fetchval(
        "SELECT count(*) FROM processed_events WHERE consumer = 'customer-profiles'"
    )
    return n


async def create_pool(dsn: str) -> asyncpg.Pool[Any]:
    from datasources.postgres.pool import create_pool as ucg_pool

    return await ucg_pool(dsn, min_size=1, max_size=2)


if __name__ == "__main__":
    asyncio.run(main())
