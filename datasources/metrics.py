"""Prometheus instruments the adapters record into (cache, sweepers, SQL, relay, consumers).

Defined once at import, in prometheus-client's default registry; when
PROMETHEUS_MULTIPROC_DIR is set, prometheus-client writes them to files there so
that `/metrics` of any worker reports the sum over all workers (api/metrics.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram

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


# -- SQL per GraphQL operation (datasources/postgres/pool.py tallies, resolvers/metrics.py
#    observes) -----------------------------------------------------------------------------
SQL_STATEMENTS_PER_OPERATION = Histogram(
    "ucg_sql_statements_per_operation",
    "SQL statements one GraphQL operation ran, by operation name and type",
    ["operation", "type"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100),
)
SQL_SECONDS_PER_OPERATION = Histogram(
    "ucg_sql_seconds_per_operation",
    "Time one GraphQL operation spent waiting on SQL statements, by operation name and type",
    ["operation", "type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
DATALOADER_BATCH_SIZE = Histogram(
    "ucg_dataloader_batch_size",
    "Keys a DataLoader fetched in one batch, by batch function",
    ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)


class SqlTally:
    """Statements and their time, summed over one operation (and the tasks it starts)."""

    __slots__ = ("seconds", "statements")

    def __init__(self) -> None:
        self.statements = 0
        self.seconds = 0.0


# -- outbox relay --------------------------------------------------------------------------
RELAY_PUBLISHED = Counter("ucg_relay_events_published_total", "Outbox events acked by Kafka")
RELAY_SEND_FAILURES = Counter(
    "ucg_relay_send_failures_total", "Relay attempts that left events unacked (they are retried)"
)
RELAY_LEADER = Gauge(
    "ucg_relay_leader",
    "1 while this relay holds the publisher lock, 0 while it stands by",
    multiprocess_mode="livemax",
)

# -- inbound consumers -----------------------------------------------------------------------
CONSUMER_MESSAGES = Counter(
    "ucg_consumer_messages_total",
    "Inbound messages handled, by topic and outcome (applied, duplicate, dead_lettered)",
    ["topic", "outcome"],
)
DLQ_MESSAGES = Counter(
    "ucg_dlq_messages_total",
    "Messages parked in a dead-letter topic, by original topic and stage "
    "(unparseable, rejected, failed)",
    ["topic", "stage"],
)
CONSUMER_LAG = Gauge(
    "ucg_consumer_lag_messages",
    "Messages on a partition not yet handled by this consumer group "
    "(high watermark minus position), by topic, partition and group",
    ["topic", "partition", "group"],
    multiprocess_mode="livemax",
)
