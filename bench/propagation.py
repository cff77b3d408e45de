"""Propagation benchmark: commit of a stock change -> `stockChanged` message at N WebSocket clients.

    .venv/bin/python bench/propagation.py [--subscribers 1,100,1000,5000] [--events 15]

Starts what it needs: Postgres/Redis/Kafka from the UCG_* URLs or embedded ones, a fresh
database, one `ucg serve` process (relay and event hub inside), and the Node load generator
(`bench/clients.mjs`, `npm ci --prefix bench` first) split over several processes. For each N it
connects N subscribers to `stockChanged(skus: ["BENCH-..."])`, warms up until every socket has
received a change, then commits `--events` stock changes `--interval` seconds apart (through
UnitOfWork.add_event, the code path inventory uses) and records, for every (socket, event),
arrival time minus the time the commit returned. Also measured in the same run:

* commit -> Kafka: a consumer in this process timestamps each event's arrival on the topic
  (relay wake-up + publish + broker), the part before the API process's fan-out;
* baseline: `bench/raw_broadcast.py` (same uvicorn/websockets stack, one pre-serialized
  message sent to every socket, no GraphQL) with the same clients, timed from the trigger.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datasources.embedded import EmbeddedServers, free_port  # noqa: E402
from datasources.events.cloudevents import decode  # noqa: E402
from datasources.postgres.migrations import migrate  # noqa: E402
from datasources.postgres.pool import create_pool  # noqa: E402
from datasources.postgres.uow import UnitOfWork  # noqa: E402
from domain.models import OutboxEvent  # noqa: E402

QUERY = "subscription($skus: [String!]) { stockChanged(skus: $skus) { sku available sequence } }"
LOCATION = str(uuid.uuid4())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Clients:
    """The Node load generator, N sockets split over `processes` processes."""

    def __init__(
        self, url: str, n: int, processes: int, variables: dict[str, Any], script: str
    ) -> None:
        shares = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
        self.procs = [
            subprocess.Popen(
                [
                    "node",
                    str(ROOT / "bench" / script),
                    url,
                    str(share),
                    QUERY,
                    json.dumps(variables),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for share in shares
            if share
        ]

    def wait_for(self, word: str, timeout: float) -> None:
        for proc in self.procs:
            deadline = time.monotonic() + timeout
            while True:
                assert proc.stdout is not None
                line = proc.stdout.readline().strip()
                if line == word:
                    break
                if not line and proc.poll() is not None:
                    raise RuntimeError(f"load generator exited ({proc.returncode})")
                if time.monotonic() > deadline:
                    raise TimeoutError(word)

    def count(self) -> int:
        total = 0
        for proc in self.procs:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("count\n")
            proc.stdin.flush()
            total += int(proc.stdout.readline())
        return total

    def drain(self, expected: int, quiet: float = 3.0) -> None:
        """Wait until `expected` messages arrived, or none arrived for `quiet` seconds."""
        last, since = -1, time.monotonic()
        while True:
            now = self.count()
            if now >= expected:
                return
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since > quiet:
                return
            time.sleep(0.2)

    def dump(self) -> list[tuple[int, float]]:
        arrivals: list[tuple[int, float]] = []
        for proc in self.procs:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("dump\n")
            proc.stdin.flush()
            arrivals += [
                (int(s), t / 1000) for s, t in json.loads(proc.stdout.readline())["arrivals"]
            ]
            proc.wait(10)
        return arrivals

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def stock_change(pool: asyncpg.Pool[Any], sku: str, on_hand: int) -> tuple[int, float]:
    async with UnitOfWork(pool) as uow:
        sequence = await uow.add_event(
            OutboxEvent(
                topic="ucg.inventory.v1",
                type="ucg.inventory.stock_changed.v1",
                aggregate_type="StockLevel",
                aggregate_id=f"{sku}@{LOCATION}",
                data={
                    "sku": sku,
                    "locationId": LOCATION,
                    "onHand": on_hand,
                    "reserved": 0,
                    "available": on_hand,
                },
            )
        )
    return sequence, time.time()


def interval(n: int, args: argparse.Namespace) -> float:
    """Seconds between changes: long enough that each change is measured on its own."""
    return max(args.interval, n * args.interval_per_subscriber)


def summarize(latencies_ms: list[float], expected: int) -> dict[str, Any]:
    return {
        "deliveries": len(latencies_ms),
        "expected": expected,
        "p50_ms": round(statistics.median(latencies_ms), 1) if latencies_ms else None,
        "p99_ms": round(percentile(latencies_ms, 99), 1) if latencies_ms else None,
        "max_ms": round(max(latencies_ms), 1) if latencies_ms else None,
    }


async def run_ours(
    pool: asyncpg.Pool[Any], url: str, kafka: str, topic: str, n: int, args: argparse.Namespace
) -> dict[str, Any]:
    sku = f"BENCH-{uuid.uuid4().hex[:8]}"
    clients = Clients(
        url.replace("http", "ws", 1) + "/graphql", n, args.processes, {"skus": [sku]}, args.script
    )
    kafka_seen: dict[int, float] = {}
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka,
        group_id=None,
        auto_offset_reset="latest",
        fetch_max_wait_ms=5,
    )
    await consumer.start()

    async def watch_topic() -> None:
        async for message in consumer:
            event = decode(message.value, validate=False)
            if event.data.get("sku") == sku:
                kafka_seen.setdefault(event.sequence, time.time())

    watcher = asyncio.create_task(watch_topic())
    try:
        await asyncio.to_thread(clients.wait_for, "connected", 120)
        warm = asyncio.create_task(asyncio.to_thread(clients.wait_for, "warm", 120))
        while not warm.done():
            await stock_change(pool, sku, 100_000)
            # One probe at a time: a backlog of probes would delay the measured changes.
            await asyncio.wait([warm], timeout=interval(n, args))
        await warm
        await asyncio.to_thread(clients.drain, 10**9, 1.0)  # until the last probe is delivered
        committed: dict[int, float] = {}
        before = await asyncio.to_thread(clients.count)
        for i in range(args.events):
            sequence, at = await stock_change(pool, sku, i + 1)
            committed[sequence] = at
            await asyncio.sleep(interval(n, args))
        await asyncio.to_thread(clients.drain, before + n * args.events)
        arrivals = await asyncio.to_thread(clients.dump)
    finally:
        clients.kill()
        watcher.cancel()
        await consumer.stop()
    latencies = [(t - committed[s]) * 1000 for s, t in arrivals if s in committed]
    to_kafka = [(kafka_seen[s] - committed[s]) * 1000 for s in committed if s in kafka_seen]
    result = summarize(latencies, n * args.events)
    result["commit_to_kafka_p50_ms"] = round(statistics.median(to_kafka), 1) if to_kafka else None
    result["commit_to_kafka_max_ms"] = round(max(to_kafka), 1) if to_kafka else None
    # Per change: a tail from one slow change differs from a tail spread over all of them.
    per_change: dict[int, list[float]] = {}
    for s, t in arrivals:
        if s in committed:
            per_change.setdefault(s, []).append((t - committed[s]) * 1000)
    result["per_change_p50_max_ms"] = [
        (round(statistics.median(v), 1), round(max(v), 1)) for _, v in sorted(per_change.items())
    ]
    return result


async def run_baseline(n: int, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before timing
        [sys.executable, str(ROOT / "bench" / "raw_broadcast.py"), str(port)]
    )
    clients: Clients | None = None
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    await http.post(f"http://127.0.0.1:{port}/fire?seq=0")
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.1)
            clients = Clients(f"ws://127.0.0.1:{port}/graphql", n, args.processes, {}, args.script)
            await asyncio.to_thread(clients.wait_for, "connected", 120)
            warm = asyncio.create_task(asyncio.to_thread(clients.wait_for, "warm", 120))
            while not warm.done():
                await http.post(f"http://127.0.0.1:{port}/fire?seq=100000")
                await asyncio.wait([warm], timeout=interval(n, args))
            await warm
            await asyncio.to_thread(clients.drain, 10**9, 1.0)
            fired: dict[int, float] = {}
            pending = []
            before = await asyncio.to_thread(clients.count)
            for seq in range(1, args.events + 1):
                fired[seq] = time.time()
                pending.append(
                    asyncio.create_task(http.post(f"http://127.0.0.1:{port}/fire?seq={seq}"))
                )
                await asyncio.sleep(interval(n, args))
            await asyncio.gather(*pending)
            await asyncio.to_thread(clients.drain, before + n * args.events)
            arrivals = await asyncio.to_thread(clients.dump)
    finally:
        if clients is not None:
            clients.kill()
        server.terminate()
        server.wait(10)
    latencies = [(t - fired[s]) * 1000 for s, t in arrivals if s in fired]
    return summarize(latencies, n * args.events)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--subscribers", default="1,100,1000,5000")
    parser.add_argument("--events", type=int, default=15)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between changes")
    parser.add_argument(
        "--interval-per-subscriber",
        type=float,
        default=0.001,
        help="at least this many seconds between changes per subscriber (5000 -> 5 s)",
    )
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--client",
        choices=("ws", "graphql-ws"),
        default="ws",
        help="load generator: raw `ws` sockets (clients.mjs) or the graphql-ws client library",
    )
    args = parser.parse_args()
    args.script = "clients.mjs" if args.client == "ws" else "clients-graphql-ws.mjs"
    counts = [int(x) for x in args.subscribers.split(",")]

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
        prefix = f"bench{os.getpid()}."
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("UCG_")}
        env.update(
            UCG_DATABASE_URL=database_url,
            UCG_REDIS_URL=urls.redis_url,
            UCG_KAFKA_BOOTSTRAP_SERVERS=urls.kafka_bootstrap_servers,
            UCG_KAFKA_TOPIC_PREFIX=prefix,
            UCG_PORT=str(port),
            UCG_WORKERS="1",  # one process, as measured before UCG_WORKERS=0 (auto)
            UCG_LOG_LEVEL="WARNING",
            UCG_SUBSCRIPTION_QUEUE_SIZE="1024",
        )
        server = subprocess.Popen(  # noqa: ASYNC220 - started once, before timing
            [sys.executable, "-m", "entrypoints.cli", "serve"], env=env, cwd=ROOT
        )
        url = f"http://127.0.0.1:{port}"
        pool = await create_pool(database_url, min_size=1, max_size=2)
        results: dict[str, Any] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
            "python": platform.python_version(),
            "events_per_run": args.events,
            "interval_s": {n: interval(n, args) for n in counts},
            "runs": [],
        }
        try:
            async with httpx.AsyncClient() as http:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if (await http.get(f"{url}/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise TimeoutError("ucg serve did not start")
                    await asyncio.sleep(0.1)
            for n in counts:
                ours = await run_ours(
                    pool, url, urls.kafka_bootstrap_servers, prefix + "ucg.inventory.v1", n, args
                )
                run: dict[str, Any] = {"subscribers": n, "ucg": ours}
                if not args.no_baseline:
                    run["raw_broadcast"] = await run_baseline(n, args)
                results["runs"].append(run)
                print(json.dumps(run), flush=True)
        finally:
            await pool.close()
            server.terminate()
            server.wait(15)
            admin = await asyncpg.connect(urls.database_url)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
