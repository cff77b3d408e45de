"""The unified-commerce SLIs, computed from the orders, pickups, returns and customers
themselves (not estimated), exported as Prometheus metrics.

A snapshot is read every `UCG_BUSINESS_SLI_INTERVAL_SECONDS` by a background task
(`BusinessSliRefresher`) and served at each scrape (`BUSINESS_SLIS`, a collector in the
default registry, and in the multiprocess one: api/metrics.py registry()). Every
instance reads the same database, so aggregate these series with max or avg, not sum.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("ucg.business_slis")

# Placed -> READY_FOR_PICKUP: the promise is "ready within 2 hours".
READY_BUCKETS = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14_400.0, 28_800.0, 86_400.0, 172_800.0)
WINDOW_DAYS = 30

READY_SQL = """SELECT l.code AS store, b.le, count(*) FILTER (WHERE r.seconds <= b.le) AS below,
       count(*) AS total, coalesce(sum(r.seconds), 0)::float8 AS seconds
  FROM (SELECT f.location_id, extract(epoch FROM f.ready_at - o.created_at)::float8 AS seconds
          FROM fulfillments f JOIN orders o ON o.id = f.order_id
         WHERE f.method = 'PICKUP' AND f.ready_at IS NOT NULL) r
  JOIN locations l ON l.id = r.location_id
 CROSS JOIN unnest($1::float8[]) AS b(le)
 GROUP BY l.code, b.le"""

# A no-show: a pickup that was ready and then cancelled (the missed-pickup sweeper).
PICKUP_SQL = """SELECT l.code AS store,
       count(*) FILTER (WHERE f.status = 'PICKED_UP') AS picked_up,
       count(*) FILTER (WHERE f.status = 'CANCELLED') AS no_show,
       count(*) FILTER (WHERE f.status = 'PICKED_UP' AND f.updated_at > $1) AS picked_up_recent,
       count(*) FILTER (WHERE f.status = 'CANCELLED' AND f.updated_at > $1) AS no_show_recent
  FROM fulfillments f JOIN locations l ON l.id = f.location_id
 WHERE f.method = 'PICKUP' AND f.ready_at IS NOT NULL
   AND f.status IN ('PICKED_UP', 'CANCELLED')
 GROUP BY l.code"""

# Orders of the window attributed to a known customer profile (not anonymous guests).
IDENTITY_SQL = """SELECT count(*) AS orders, count(customer_id) AS matched
  FROM orders WHERE created_at > $1"""

# Cross-channel: received at a store when no store handed the order over, or received
# elsewhere (by post, at a warehouse) when a store did.
RETURNS_SQL = """SELECT count(*) AS received,
       count(*) FILTER (WHERE (loc.kind = 'STORE') <> EXISTS (
           SELECT 1 FROM fulfillments f JOIN locations fl ON fl.id = f.location_id
            WHERE f.order_id = r.order_id AND fl.kind = 'STORE')) AS cross_channel
  FROM returns r JOIN locations loc ON loc.id = r.location_id
 WHERE r.status = 'RECEIVED' AND r.received_at > $1"""

# Lifetime value: what a customer paid over all their orders, less refunds; omnichannel
# when their orders came through more than one sales channel. A merged profile's orders
# count for the profile it was merged into.
LTV_SQL = """WITH per_customer AS (
    SELECT coalesce(c.merged_into, c.id) AS customer, o.currency_code,
           count(DISTINCT o.channel_id) AS channels,
           sum(o.total_minor - coalesce(rf.refunded, 0)) AS paid
      FROM orders o
      JOIN customers c ON c.id = o.customer_id
      LEFT JOIN LATERAL (SELECT sum(refunded_minor) AS refunded FROM returns
                          WHERE order_id = o.id) rf ON true
     WHERE o.status <> 'CANCELLED' AND c.erased_at IS NULL
     GROUP BY 1, 2)
