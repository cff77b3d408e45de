"""The live stream behind storeActivity: the store's own events, and its new pickup orders.

Store events (arrivals, handovers) have the store as subject, so the hub hands a
subscriber exactly its store's. Order-created events name no location: each one
is looked up once per process (shared by every store subscriber) for its pickup
fulfillments, and given to the subscribers of those stores.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

from datasources.kafka.fanout import EventHub, Key
from datasources.postgres.store_repository import location_kind, pickup_parts_of_order
from domain.auth import Principal
from domain.errors import NotFound
from domain.order.fulfillment import FulfillmentStatus as S
from domain.store.activity import (
    ORDER_CREATED,
    STORE_EVENT_TYPES,
    ActivityKind,
    StoreActivity,
    activity_from_store_event,
    check_may_watch_store,
)
from domain.store.pickup import PickupPart

_RECENT = 1000
_lookups: OrderedDict[uuid.UUID, asyncio.Task[list[PickupPart]]] = OrderedDict()


def _new_order_parts(pool: Any, event_id: uuid.UUID, order_id: uuid.UUID) -> Any:
    """One lookup per order-created event in this process, however many stores watch."""
    task = _lookups.get(event_id)
    if task is None:
        task = asyncio.ensure_future(pickup_parts_of_order(pool, order_id))
        _lookups[event_id] = task
        if len(_lookups) > _RECENT:
            _lookups.popitem(last=False)
    return task


def activity_keys(location_id: uuid.UUID) -> list[Key]:
    return [(t, str(location_id)) for t in STORE_EVENT_TYPES] + [(ORDER_CREATED, "*")]


async def store_activity(
    hub: EventHub,
    pool: Any,
    principal: Principal | None,
    location_id: uuid.UUID,
    on_overflow: Callable[[], None],
) -> AsyncIterator[StoreActivity]:
    check_may_watch_store(principal)
    if await location_kind(pool, location_id) is None:
        raise NotFound("Location", ["locationId"])
    subscriber = hub.subscribe(activity_keys(location_id), on_overflow=on_overflow)
    try:
        while True:
            event = await subscriber.get()
            if subscriber.closed:
                return
            if event.type in STORE_EVENT_TYPES:
                if event.subject == str(location_id):
                    yield activity_from_store_event(event.id, event.type, event.time, event.data)
                continue
            if event.type != ORDER_CREATED:
                continue
            parts = await _new_order_parts(pool, event.id, uuid.UUID(str(event.data["orderId"])))
            for part in parts:
                # A till sale is a pickup handed over at once: nothing for staff to pick.
                if part.location_id == location_id and part.status is not S.PICKED_UP:
                    yield StoreActivity(
                        event_id=event.id,
                        kind=ActivityKind.PICKUP_ORDER_PLACED,
                        location_id=location_id,
                        order_id=part.order_id,
                        order_number=part.order_number,
                        fulfillment_id=part.id,
                        occurred_at=event.time,
                    )
    finally:
        hub.unsubscribe(subscriber)
