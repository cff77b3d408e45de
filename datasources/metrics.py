"""Prometheus instruments the adapters record into (cache, sweepers).

Defined once at import, in prometheus-client's default registry; when
PROMETHEUS_MULTIPROC_DIR is set, prometheus-client writes them to files there so
that `/metrics` of any worker reports the sum over all workers (api/metrics.py).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CACHE_LOOKUPS = Counter(
    "ucg_cache_lookups_total",
    "Read-through cache lookups by document kind and outcome (hit or miss)",
    ["kind", "outcome"],
)
SWEEPER_RUNS = Counter(
    "ucg_sweeper_runs_total",
    "Runs of a periodic sweeper by sweeper and outcome (ok or failed)",
    ["sweeper", "outcome"],
)
SWEPT_ITEMS = Counter(
    "ucg_sweeper_items_total", "Items a sweeper released or cancelled", ["sweeper"]
)
PROPAGATION_SECONDS = Histogram(
    "ucg_event_propagation_seconds",
    "From the commit that wrote an event to its delivery to a subscriber, by event type",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0),
)
