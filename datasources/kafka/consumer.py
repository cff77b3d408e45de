"""A reusable inbound consumer: effectively-once effects from at-least-once delivery.

For each message, in one database transaction: record (consumer, event id) in
processed_events and run the callback's effect. A duplicate is recognised by its
event id and skipped. Offsets are committed only after the database commit, so a
crash loses nothing (the message comes again and is deduplicated). Transient
faults (database or network down) are retried with capped exponential backoff,
never skipped. A message that cannot be parsed or applied goes to `<topic>.dlq`
with a `reason` header, and the consumer goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from opentelemetry.trace import SpanKind

from datasources import trace_context
from datasources.metrics import CONSUMER_LAG, CONSUMER_MESSAGES, DLQ_MESSAGES
from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError

log = logging.getLogger("ucg.consumer")


class PoisonMessage(Exception):
    """The message can never be applied (bad JSON, schema violation, unknown sku)."""


class TransientFault(Exception):
    """Raised by a callback for a fault worth retrying that is not an I/O error of its
    own, e.g. a payment service's processing error (the retry reuses its idempotency key)."""


@dataclass(frozen=True)
class Inbound:
    """A parsed message: its event id (the dedupe key) and the callback's own payload."""

    event_id: str
    payload: Any


# The payload of a message this consumer has nothing to do with (another event type on a
# shared topic): committed past without a transaction or a processed_events row.
IGNORED: Any = object()


class BatchHooks(Protocol):
    """A callback's view of one batch transaction (`ConsumerConfig.batch_transactions`):
    `begin` may load what every message of the batch needs in a few statements, and
    `flush` writes effects the callback deferred to the end of the batch. `end` is called
    after the batch, committed or not, to drop what `begin` loaded."""

    async def begin(self, uow: UnitOfWork, inbounds: list[Inbound]) -> None: ...
    async def flush(self, uow: UnitOfWork) -> None: ...
    def end(self) -> None: ...


Parse = Callable[[ConsumerRecord[bytes, bytes]], Inbound]
Apply = Callable[[UnitOfWork, Inbound], Awaitable[None]]
AfterCommit = Callable[[Inbound], Awaitable[None]]

TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    TimeoutError,
    TransientFault,
)


@dataclass
class ConsumerConfig:
    bootstrap_servers: str
    topic: str
    group_id: str
    name: str  # the `consumer` column of processed_events
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 500
    max_poll_records: int = 100
    backoff_initial: float = 0.1
    backoff_max: float = 5.0
    max_unexpected_attempts: int = 5
    # One transaction for each partition's messages of a poll, a savepoint per message (a
    # rejected one is rolled back and dead-lettered alone); off, one transaction each. Only
    # for database-only effects: a batch that fails is replayed message by message.
    batch_transactions: bool = False


