"""One Kafka consumer per API process, fanning each event out to in-process subscribers.

The hub reads every outbound topic from the latest offset (no consumer group:
each instance needs every event), decodes and validates each message once,
drops redeliveries by event id, runs the cache invalidators, then hands the
decoded event to the subscribers indexed under its keys (a dict lookup per
key, never a filter per subscriber). Each subscriber has a bounded queue;
`offer` never waits: a subscriber whose queue is full is closed through its
`on_overflow` callback, and the others are not held up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from opentelemetry.trace import SpanKind

from datasources import trace_context
from datasources.events.cloudevents import CloudEvent, decode
from datasources.events.invalidation import Invalidator, invalidate
from datasources.events.schemas import InvalidEvent
from datasources.kafka import topics
from datasources.metrics import observe_propagation

log = logging.getLogger("ucg.fanout")

Key = tuple[str, str]
ANY_SKU: Key = ("sku", "*")
_RECENT_IDS = 50_000


class HubSettings(Protocol):
    kafka_bootstrap_servers: str | None
    subscription_queue_size: int

    def topic(self, name: str) -> str: ...


def event_keys(event: CloudEvent) -> list[Key]:
    """The index keys an event is delivered under."""
    # (type, "*"): every event of a type, for streams that filter by their own rule
    # (the store activity stream picks the new pickup orders of its store).
    keys: list[Key] = [(event.type, event.subject), (event.type, "*")]
    if event.type == "ucg.order.status_changed.v1":
        keys.append(("order", str(event.data["orderId"])))
    elif event.type == "ucg.inventory.stock_changed.v1":
        keys += [("sku", str(event.data["sku"])), ANY_SKU]
    elif event.type == "ucg.customer.segment_changed.v1":
        keys.append(("segment", str(event.data["segmentId"])))
    return keys


class Subscriber:
    """One live subscription: a bounded queue the hub fills and the subscription drains."""

    __slots__ = ("keys", "queue", "on_overflow", "closed")

    def __init__(self, keys: Sequence[Key], capacity: int, on_overflow: Callable[[], None]) -> None:
        self.keys = tuple(dict.fromkeys(keys))
        self.queue: asyncio.Queue[CloudEvent] = asyncio.Queue(capacity)
        self.on_overflow = on_overflow
        self.closed = False

    def offer(self, event: CloudEvent) -> bool:
        """Queue the event without waiting; on overflow close this subscriber."""
        if self.closed:
            return False
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.closed = True
            try:
                self.on_overflow()
            except Exception:
                log.exception("overflow callback failed")
            return False
        return True

    async def get(self) -> CloudEvent:
        return await self.queue.get()


@dataclass
class HubStats:
    received: int = 0
    invalid: int = 0
    duplicates: int = 0
    delivered: int = 0
    overflows: int = 0


class EventHub:
    def __init__(
        self,
        settings: HubSettings,
        redis: Any = None,
        invalidators: Mapping[str, Sequence[Invalidator]] | None = None,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.invalidators = dict(invalidators or {})
        self.stats = HubStats()
        self._index: dict[Key, set[Subscriber]] = {}
        self._recent: OrderedDict[Any, None] = OrderedDict()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    # -- subscribers ---------------------------------------------------------

    def subscribe(
        self,
        keys: Iterable[Key],
        *,
        on_overflow: Callable[[], None] = lambda: None,
        capacity: int | None = None,
    ) -> Subscriber:
        subscriber = Subscriber(
            list(keys), capacity or self.settings.subscription_queue_size, on_overflow
        )
        for key in subscriber.keys:
            self._index.setdefault(key, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.closed = True
        for key in subscriber.keys:
            group = self._index.get(key)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self._index[key]

    @property
    def subscriber_count(self) -> int:
        return len({s for group in self._index.values() for s in group})

    def dispatch(self, event: CloudEvent) -> int:
        """Offer the event to every subscriber under its keys; never waits. Returns deliveries."""
        delivered = 0
        seen: set[Subscriber] = set()
        for key in event_keys(event):
            group = self._index.get(key)
            if not group:
                continue
            for subscriber in tuple(group):
                if subscriber in seen:
                    continue
                seen.add(subscriber)
                if subscriber.closed:
                    continue
                if subscriber.offer(event):
                    delivered += 1
                else:
                    self.stats.overflows += 1
                    self.unsubscribe(subscriber)
        self.stats.delivered += delivered
        return delivered

    def _first_time(self, event: CloudEvent) -> bool:
        if event.id in self._recent:
            self.stats.duplicates += 1
            return False
        self._recent[event.id] = None
        if len(self._recent) > _RECENT_IDS:
            self._recent.popitem(last=False)
        return True

    async def handle(self, values: Iterable[bytes]) -> None:
        """Decode a batch of message values, invalidate caches, then fan out."""
        events: list[CloudEvent] = []
        for value in values:
            self.stats.received += 1
            try:
                event = decode(value)
            except InvalidEvent as exc:
                self.stats.invalid += 1
                log.error("dropping an invalid event: %s", exc)
                continue
            if self._first_time(event):
                events.append(event)
        if self.redis is not None:
            await asyncio.gather(*(invalidate(e, self.redis, self.invalidators) for e in events))
        for event in events:
            if self.dispatch(event):
                observe_propagation(event.type, event.time)

    # -- the consumer ----------------------------------------------------------

    async def start(self) -> None:
        """Connect, position at the end of every outbound topic, then consume in a task."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            # Only after a broker lost its log (a restarted dev broker): read it all again.
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        try:
            await consumer.topics()
            partitions = [
                TopicPartition(name, p)
                for name in (self.settings.topic(t) for t in topics.LIVE)
                for p in sorted(consumer.partitions_for_topic(name) or ())
            ]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:
                await consumer.position(tp)
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        self._task = asyncio.create_task(self._consume(), name="ucg-event-hub")

    async def _consume(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=1000, max_records=1000)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event consumer failed; retrying")
                await asyncio.sleep(1)
                continue
            for messages in batches.values():
                with contextlib.ExitStack() as spans:
                    if trace_context.enabled:  # one span per traced event, around its fan-out
                        for m in messages:
                            if (parent := trace_context.header(m.headers)) is not None:
                                spans.enter_context(
                                    trace_context.span(
                                        f"receive {m.topic}",
                                        SpanKind.CONSUMER,
                                        parent,
                                        **{"messaging.system": "kafka"},
                                    )
                                )
                    try:
                        await self.handle(m.value for m in messages if m.value is not None)
                    except Exception:
                        log.exception("event fan-out failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