SELECT CASE WHEN channels > 1 THEN 'omnichannel' ELSE 'single_channel' END AS segment,
       currency_code, count(*) AS customers, avg(paid)::float8 AS ltv
  FROM per_customer GROUP BY 1, 2"""


@dataclass
class ReadyTimes:
    buckets: dict[float, int] = field(default_factory=dict)  # upper bound -> count at or below
    count: int = 0
    seconds: float = 0.0


@dataclass
class SliSnapshot:
    ready: dict[str, ReadyTimes] = field(default_factory=dict)  # by store code
    pickups: dict[str, dict[str, int]] = field(default_factory=dict)  # store -> outcome -> n
    no_show_ratio: dict[str, float] = field(default_factory=dict)  # store -> ratio (window)
    identity_match_ratio: float | None = None
    cross_channel_return_ratio: float | None = None
    ltv: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)


async def read_snapshot(pool: asyncpg.Pool[Any]) -> SliSnapshot:
    """One consistent read of every SLI (a repeatable-read transaction)."""
    snapshot = SliSnapshot()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        since = await conn.fetchval("SELECT now() - make_interval(days => $1)", WINDOW_DAYS)
        for row in await conn.fetch(READY_SQL, list(READY_BUCKETS)):
            ready = snapshot.ready.setdefault(row["store"], ReadyTimes())
            ready.buckets[row["le"]] = row["below"]
            ready.count, ready.seconds = row["total"], row["seconds"]
        for row in await conn.fetch(PICKUP_SQL, since):
            store = row["store"]
            snapshot.pickups[store] = {"picked_up": row["picked_up"], "no_show": row["no_show"]}
            ended = row["picked_up_recent"] + row["no_show_recent"]
            if ended:
                snapshot.no_show_ratio[store] = row["no_show_recent"] / ended
        identity = await conn.fetchrow(IDENTITY_SQL, since)
        assert identity is not None
        if identity["orders"]:
            snapshot.identity_match_ratio = identity["matched"] / identity["orders"]
        returns = await conn.fetchrow(RETURNS_SQL, since)
        assert returns is not None
        if returns["received"]:
            snapshot.cross_channel_return_ratio = returns["cross_channel"] / returns["received"]
        for row in await conn.fetch(LTV_SQL):
            snapshot.ltv[(row["segment"], row["currency_code"])] = (row["customers"], row["ltv"])
    return snapshot


class BusinessSlis(Collector):
    """Serves the last snapshot at each scrape (nothing before the first read)."""

    def __init__(self) -> None:
        self.snapshot: SliSnapshot | None = None

    def collect(self) -> Iterator[Any]:
        s = self.snapshot
        if s is None:
            return
        ready = HistogramMetricFamily(
            "ucg_bopis_ready_seconds",
            "Pickup orders from placed to READY_FOR_PICKUP, by store (every pickup so far)",
            labels=["store"],
        )
        for store, times in sorted(s.ready.items()):
            buckets = [(str(le), float(times.buckets.get(le, 0))) for le in READY_BUCKETS]
            ready.add_metric([store], [*buckets, ("+Inf", float(times.count))], times.seconds)
        yield ready
        pickups = CounterMetricFamily(
            "ucg_pickups_ended",
            "Pickups that were ready and ended, by store and outcome (picked_up, no_show)",
            labels=["store", "outcome"],
        )
        for store, outcomes in sorted(s.pickups.items()):
            for outcome, count in sorted(outcomes.items()):
                pickups.add_metric([store, outcome], count)
        yield pickups
        no_show = GaugeMetricFamily(
            "ucg_pickup_no_show_ratio",
            f"Share of pickups ended in the last {WINDOW_DAYS} days that were never collected",
            labels=["store"],
        )
        for store, ratio in sorted(s.no_show_ratio.items()):
            no_show.add_metric([store], ratio)
        yield no_show
        if s.identity_match_ratio is not None:
            yield GaugeMetricFamily(
                "ucg_identity_match_ratio",
                f"Share of orders of the last {WINDOW_DAYS} days attributed to a known customer",
                value=s.identity_match_ratio,
            )
        if s.cross_channel_return_ratio is not None:
            yield GaugeMetricFamily(
                "ucg_cross_channel_return_ratio",
                f"Share of returns received in the last {WINDOW_DAYS} days in another channel "
                "than the one that handed the order over (a store, or not)",
                value=s.cross_channel_return_ratio,
            )
        ltv = GaugeMetricFamily(
            "ucg_customer_lifetime_value_minor",
            "Average lifetime value (paid less refunded, minor units) by segment "
            "(omnichannel, single_channel) and currency",
            labels=["segment", "currency"],
        )
        customers = GaugeMetricFamily(
            "ucg_customers_with_orders",
            "Customers with orders, by segment (omnichannel, single_channel) and currency",
            labels=["segment", "currency"],
        )
        for (segment, currency), (count, value) in sorted(s.ltv.items()):
            ltv.add_metric([segment, currency], value)
            customers.add_metric([segment, currency], count)
        yield ltv
        yield customers


BUSINESS_SLIS = BusinessSlis()


async def refresh_business_slis(pool: asyncpg.Pool[Any]) -> SliSnapshot:
    BUSINESS_SLIS.snapshot = await read_snapshot(pool)
    return BUSINESS_SLIS.snapshot


class BusinessSliRefresher:
    """The periodic read; started and stopped by the app lifespan."""

    def __init__(self, interval_seconds: float, pool: asyncpg.Pool[Any]) -> None:
        self._interval = interval_seconds
        self._pool = pool
        self._task: asyncio.Task[None] | None = None
        if interval_seconds > 0:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await refresh_business_slis(self._pool)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("business SLIs not refreshed; retrying", exc_info=True)
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