class InboundConsumer:
    def __init__(
        self,
        config: ConsumerConfig,
        pool: asyncpg.Pool[Any],
        parse: Parse,
        apply: Apply,
        *,
        producer: AIOKafkaProducer | None = None,
        after_commit: AfterCommit | None = None,
        batch_hooks: BatchHooks | None = None,
    ) -> None:
        self.config = config
        self._pool = pool
        self._parse = parse
        self._apply = apply
        self._after_commit = after_commit
        self._batch_hooks = batch_hooks
        self.batches = 0  # batch transactions committed (batch_transactions)
        self._producer = producer
        self._own_producer = producer is None
        self._stopped = asyncio.Event()
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.ignored = 0
        self._lag_partitions: set[int] = set()

    @property
    def dlq_topic(self) -> str:
        return f"{self.config.topic}.dlq"

    def stop(self) -> None:
        self._stopped.set()

    async def run(self) -> None:
        c = self.config
        consumer = AIOKafkaConsumer(
            c.topic,
            bootstrap_servers=c.bootstrap_servers,
            group_id=c.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=c.session_timeout_ms,
            heartbeat_interval_ms=c.heartbeat_interval_ms,
            max_poll_records=c.max_poll_records,
        )
        if self._producer is None:
            self._producer = AIOKafkaProducer(bootstrap_servers=c.bootstrap_servers, acks="all")
            await self._producer.start()
        await consumer.start()
        try:
            while not self._stopped.is_set():
                batch = await consumer.getmany(timeout_ms=200)
                for partition, records in batch.items():
                    if c.batch_transactions:
                        handled = await self._handle_batch(records)
                    else:
                        handled = await self._handle_each(records)
                    if handled is not None:
                        # Once per partition and poll, after the database commits of every
                        # message up to it: a crash before this line redelivers them, and
                        # their event ids (processed_events) make that a no-op.
                        await consumer.commit({partition: handled})
                await self._export_lag(consumer)
        finally:
            self._forget_lag(set())
            await consumer.stop()
            if self._own_producer and self._producer is not None:
                await self._producer.stop()

    async def _handle_each(self, records: list[ConsumerRecord[bytes, bytes]]) -> int | None:
        """A transaction per message; the offset to commit after them (None: none done)."""
        handled = None
        for record in records:
            if self._stopped.is_set():
                break
            if not await self._handle(record):
                break  # stopping mid-retry: leave the offset for the next run
            handled = record.offset + 1
        return handled

    async def _handle_batch(self, records: list[ConsumerRecord[bytes, bytes]]) -> int | None:
        """One partition's messages of a poll in one transaction; a message that fails with
        anything but a rejection is taken alone (`_handle`, with its retries), after the
        ones before it committed, and the batch goes on after it. Returns the offset to
        commit (None: none done)."""
        items: list[tuple[ConsumerRecord[bytes, bytes], Inbound]] = []
        for record in records:
            inbound = await self._parsed(record)  # a poison message is parked here
            if inbound is not None:
                items.append((record, inbound))
        done = 0
        while done < len(items):
            if self._stopped.is_set():
                return int(items[done][0].offset)
            done += await self._apply_batch(items[done:])
            if done < len(items):
                if not await self._handle(items[done][0]):
                    return int(items[done][0].offset)
                done += 1
        return int(records[-1].offset) + 1 if records else None

    async def _apply_batch(self, items: list[tuple[ConsumerRecord[bytes, bytes], Inbound]]) -> int:
        """Apply the leading messages in one transaction; how many were settled (applied,
        duplicate or rejected) when it committed. Stops before the first that fails
        otherwise; 0 if the transaction itself failed (nothing of it stands)."""
        hooks = self._batch_hooks
        settled: list[tuple[ConsumerRecord[bytes, bytes], Inbound, bool | str]] = []
        try:
            with trace_context.span(
                f"process {items[0][0].topic}",
                SpanKind.CONSUMER,
                trace_context.header(items[0][0].headers),
                **{
                    "messaging.system": "kafka",
                    "messaging.consumer.group.name": self.config.group_id,
                    "messaging.batch.message_count": len(items),
                },
            ):
                async with UnitOfWork(self._pool) as uow:
                    if hooks is not None:
                        await hooks.begin(uow, [inbound for _, inbound in items])
                    for record, inbound in items:
                        savepoint = uow.conn.transaction()
                        await savepoint.start()
                        try:
                            first_time = await self._apply_in(uow, inbound)
                        except (PoisonMessage, DomainError) as exc:
                            await savepoint.rollback()
                            settled.append((record, inbound, f"rejected: {_reason(exc)}"))
                            continue
                        except Exception:  # noqa: BLE001 - taken alone next, with retries
                            log.warning("message failed in a batch", exc_info=True)
                            await savepoint.rollback()
                            break
                        await savepoint.commit()
                        settled.append((record, inbound, first_time))
                    if hooks is not None:
                        await hooks.flush(uow)
        except Exception:  # noqa: BLE001 - rolled back; replayed one by one, with retries
            log.warning("batch transaction failed; applying one by one", exc_info=True)
            return 0
        finally:
            if hooks is not None:
                hooks.end()
        self.batches += 1
        for record, inbound, outcome in settled:
            if isinstance(outcome, str):
                await self._dead_letter(record, outcome)
            else:
                await self._settled(record, inbound, outcome)
        return len(settled)

    async def _export_lag(self, consumer: AIOKafkaConsumer) -> None:
        """ucg_consumer_lag_messages for each partition assigned to this consumer."""
        assigned: set[int] = set()
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue  # no fetch answered yet
            position = await consumer.position(tp)
            CONSUMER_LAG.labels(tp.topic, str(tp.partition), self.config.group_id).set(
                max(highwater - position, 0)
            )
            assigned.add(tp.partition)
        self._forget_lag(assigned)

    def _forget_lag(self, assigned: set[int]) -> None:
        # A partition moved to another member: its lag is that member's to report now.
        for partition in self._lag_partitions - assigned:
            labels = (self.config.topic, str(partition), self.config.group_id)
            CONSUMER_LAG.labels(*labels).set(0)  # what a multiprocess file keeps
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(*labels)
        self._lag_partitions = assigned

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Apply or park one message; False only when asked to stop before either."""
        with trace_context.span(
            f"process {record.topic}",
            SpanKind.CONSUMER,
            trace_context.header(record.headers),
            **{"messaging.system": "kafka", "messaging.consumer.group.name": self.config.group_id},
        ):
            return await self._handle_traced(record)

    async def _parsed(self, record: ConsumerRecord[bytes, bytes]) -> Inbound | None:
        """The parsed message, or None when it was parked in the DLQ or is not ours."""
        try:
            inbound = self._parse(record)
        except (PoisonMessage, DomainError) as exc:  # a domain parser may refuse with a code
            await self._dead_letter(record, f"unparseable: {_reason(exc)}")
            return None
        if inbound.payload is IGNORED:
            self.ignored += 1
            return None
        return inbound

    async def _handle_traced(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        inbound = await self._parsed(record)
        if inbound is None:
            return True
        delay = self.config.backoff_initial
        unexpected = 0
        while True:
            try:
                applied = await self._apply_once(inbound)
                break
            except (PoisonMessage, DomainError) as exc:
                await self._dead_letter(record, f"rejected: {_reason(exc)}")
                return True
            except TRANSIENT as exc:
                log.warning("transient fault; retrying", extra={"error": repr(exc)})
            except Exception as exc:  # noqa: BLE001 - a bug should not stall the partition forever
                unexpected += 1
                log.exception("unexpected error applying message")
                if unexpected >= self.config.max_unexpected_attempts:
                    await self._dead_letter(record, f"failed: {type(exc).__name__}")
                    return True
            if self._stopped.is_set():
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.backoff_max)
        await self._settled(record, inbound, applied)
        return True

    async def _settled(
        self, record: ConsumerRecord[bytes, bytes], inbound: Inbound, applied: bool
    ) -> None:
        """Counters and the after-commit hook of a message whose transaction committed."""
        CONSUMER_MESSAGES.labels(record.topic, "applied" if applied else "duplicate").inc()
        if applied:
            self.applied += 1
            if self._after_commit is not None:
                try:
                    await self._after_commit(inbound)
                except Exception:  # noqa: BLE001 - e.g. cache invalidation; the effect stands
                    log.warning("after-commit hook failed", exc_info=True)
        else:
            self.duplicates += 1

    async def _apply_once(self, inbound: Inbound) -> bool:
        async with UnitOfWork(self._pool) as uow:
            return await self._apply_in(uow, inbound)

    async def _apply_in(self, uow: UnitOfWork, inbound: Inbound) -> bool:
        """Record the event id and apply the effect in `uow`; False: seen before."""
        first_time = await uow.conn.fetchval(
            "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            self.config.name,
            inbound.event_id,
        )
        if not first_time:
            return False
        await self._apply(uow, inbound)
        return True

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        assert self._producer is not None
        headers = [
            ("reason", reason.encode()[:1000]),
            ("original-topic", record.topic.encode()),
            ("original-partition", str(record.partition).encode()),
            ("original-offset", str(record.offset).encode()),
        ]
        delay = self.config.backoff_initial
        while True:
            try:
                await self._producer.send_and_wait(
                    self.dlq_topic, record.value, key=record.key, headers=headers
                )
                break
            except Exception:  # noqa: BLE001 - never commit past a message we failed to park
                log.warning("cannot write to the DLQ; retrying", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.backoff_max)
        self.dead_lettered += 1
        CONSUMER_MESSAGES.labels(record.topic, "dead_lettered").inc()
        DLQ_MESSAGES.labels(record.topic, reason.split(":", 1)[0]).inc()
        log.warning("message sent to the DLQ", extra={"topic": self.dlq_topic, "reason": reason})


def _reason(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return f"{exc.code.value}: {exc.message}"
    return str(exc)
