"""The outbox relay: publishes committed outbox rows to Kafka, in order per aggregate.

* One publisher at a time: the relay holds a session-level Postgres advisory
  lock on a dedicated connection and does all its reads and writes on that
  connection, so it can only mark rows published while it still holds the
  lock. A standby retries the lock every `relay_lock_retry_seconds` and takes
  over when the holder's connection ends (process death closes it at once).
* Woken by `LISTEN ucg_outbox` (the outbox trigger's NOTIFY); a slow poll every
  `relay_poll_interval_seconds` is the safety net.
* Per-key order: a batch is sent in waves holding at most one event per key,
  and a wave is sent only after the previous one is acked (acks=all). Rows are
  marked published only once acked. On a failure the unacked rows are retried,
  in order, with backoff, on a fresh producer: a retry may duplicate an event
  (consumers dedupe on `id`), never lose or reorder one.
* Published rows older than `relay_retention_hours` are deleted in chunks.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry.trace import SpanKind

from datasources import trace_context
from datasources.events.cloudevents import CONTENT_TYPE, encode, from_outbox_row
from datasources.kafka import topics
from datasources.kafka.client import ensure_topics
from datasources.metrics import RELAY_LEADER, RELAY_PUBLISHED, RELAY_SEND_FAILURES
from datasources.postgres.pool import _init_connection

log = logging.getLogger("ucg.relay")

# Any constant shared by every relay of one database (advisory locks are per database).
RELAY_LOCK_KEY = 0x0C6_0008
NOTIFY_CHANNEL = "ucg_outbox"
_MAX_BACKOFF = 2.0


class RelaySettings(Protocol):
    database_url: str | None
    kafka_bootstrap_servers: str | None
    kafka_enable_idempotence: bool
    relay_batch_size: int
    relay_poll_interval_seconds: float
    relay_lock_retry_seconds: float
    relay_retention_hours: float
    relay_send_timeout_ms: int

    def topic(self, name: str) -> str: ...


@dataclass
class RelayStats:
    """What this relay did; read by tests, logs and (later) metrics."""

    published: int = 0
    failures: int = 0
    pruned: int = 0
    # (start, end) monotonic times during which this relay was sending.
    publishing_windows: list[tuple[float, float]] = field(default_factory=list)


class _SendFailed(Exception):
    def __init__(self, acked: list[int], cause: BaseException) -> None:
        super().__init__(str(cause))
        self.acked = acked
        self.cause = cause


def waves(rows: Sequence[Any]) -> list[list[Any]]:
    """Split rows (in outbox order) into waves with at most one row per aggregate each."""
    result: list[list[Any]] = []
    depth: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["aggregate_type"], row["aggregate_id"])
        level = depth.get(key, 0)
        depth[key] = level + 1
        if level == len(result):
            result.append([])
        result[level].append(row)
    return result


class OutboxRelay:
    def __init__(self, settings: RelaySettings, *, name: str | None = None) -> None:
        assert settings.database_url and settings.kafka_bootstrap_servers
        self.settings = settings
        self.name = name or uuid.uuid4().hex[:8]
        self.stats = RelayStats()
        self.is_leader = False
        self.leader_since: float | None = None
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None

    # -- lifecycle ---------------------------------------------------------

    async def run(self) -> None:
        """Relay until cancelled: wait for the lock, publish, start over after any fault."""
        backoff = 0.1
        while True:
            conn: asyncpg.Connection[Any] | None = None
            try:
                conn = await asyncpg.connect(self.settings.database_url)
                await _init_connection(conn)
                await self._acquire_lock(conn)
                backoff = 0.1
                await self._lead(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a relay must outlive any fault
                log.warning("relay stopped leading (%r); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
            finally:
                self.is_leader = False
                RELAY_LEADER.set(0)
                self.leader_since = None
                await self._stop_producer()
                if conn is not None and not conn.is_closed():
                    # Closing the session releases the advisory lock.
                    await asyncio.shield(conn.close(timeout=2))

    async def _acquire_lock(self, conn: asyncpg.Connection[Any]) -> None:
        # Postgres has no "tell me when this lock is free" without blocking a session: poll.
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):  # noqa: ASYNC110
            await asyncio.sleep(self.settings.relay_lock_retry_seconds)
        self.is_leader = True
        RELAY_LEADER.set(1)
        self.leader_since = time.monotonic()
        log.info("relay %s is now the publisher", self.name)

    async def _lead(self, conn: asyncpg.Connection[Any]) -> None:
        await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
        next_prune = 0.0
        while True:
            self._wake.clear()
            rows = await self._fetch_batch(conn)
            if rows:
                await self._publish(conn, rows)
                if len(rows) == self.settings.relay_batch_size:
                    continue  # more are waiting
            if time.monotonic() >= next_prune:
                await self.prune(conn)
                next_prune = time.monotonic() + 60
            if not rows:
                try:
                    await asyncio.wait_for(
                        self._wake.wait(), self.settings.relay_poll_interval_seconds
                    )
                except TimeoutError:
                    pass
                # A closed connection would never be notified again: check it.
                if conn.is_closed():
                    raise asyncpg.InterfaceError("relay connection closed")

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    # -- publishing --------------------------------------------------------

    async def _fetch_batch(self, conn: asyncpg.Connection[Any]) -> list[asyncpg.Record]:
        return await conn.fetch(
            """SELECT id, event_id, topic, type, aggregate_type, aggregate_id, sequence,
                      payload, created_at, traceparent
               FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1""",
            self.settings.relay_batch_size,
        )

    async def _publish(self, conn: asyncpg.Connection[Any], rows: list[asyncpg.Record]) -> None:
        """Publish `rows` and mark them; retry the unacked ones until every one is acked."""
        pending = list(rows)
        backoff = 0.1
        while pending:
            started = time.monotonic()
            try:
                producer = await self._ensure_producer()
                acked = await self._send_in_waves(producer, pending)
                failure: _SendFailed | None = None
            except _SendFailed as exc:
                acked, failure = exc.acked, exc
            except (KafkaError, OSError, TimeoutError) as exc:
                acked, failure = [], _SendFailed([], exc)
            finally:
                self.stats.publishing_windows.append((started, time.monotonic()))
            if acked:
                await conn.execute(
                    "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", acked
                )
                self.stats.published += len(acked)
                RELAY_PUBLISHED.inc(len(acked))
                done = set(acked)
                pending = [r for r in pending if r["id"] not in done]
            if failure is not None:
                self.stats.failures += 1
                RELAY_SEND_FAILURES.inc()
                log.warning(
                    "relay could not publish %d events (%s); retrying in %.1fs",
                    len(pending),
                    failure.cause,
                    backoff,
                )
                await self._stop_producer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)

    async def _send_in_waves(self, producer: AIOKafkaProducer, rows: list[Any]) -> list[int]:
        acked: list[int] = []
        timeout = self.settings.relay_send_timeout_ms / 1000
        for wave in waves(rows):
            futures = []
            try:
                for row in wave:
                    value = encode(from_outbox_row(row))
                    topic = self.settings.topic(row["topic"])
                    headers = [
                        ("content-type", CONTENT_TYPE.encode()),
                        ("ce_type", row["type"].encode()),
                        ("ce_id", str(row["event_id"]).encode()),
                    ]
                    # The trace of the transaction that wrote the event goes on with it.
                    with trace_context.span(
                        f"publish {row['topic']}",
                        SpanKind.PRODUCER,
                        row["traceparent"],
                        **{"messaging.system": "kafka", "messaging.destination.name": topic},
                    ):
                        traceparent = trace_context.current_traceparent() or row["traceparent"]
                        if traceparent:
                            headers.append((trace_context.TRACEPARENT, traceparent.encode()))
                        futures.append(
                            await asyncio.wait_for(
                                producer.send(
                                    topic,
                                    value=value,
                                    key=row["aggregate_id"].encode(),
                                    headers=headers,
                                ),
                                timeout,
                            )
                        )
            except (KafkaError, OSError, TimeoutError) as exc:
                for future in futures:
                    future.cancel()
                raise _SendFailed(acked, exc) from exc
            results = await asyncio.gather(*futures, return_exceptions=True)
            wave_acked = [
                row["id"]
                for row, result in zip(wave, results, strict=True)
                if not isinstance(result, BaseException)
            ]
            acked += wave_acked
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                raise _SendFailed(acked, errors[0])
        return acked

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            servers = self.settings.kafka_bootstrap_servers
            assert servers
            # A restarted broker may have lost its topics (Tansu keeps them in memory).
            await asyncio.wait_for(
                ensure_topics(servers, [self.settings.topic(t) for t in topics.OUTBOUND]),
                self.settings.relay_send_timeout_ms / 1000,
            )
            producer = AIOKafkaProducer(
                bootstrap_servers=servers,
                acks="all",
                enable_idempotence=self.settings.kafka_enable_idempotence,
                linger_ms=0,
                request_timeout_ms=self.settings.relay_send_timeout_ms,
                retry_backoff_ms=50,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _stop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 2)
            except Exception:  # noqa: BLE001 - a dead broker cannot be flushed; drop it
                log.debug("producer stop failed", exc_info=True)

    # -- retention -----------------------------------------------------------

    async def prune(self, conn: asyncpg.Connection[Any], chunk: int = 5000) -> int:
        """Delete published rows older than the retention period, a chunk at a time."""
        deleted = 0
        while True:
            status = await conn.execute(
                """DELETE FROM outbox WHERE id IN (
                       SELECT id FROM outbox
                       WHERE published_at < now() - make_interval(secs => $1)
                       LIMIT $2)""",
                self.settings.relay_retention_hours * 3600,
                chunk,
            )
            count = int(status.split()[-1])
            deleted += count
            if count < chunk:
                break
        self.stats.pruned += deleted
        return deleted
