"""`/metrics` in the Prometheus text format, and what only the API process measures.

Per process by default. With several worker processes behind one port, set
PROMETHEUS_MULTIPROC_DIR to an empty directory shared by the workers (wiped at each
deploy): prometheus-client then keeps every instrument in files there and `/metrics`
of any worker reports all of them (docs/OPERATIONS.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncpg
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from api.settings import Settings
from datasources.business_slis import BUSINESS_SLIS
from datasources.postgres.uow import UnitOfWork
from domain.inventory.services import stock_discrepancy

if TYPE_CHECKING:
    from api.bootstrap import Services

log = logging.getLogger("ucg.metrics")

WEBSOCKET_CONNECTIONS = Gauge(
    "ucg_websocket_connections", "Open WebSocket connections", multiprocess_mode="livesum"
)
EVENT_SUBSCRIBERS = Gauge(
    "ucg_event_subscribers",
    "Live subscriptions (stockChanged, orderStatusChanged) registered with the event fan-out",
    multiprocess_mode="livesum",
)
OUTBOX_BACKLOG = Gauge(
    "ucg_outbox_unpublished", "Outbox rows not yet published to Kafka", multiprocess_mode="livemax"
)
OUTBOX_OLDEST_AGE = Gauge(
    "ucg_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row (0 when none)",
    multiprocess_mode="livemax",
)
INVENTORY_ACCURACY = Gauge(
    "ucg_inventory_accuracy_ratio",
    "Share of stock rows whose on_hand equals the sum of their ledger movements",
    multiprocess_mode="livemin",
)
INVENTORY_ROWS_DISAGREEING = Gauge(
    "ucg_inventory_rows_disagreeing",
    "Stock rows whose on_hand differs from their ledger sum",
    multiprocess_mode="livemax",
)

OUTBOX_SQL = """SELECT count(*) AS backlog,
       coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
  FROM outbox WHERE published_at IS NULL"""
# The rules of docs/INVENTORY.md: on_hand is the sum of the row's movements, and reserved
# is the units of its ACTIVE reservations (what checkouts and store holds say they hold).
_ROWS = """FROM stock_levels s
  LEFT JOIN (SELECT sku, location_id, sum(delta) AS ledger FROM stock_movements
              GROUP BY sku, location_id) m
    ON m.sku = s.sku AND m.location_id = s.location_id
  LEFT JOIN (SELECT rl.sku, rl.location_id, sum(rl.quantity) AS held
               FROM reservation_lines rl JOIN reservations r ON r.id = rl.reservation_id
              WHERE r.status = 'ACTIVE' GROUP BY rl.sku, rl.location_id) h
    ON h.sku = s.sku AND h.location_id = s.location_id"""
_DISAGREES = "(s.on_hand <> coalesce(m.ledger, 0) OR s.reserved <> coalesce(h.held, 0))"
ACCURACY_SQL = f"""SELECT count(*) AS total, count(*) FILTER (WHERE {_DISAGREES}) AS disagreeing
  {_ROWS}"""
DISAGREEING_SQL = f"""SELECT s.sku, s.location_id, s.on_hand, coalesce(m.ledger, 0)::int AS ledger,
       s.reserved, coalesce(h.held, 0)::int AS held
  {_ROWS}
 WHERE {_DISAGREES}
 ORDER BY s.sku, s.location_id
 LIMIT 20"""


def registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        merged.register(BUSINESS_SLIS)  # read from SQL by this worker, not kept in files
        return merged
    return REGISTRY


REGISTRY.register(BUSINESS_SLIS)


async def refresh_outbox(pool: asyncpg.Pool[Any]) -> None:
    row = await pool.fetchrow(OUTBOX_SQL)
    assert row is not None
    OUTBOX_BACKLOG.set(row["backlog"])
    OUTBOX_OLDEST_AGE.set(row["oldest"])


async def reconcile_inventory(
    pool: asyncpg.Pool[Any], reported: set[tuple[Any, ...]] | None = None
) -> float:
    """Compare every stock row with its ledger and its active reservations; export and
    return the share that agree. Each disagreeing row is logged and raises
    `ucg.inventory.discrepancy_detected.v1` (once per row and numbers while `reported`,
    the caller's memory of what it already raised, holds it)."""
    row = await pool.fetchrow(ACCURACY_SQL)
    assert row is not None
    total, disagreeing = row["total"], row["disagreeing"]
    accuracy = 1.0 if total == 0 else (total - disagreeing) / total
    INVENTORY_ACCURACY.set(accuracy)
    INVENTORY_ROWS_DISAGREEING.set(disagreeing)
    if disagreeing:
        rows = await pool.fetch(DISAGREEING_SQL)
        log.warning(
            "stock rows disagree with their ledger",
            extra={"count": disagreeing, "rows": [_describe(r) for r in rows]},
        )
        await _raise_discrepancies(pool, rows, set() if reported is None else reported)
    elif reported is not None:
        reported.clear()
    return accuracy


async def _raise_discrepancies(
    pool: asyncpg.Pool[Any], rows: list[Any], reported: set[tuple[Any, ...]]
) -> None:
    new = [r for r in rows if tuple(r.values()) not in reported]
    if not new:
        return
    async with UnitOfWork(pool) as uow:
        for r in new:
            await uow.add_event(
                stock_discrepancy(
                    r["sku"],
                    r["location_id"],
                    on_hand=r["on_hand"],
                    ledger=r["ledger"],
                    reserved=r["reserved"],
                    held=r["held"],
                )
            )
    reported.update(tuple(r.values()) for r in new)


def _describe(row: Any) -> str:
    text = f"{row['sku']}@{row['location_id']}: on_hand {row['on_hand']}, ledger {row['ledger']}"
    if row["reserved"] != row["held"]:
        text += f", reserved {row['reserved']}, active reservations {row['held']}"
    return text


class InventoryReconciler:
    """The periodic accuracy check; started and stopped by the app lifespan."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool[Any]) -> None:
        self._interval = settings.inventory_reconcile_interval_seconds
        self._pool = pool
        self._task: asyncio.Task[None] | None = None
        self._reported: set[tuple[Any, ...]] = set()
        if settings.metrics_enabled and self._interval > 0:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await reconcile_inventory(self._pool, self._reported)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("inventory reconciliation failed; retrying", exc_info=True)
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def metrics_routes(settings: Settings, services: Services) -> list[Route]:
    """`/metrics`, unless UCG_METRICS_ENABLED=false (api.bootstrap.Services, started)."""
    if not settings.metrics_enabled:
        return []
    expected = f"Bearer {settings.metrics_token}" if settings.metrics_token else None

    async def metrics(request: Request) -> Response:
        if expected is not None and not hmac.compare_digest(
            request.headers.get("authorization", "").encode(), expected.encode()
        ):
            return PlainTextResponse(
                "metrics need the bearer token of UCG_METRICS_TOKEN",
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        if services.event_hub is not None:
            EVENT_SUBSCRIBERS.set(services.event_hub.subscriber_count)
        try:
            await refresh_outbox(services.pool)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("outbox gauges not refreshed", exc_info=True)
        return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics)]


class WebSocketMetrics:
    """ASGI middleware counting open WebSocket connections."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        WEBSOCKET_CONNECTIONS.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            WEBSOCKET_CONNECTIONS.dec()


Refresh = Callable[[], Awaitable[None]]


async def start_metrics_server(
    settings: Settings, port: int, refresh: Refresh | None = None
) -> asyncio.Server | None:
    """`/metrics` of a process without the API (`ucg relay`, `ucg consume`) on its own port,
    with the same switch and token as `ucg serve`'s; None when off. `refresh` updates
    gauges read at scrape time."""
    if not settings.metrics_enabled or port == 0:
        return None
    expected = f"Bearer {settings.metrics_token}" if settings.metrics_token else None

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            parts = request_line.split(" ")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in header_lines if line)
            }
            status, extra, body = await _scrape(parts, headers, expected, refresh)
            writer.write(
                f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n{extra}"
                "connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    try:
        server = await asyncio.start_server(answer, settings.host, port)
    except OSError as exc:
        # The process's real work (publishing, consuming) goes on without its metrics.
        log.error("cannot serve metrics on %s:%d (%s)", settings.host, port, exc)
        return None
    log.info("metrics at http://%s:%d/metrics", settings.host, port)
    return server


async def _scrape(
    request: list[str], headers: dict[str, str], expected: str | None, refresh: Refresh | None
) -> tuple[str, str, bytes]:
    if len(request) != 3 or request[0] not in ("GET", "HEAD"):
        return "405 Method Not Allowed", "", b""
    if request[1].split("?", 1)[0] != "/metrics":
        return "404 Not Found", "", b"not found: the metrics are at /metrics\n"
    if expected is not None and not hmac.compare_digest(
        headers.get("authorization", "").encode(), expected.encode()
    ):
        body = b"metrics need the bearer token of UCG_METRICS_TOKEN\n"
        return "401 Unauthorized", "www-authenticate: Bearer\r\n", body
    if refresh is not None:
        try:
            await refresh()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("gauges not refreshed before a scrape", exc_info=True)
    return "200 OK", f"content-type: {CONTENT_TYPE_LATEST}\r\n", generate_latest(registry())
