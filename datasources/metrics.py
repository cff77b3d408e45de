"""Prometheus instruments the adapters record into (cache, sweepers).

Defined once at import, in prometheus-client's default registry; when
PROMETHEUS_MULTIPROC_DIR is set, prometheus-client writes them to files there so
that `/metrics` of any worker reports the sum over all workers (api/metrics.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

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
    "From the transaction that wrote an event (its outbox created_at, the CloudEvent time) "
    "to its hand-over to the subscribers of this process, by event type",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_propagation(event_type: str, committed_at: datetime) -> None:
    """An event reached its subscribers: record how long after its transaction."""
    elapsed = (datetime.now(UTC) - committed_at).total_seconds()
    PROPAGATION_SECONDS.labels(event_type).observe(max(elapsed, 0.0))
