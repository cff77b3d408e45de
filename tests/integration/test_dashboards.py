"""The shipped Grafana dashboards: every PromQL expression parses (a real Prometheus
answers it) and names only metrics that a scrape of ucg shows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from datasources.business_slis import BUSINESS_SLIS, SliSnapshot
from datasources.embedded import free_port
from tests.conftest import ROOT, TestEnv
from tests.helpers import app_client
from tests.prometheus_server import prometheus_scraping

DASHBOARDS = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
METRIC = re.compile(r"\b(ucg_[a-z0-9_]+|up)\b")
# What Grafana substitutes before it sends a query.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "30s"}


def expressions() -> Iterator[tuple[str, str]]:
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                yield f"{path.name}: {panel['title']}", target["expr"]


def exported_names(text: str) -> set[str]:
    names = {"up"}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            if kind == "counter" and not name.endswith("_total"):
                names.add(f"{name}_total")
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def test_both_boards_are_shipped() -> None:
    titles = {json.loads(p.read_text())["title"] for p in DASHBOARDS}
    assert titles == {"ucg: unified commerce SLAs", "ucg: service"}
    assert len(list(expressions())) >= 25


async def test_every_dashboard_expression_names_scraped_metrics_and_parses(env: TestEnv) -> None:
    previous = BUSINESS_SLIS.snapshot
    # The ratios are absent until there are orders and returns to compute them from.
    BUSINESS_SLIS.snapshot = SliSnapshot(identity_match_ratio=1.0, cross_channel_return_ratio=0.0)
    try:
        async with app_client(env.settings()) as client:
            scraped = exported_names((await client.get("/metrics")).text)
    finally:
        BUSINESS_SLIS.snapshot = previous
    unknown = {
        (where, name)
        for where, expr in expressions()
        for name in METRIC.findall(expr)
        if name not in scraped
    }
    assert not unknown, f"dashboard metrics that ucg does not export: {sorted(unknown)}"

    results: dict[str, Any] = {}
    with prometheus_scraping(f"127.0.0.1:{free_port()}") as prometheus:
        for where, expr in expressions():
            query = expr
            for variable, value in GRAFANA_VARIABLES.items():
                query = query.replace(variable, value)
            assert "$" not in query, f"{where}: unknown variable in {expr!r}"
            results[where] = prometheus.query(query)  # raises on a 400 (parse error)
    assert len(results) == len({w for w, _ in expressions()})
