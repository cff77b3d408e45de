"""Live streams behind the GraphQL subscriptions: replay from the outbox, then the hub.

`order_status_changes` with `after_sequence` registers with the hub first
(buffering), replays the order's events after that sequence from the outbox,
then drains the live buffer, skipping sequences already sent. Any hole seen in
the live feed (an event that arrives before an earlier one of the same order)
is filled from the outbox too, so a subscriber sees every sequence once, in
order.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from datasources.events.cloudevents import CloudEvent
from datasources.kafka.fanout import ANY_SKU, EventHub, Key
from domain.auth import Principal
from domain.errors import DomainError, ErrorCode, NotFound
from domain.events import (
    OrderStatusChanged,
    StockChanged,
    check_order_visible,
    order_change_visible,
)

ORDER_STATUS_CHANGED = "ucg.order.status_changed.v1"
STOCK_CHANGED = "ucg.inventory.stock_changed.v1"
MAX_SKUS = 250
MAX_LOCATIONS = 100


def _optional_uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def order_change(
    event_id: Any, sequence: int, time: datetime, data: dict[str, Any]
) -> OrderStatusChanged:
    return OrderStatusChanged(
        event_id=uuid.UUID(str(event_id)),
        order_id=uuid.UUID(str(data["orderId"])),
        customer_id=_optional_uuid(data.get("customerId")),
        status=str(data["status"]),
        previous_status=data.get("previousStatus"),
        sequence=sequence,
        occurred_at=time,
    )


_STOCK_RECORDS: weakref.WeakValueDictionary[uuid.UUID, StockChanged] = weakref.WeakValueDictionary()


def shared_stock_change(event: CloudEvent, share: Callable[[Any], Any]) -> StockChanged:
    """One record per event for every subscriber (so its GraphQL result can be shared)."""
    record = _STOCK_RECORDS.get(event.id)
    if record is None:
        record = share(stock_change(event))
        _STOCK_RECORDS[event.id] = record
    return record


def stock_change(event: CloudEvent) -> StockChanged:
    data = event.data
    return StockChanged(
        event_id=event.id,
        sku=str(data["sku"]),
        location_id=uuid.UUID(str(data["locationId"])),
        on_hand=int(data["onHand"]),
        reserved=int(data["reserved"]),
        available=int(data["available"]),
        sequence=event.sequence,
        occurred_at=event.time,
    )


async def _replay(
    pool: Any, order_id: uuid.UUID, after: int, before: int | None = None
) -> list[OrderStatusChanged]:
    rows = await pool.fetch(
        """SELECT event_id, sequence, created_at, payload FROM outbox
           WHERE aggregate_type = 'Order' AND aggregate_id = $1 AND type = $2
             AND sequence > $3 AND ($4::bigint IS NULL OR sequence < $4)
           ORDER BY sequence""",
        str(order_id),
        ORDER_STATUS_CHANGED,
        after,
        before,
    )
    return [order_change(r["event_id"], r["sequence"], r["created_at"], r["payload"]) for r in rows]


async def _check_resumable(pool: Any, order_id: uuid.UUID, after: int) -> None:
    """afterSequence must still be in the retained history (published rows are pruned)."""
    # One statement, one snapshot: the outbox rows and the sequence counter agree.
    row = await pool.fetchrow(
        """SELECT (SELECT min(sequence) FROM outbox
                   WHERE aggregate_type = 'Order' AND aggregate_id = $1) AS oldest,
                  (SELECT last_sequence FROM aggregate_sequences
                   WHERE aggregate_type = 'Order' AND aggregate_id = $1) AS last""",
        str(order_id),
    )
    oldest, last = row["oldest"], row["last"]
    if last is not None and last > after and (oldest is None or oldest > after + 1):
        raise DomainError(
            ErrorCode.INVALID,
            f"Changes after sequence {after} are no longer retained; read the order again "
            "and subscribe without afterSequence.",
            ["afterSequence"],
        )


async def order_status_changes(
    hub: EventHub,
    pool: Any,
    principal: Principal | None,
    order_id: uuid.UUID,
    after_sequence: int | None,
    on_overflow: Callable[[], None],
) -> AsyncIterator[OrderStatusChanged]:
    if after_sequence is not None and after_sequence < 0:
        raise DomainError(ErrorCode.INVALID, "afterSequence must be 0 or more.", ["afterSequence"])
    owner = await pool.fetchrow("SELECT customer_id FROM orders WHERE id = $1", order_id)
    if owner is None:
        raise NotFound("Order", ["orderId"])
    caller = check_order_visible(principal, owner["customer_id"])
    subscriber = hub.subscribe([("order", str(order_id))], on_overflow=on_overflow)
    try:
        last: int | None = None
        if after_sequence is not None:
            await _check_resumable(pool, order_id, after_sequence)
            last = after_sequence
            for change in await _replay(pool, order_id, after_sequence):
                last = change.sequence
                if order_change_visible(caller, change):
                    yield change
        while True:
            event = await subscriber.get()
            if subscriber.closed:
                return  # overflowed: the socket is being closed
            if event.type != ORDER_STATUS_CHANGED:
                continue
            if last is not None and event.sequence <= last:
                continue  # already sent (replayed, or a redelivery)
            changes: list[OrderStatusChanged] = []
            if last is not None and event.sequence > last + 1:
                changes = await _replay(pool, order_id, last, event.sequence)
            changes.append(order_change(event.id, event.sequence, event.time, event.data))
            for change in changes:
                last = change.sequence
                if order_change_visible(caller, change):
                    yield change
    finally:
        hub.unsubscribe(subscriber)


def stock_keys(skus: Sequence[str] | None) -> list[Key]:
    return [("sku", s) for s in skus] if skus else [ANY_SKU]


async def stock_changes(
    hub: EventHub,
    skus: Sequence[str] | None,
    location_ids: Sequence[uuid.UUID] | None,
    on_overflow: Callable[[], None],
    share: Callable[[Any], Any] = lambda record: record,
) -> AsyncIterator[StockChanged]:
    if skus is not None and not 1 <= len(skus) <= MAX_SKUS:
        raise DomainError(ErrorCode.INVALID, f"Give 1 to {MAX_SKUS} skus, or none.", ["skus"])
    if location_ids is not None and not 1 <= len(location_ids) <= MAX_LOCATIONS:
        raise DomainError(
            ErrorCode.INVALID, f"Give 1 to {MAX_LOCATIONS} locationIds, or none.", ["locationIds"]
        )
    locations = {str(i) for i in location_ids} if location_ids else None
    subscriber = hub.subscribe(stock_keys(skus), on_overflow=on_overflow)
    try:
        while True:
            event = await subscriber.get()
            if subscriber.closed:
                return
            if event.type != STOCK_CHANGED:
                continue
            if locations is not None and str(event.data["locationId"]) not in locations:
                continue
            yield shared_stock_change(event, share)
    finally:
        hub.unsubscribe(subscriber)
