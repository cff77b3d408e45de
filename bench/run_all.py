"""One benchmark command (issue 19 item 4): every benchmark with its same-run baseline, one table.

    bench/run [--quick] [--only typename,products,checkout,stock,recs] [--out FILE]

Starts what it needs once (the UCG_* servers when all three URLs are set, else embedded
Postgres, Redis and Kafka), gives the benchmarks that read the demo store a fresh
database seeded with it, runs each benchmark script of bench/ as a child process (each
measures ucg and its baseline in the same run and prints its own detail, kept in the
log), and prints one Markdown table: the benchmark, ucg's figure, the baseline's, the
ratio, the issue's target, and the load average when the row was measured, under a line
naming the machine. `--out FILE` writes the table (and the machine line) there too.

Rows and their baselines:
* `{ __typename }` over HTTP (bench/typename_http.py): raw Starlette + orjson on the same
  uvicorn, the same Node load generator;
* products(first: 100) and (first: 10), in process (bench/products_page.py): the same SQL
  batches with the JSON built by hand (orjson);
* checkout over HTTP, distinct SKUs and one hot SKU (bench/checkout_http.py, 2 workers,
  64 buyers in flight): pgbench running the bare checkout SQL on the same database;
* `stockChanged` fan-out to 100 WebSocket subscribers (bench/propagation.py): a raw
  Starlette broadcast of the same messages;
* interaction -> FOR_YOU at 200 interactions/s (bench/recs_propagation.py): the profile
  row seen in Postgres (the pipeline without the GraphQL read).

Not yet here (the issue asks for them): cart and order pages, and products(first: 100)
over HTTP against a hand-written endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from checkout import fresh_database  # noqa: E402  (bench/checkout.py)

from datasources.embedded import EmbeddedServers  # noqa: E402
from datasources.postgres.seed import seed_demo  # noqa: E402


@dataclass
class Row:
    benchmark: str
    ucg: str
    baseline: str
    ratio: str
    target: str
    load: float


def _num(pattern: str, text: str) -> float:
    found = re.search(pattern, text, re.MULTILINE)
    if found is None:
        raise ValueError(f"not in the benchmark's output: {pattern!r}")
    return float(found.group(1))


def typename_rows(out: str) -> list[Row]:
    graphql = _num(r"^\s+graphql\s+(\d+) req/s", out)
    compiled = _num(r"^\s+compiled\s+(\d+) req/s", out)
    raw = _num(r"^\s+raw\s+(\d+) req/s", out)
    load = os.getloadavg()[0]
    return [
        Row(
            f"`{{ __typename }}` over HTTP ({name})",
            f"{value:,.0f} req/s",
            f"{raw:,.0f} req/s (raw Starlette)",
            f"{value / raw:.2f}x",
            ">= 0.5x",
            load,
        )
        for name, value in (("graphql-core", graphql), ("compiled", compiled))
    ]


def products_rows(first: int) -> Callable[[str], list[Row]]:
    def rows(out: str) -> list[Row]:
        by_hand = _num(r"by_hand\s+median\s+([\d.]+) ms", out)
        load = os.getloadavg()[0]
        return [
            Row(
                f"products(first: {first}), in process ({name})",
                f"{value:.1f} ms",
                f"{by_hand:.1f} ms (by hand)",
                f"{value / by_hand:.1f}x",
                "<= 2x" if first == 100 else "-",
                load,
            )
            for name, value in (
                ("graphql-core", _num(r"graphql\s+median\s+([\d.]+) ms", out)),
                ("compiled", _num(r"compiled\s+median\s+([\d.]+) ms", out)),
            )
        ]

    return rows


def checkout_rows(out: str) -> list[Row]:
    rows = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 12 or cells[0] not in ("distinct SKUs", "hot SKU"):
            continue
        ours, pgbench = float(cells[2]), float(cells[10])
        hot = cells[0] == "hot SKU"
        rows.append(
            Row(
                f"checkout over HTTP, {cells[0]} (complete p50 / p99 {cells[3]} ms)",
                f"{ours:.1f} orders/s",
                f"{pgbench:.0f} orders/s (pgbench, bare SQL)",
                f"{ours / pgbench:.3f}x",
                ">= 0.5x pgbench" if hot else ">= 170 orders/s, p99 <= 1 s",
                float(cells[8]),
            )
        )
    if not rows:
        raise ValueError("no result rows in bench/checkout_http.py's output")
    return rows


def stock_rows(out: str) -> list[Row]:
    rows = []
    for line in out.splitlines():
        if not line.startswith('{"subscribers"'):
            continue
        run = json.loads(line)
        ours, raw = run["ucg"], run["raw_broadcast"]
        rows.append(
            Row(
                f"`stockChanged` to {run['subscribers']} subscribers, p99",
                f"{ours['p99_ms']} ms ({ours['deliveries']}/{ours['expected']})",
                f"{raw['p99_ms']} ms (raw broadcast)",
                f"{ours['p99_ms'] / max(raw['p99_ms'], 0.1):.1f}x",
                "<= 200 ms",
                os.getloadavg()[0],
            )
        )
    if not rows:
        raise ValueError("no result lines in bench/propagation.py's output")
    return rows


def recs_rows(out: str) -> list[Row]:
    result = json.loads(out[out.index("{") :])
    ours = result["for_you_reflects_it"]
    base = result["baseline_profile_row_in_postgres"]
    return [
        Row(
            "interaction -> FOR_YOU on another channel at 200/s, p99 "
            f"(missed {result['probes_missed'].split(' (')[0]})",
            f"{ours['p99_ms']} ms",
            f"{base['p99_ms']} ms (profile row in Postgres)",
            f"{ours['p99_ms'] / base['p99_ms']:.2f}x",
            "<= 1,000 ms",
            result["load_average"][0],
        )
    ]


def demo_database(admin_url: str) -> str:
    """A fresh migrated database (bench/checkout.py's `fresh_database`) with the demo store."""
    url = fresh_database(admin_url, f"ucg_bench_run_{os.getpid()}")
    asyncio.run(seed_demo(url))
    return url


async def drop_database(url: str) -> None:
    admin, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(f"{admin}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds and orders")
    parser.add_argument("--only", default="typename,products,checkout,stock,recs")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    known = {"typename", "products", "checkout", "stock", "recs"}
    if not wanted or wanted - known:
        parser.error(f"--only takes some of {', '.join(sorted(known))}")

    servers = EmbeddedServers(
        Path(tempfile.mkdtemp(prefix="ucg-bench-run-")),
        database_url=os.environ.get("UCG_DATABASE_URL"),
        redis_url=os.environ.get("UCG_REDIS_URL"),
        kafka_bootstrap_servers=os.environ.get("UCG_KAFKA_BOOTSTRAP_SERVERS"),
    )
    rows: list[Row] = []
    failures: list[str] = []
    with servers:
        urls = servers.start()
        demo = demo_database(urls.database_url)
        shared = {k: v for k, v in os.environ.items() if not k.startswith("UCG_")}
        shared.update(
            UCG_REDIS_URL=urls.redis_url,
            UCG_KAFKA_BOOTSTRAP_SERVERS=urls.kafka_bootstrap_servers,
            UCG_KAFKA_TOPIC_PREFIX=f"benchrun{os.getpid()}.",
            UCG_CACHE_KEY_PREFIX=f"ucg:benchrun{os.getpid()}:",
        )
        on_demo = {**shared, "UCG_DATABASE_URL": demo}
        on_admin = {**shared, "UCG_DATABASE_URL": urls.database_url}
        quick = args.quick
        plan: list[tuple[str, list[str], dict[str, str], Callable[[str], list[Row]]]] = [
            (
                "typename",
                ["typename_http.py", "--seconds", "2" if quick else "5"],
                on_demo,
                typename_rows,
            ),
            (
                "products",
                ["products_page.py", "--first", "100", "--rounds", "5" if quick else "20"],
                on_demo,
                products_rows(100),
            ),
            (
                "products",
                ["products_page.py", "--first", "10", "--rounds", "10" if quick else "30"],
                on_demo,
                products_rows(10),
            ),
            (
                "checkout",
                ["checkout_http.py", "--orders", "300" if quick else "800"]
                + ["--concurrency", "64", "--workers", "2", "--clients", "2"],
                on_admin,
                checkout_rows,
            ),
            (
                "stock",
                ["propagation.py", "--subscribers", "100", "--events", "5" if quick else "15"],
                on_admin,
                stock_rows,
            ),
            (
                "recs",
                ["recs_propagation.py", "--rate", "200", "--probes", "20" if quick else "60"]
                + ["--poll", "0.02", "--timeout", "15"],
                on_admin,
                recs_rows,
            ),
        ]
        try:
            for key, command, env, parse in plan:
                if key not in wanted:
                    continue
                print(f"== bench/{' '.join(command)}", flush=True)
                done = subprocess.run(
                    [sys.executable, str(HERE / command[0]), *command[1:]],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                print(done.stdout, flush=True)
                try:
                    if done.returncode != 0:
                        raise ValueError(f"exit {done.returncode}: {done.stderr[-500:]}")
                    rows += parse(done.stdout)
                except (ValueError, KeyError, IndexError) as error:
                    failures.append(f"bench/{command[0]}: {error}")
        finally:
            asyncio.run(drop_database(demo))
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    table = [
        f"Machine: {machine}",
        "",
        "| benchmark | ucg | baseline (same run) | ratio | target | load avg |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r.benchmark} | {r.ucg} | {r.baseline} | {r.ratio} | {r.target} | {r.load:.1f} |"
            for r in rows
        ),
    ]
    print("\n".join(table))
    if args.out:
        args.out.write_text("\n".join(table) + "\n")
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
