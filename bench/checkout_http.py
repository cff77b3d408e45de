"""Checkout throughput over HTTP: buyers doing cartCreate -> checkoutBegin -> checkoutComplete
against `ucg serve --workers N`, hot SKU and distinct SKUs, with a same-run pgbench baseline.

    python bench/checkout_http.py [--orders 1000] [--concurrency 64] [--workers 2]
        [--clients 2] [--code DIR ...] [--profile DIR]

The load generator is `bench/checkout-clients.mjs` (Node fetch, keep-alive) split over
`--clients` processes; its CPU time is printed next to the server's. Each scenario gets fresh
SKUs (stock = orders, so every buyer can be served) in a fresh database `bench_checkout_http`
of UCG_DATABASE_URL (else embedded Postgres, Redis and Kafka are started). `--code DIR`
(repeatable) runs the server from another source tree in the same run (before/after, e.g.
`git worktree add /tmp/before <commit>`); the default is this tree. `--profile DIR` records
each server process with py-spy (`--subprocesses`) during the distinct-SKUs run of the last
code tree (py-spy must be installed, e.g. `pip install py-spy` in the venv).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pathlib
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from checkout import fresh_database, run_pgbench, setup  # noqa: E402

from domain.ids import to_global_id  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLIENTS = pathlib.Path(__file__).resolve().parent / "checkout-clients.mjs"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of `root` and its descendants (from /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    total, wanted = 0.0, {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                grew = True
    for pid in wanted:
        total += times.get(pid, 0.0)
    return total


class Server:
    def __init__(self, code: pathlib.Path, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="bench-serve-", suffix=".log", delete=False)
        environ = {k: v for k, v in os.environ.items() if not k.startswith("UCG_")}
        environ.update(env, UCG_PORT=str(self.port), PYTHONPATH=str(code))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve", "--workers", str(workers)],
            env=environ,
            cwd=code,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends every worker
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(pathlib.Path(self.log.name).read_text()[-3000:])
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise TimeoutError(pathlib.Path(self.log.name).read_text()[-3000:])
        time.sleep(1.0 if workers > 1 else 0.2)  # let every worker finish its lifespan

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            pass
        # A worker outliving the supervisor would keep using CPU (and the relay lock)
        # during the next run.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        os.unlink(self.log.name)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def buyers_for(dsn: str, skus: int, orders: int) -> tuple[list[dict[str, str]], list[str]]:
    db = await asyncpg.connect(dsn)
    try:
        channel, _, names, _ = await setup(db, skus, orders, 0)
        variants = {
            r["sku"]: r["id"]
            for r in await db.fetch("SELECT id, sku FROM variants WHERE sku = ANY($1)", names)
        }
    finally:
        await db.close()
    gid = to_global_id("Channel", channel)
    buyers = [
        {"channel": gid, "variant": to_global_id("ProductVariant", variants[names[n % skus]])}
        for n in range(orders)
    ]
    return buyers, names


async def check_stock(dsn: str, names: list[str], orders: int, placed: int) -> str:
    db = await asyncpg.connect(dsn)
    try:
        on_hand = await db.fetchval(
            "SELECT sum(on_hand) FROM stock_levels WHERE sku = ANY($1)", names
        )
        ledger = await db.fetchval(
            "SELECT sum(delta) FROM stock_movements WHERE sku = ANY($1)", names
        )
    finally:
        await db.close()
    stocked = orders * len(names)
    ok = on_hand == ledger == stocked - placed
    return "ok" if ok else f"MISMATCH on_hand={on_hand} ledger={ledger} expected={stocked - placed}"


def run_scenario(
    server: Server, dsn: str, skus: int, args: argparse.Namespace, profile: pathlib.Path | None
) -> dict[str, Any]:
    buyers, names = asyncio.run(buyers_for(dsn, skus, args.orders))
    # Warm up each worker's caches and connections outside the measurement.
    warm, warm_names = asyncio.run(buyers_for(dsn, 1, 4 * args.workers))
    run_clients(server, warm, min(4 * args.workers, args.concurrency), 1)
    spies: list[subprocess.Popen[bytes]] = []
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        spies.append(
            subprocess.Popen(
                ["py-spy", "record", "--subprocesses", "--nonblocking", "-r", "50"]
                + ["-f", "speedscope", "-o", str(profile / "checkout.speedscope.json")]
                + ["--pid", str(server.proc.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        time.sleep(1.0)
    cpu_before = tree_cpu_seconds(server.proc.pid)
    load_before = os.getloadavg()[0]
    out = run_clients(server, buyers, args.concurrency, args.clients)
    server_cpu = tree_cpu_seconds(server.proc.pid) - cpu_before
    for spy in spies:
        spy.send_signal(2)
        spy.wait(60)
    stock = asyncio.run(check_stock(dsn, names, args.orders, out["placed"]))
    return {**out, "server_cpu_s": server_cpu, "stock": stock, "load": load_before}


def run_clients(
    server: Server, buyers: list[dict[str, str]], concurrency: int, clients: int
) -> dict[str, Any]:
    shares = [buyers[i::clients] for i in range(clients)]
    per = max(1, concurrency // clients)
    began = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                "node",
                str(CLIENTS),
                json.dumps({"url": server.url, "concurrency": per, "buyers": s}),
            ],
            stdout=subprocess.PIPE,
        )
        for s in shares
        if s
    ]
    results = [json.loads(p.communicate()[0]) for p in procs]
    wall = time.perf_counter() - began
    merged: dict[str, Any] = {"begin": [], "complete": [], "buyer": [], "codes": {}}
    placed = failures = 0
    cpu = 0.0
    for r in results:
        for key in ("begin", "complete", "buyer"):
            merged[key] += r[key]
        for code, n in r["codes"].items():
            merged["codes"][code] = merged["codes"].get(code, 0) + n
        placed += r["placed"]
        failures += r["failures"]
        cpu += r["cpu_ms"] / 1000
    wall = max(r["wall_ms"] for r in results) / 1000 if results else wall
    return {
        "orders_per_s": placed / wall,
        "placed": placed,
        "failures": failures,
        "codes": merged["codes"],
        "wall_s": wall,
        "client_cpu_s": cpu,
        "complete_p50": statistics.median(merged["complete"]) if merged["complete"] else 0,
        "complete_p99": percentile(merged["complete"], 0.99),
        "begin_p50": statistics.median(merged["begin"]) if merged["begin"] else 0,
        "buyer_p99": percentile(merged["buyer"], 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--code", action="append", type=pathlib.Path)
    parser.add_argument("--profile", type=pathlib.Path)
    parser.add_argument("--scenarios", default="distinct,hot")
    args = parser.parse_args()
    codes = args.code or [ROOT]
    admin = os.environ.get("UCG_DATABASE_URL")
    redis = os.environ.get("UCG_REDIS_URL")
    kafka = os.environ.get("UCG_KAFKA_BOOTSTRAP_SERVERS")
    servers = None
    if not (admin and redis and kafka):
        from datasources.embedded import EmbeddedServers

        servers = EmbeddedServers(
            pathlib.Path(tempfile.mkdtemp(prefix="bench-checkout-http-")),
            database_url=admin,
            redis_url=redis,
            kafka_bootstrap_servers=kafka,
        )
        urls = servers.start()
        admin, redis, kafka = urls.database_url, urls.redis_url, urls.kafka_bootstrap_servers
    try:
        dsn = fresh_database(admin, "bench_checkout_http")
        prefix = f"bench{uuid.uuid4().hex[:6]}."
        env = {
            "UCG_DATABASE_URL": dsn,
            "UCG_REDIS_URL": redis,
            "UCG_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "UCG_KAFKA_TOPIC_PREFIX": prefix,
            "UCG_CACHE_KEY_PREFIX": f"ucg:{prefix}",
            "UCG_RATE_LIMIT_ENABLED": "false",
            "UCG_LOG_LEVEL": "WARNING",
        }
        print(
            f"orders {args.orders}, in flight {args.concurrency}, workers {args.workers}, "
            f"client processes {args.clients}, nproc {os.cpu_count()}"
        )
        print(
            "| scenario | code | orders/s | complete p50 / p99 ms | begin p50 ms | buyer p99 ms "
            "| server CPU s (ms/order) | generator CPU s | load | stock | pgbench orders/s "
            "| pgbench / ours |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        scenarios = {"distinct": ("distinct SKUs", args.concurrency), "hot": ("hot SKU", 1)}
        for key in args.scenarios.split(","):
            name, skus = scenarios[key]
            base = run_pgbench(dsn, skus, args.concurrency, args.pgbench_seconds)
            for n, code in enumerate(codes):
                server = Server(code, env, args.workers)
                try:
                    profile = args.profile if (n == len(codes) - 1 and key == "distinct") else None
                    r = run_scenario(server, dsn, skus, args, profile)
                finally:
                    server.stop()
                extra = f" codes={r['codes']}" if r["codes"] else ""
                extra += f" failures={r['failures']}" if r["failures"] else ""
                print(
                    f"| {name} | {code.name} | {r['orders_per_s']:.1f} | "
                    f"{r['complete_p50']:.0f} / {r['complete_p99']:.0f} | {r['begin_p50']:.0f} | "
                    f"{r['buyer_p99']:.0f} | {r['server_cpu_s']:.1f} "
                    f"({1000 * r['server_cpu_s'] / max(r['placed'], 1):.1f}) | {r['client_cpu_s']:.1f} | "
                    f"{r['load']:.1f} | {r['stock']} | {base['orders_per_s']:.0f} | "
                    f"{base['orders_per_s'] / max(r['orders_per_s'], 1e-9):.1f}x |{extra}",
                    flush=True,
                )
    finally:
        if servers is not None:
            servers.stop()


if __name__ == "__main__":
    main()
