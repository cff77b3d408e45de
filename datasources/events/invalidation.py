"""Cache invalidation driven by the outbound events.

Every API process runs one event consumer (`datasources/kafka/fanout.py`); for
each event it awaits the invalidators registered for the event's type before
the event reaches any subscriber, so a client that re-reads after a
notification never gets the stale copy from this instance's caches.

    register_invalidator("ucg.inventory.stock_changed.v1", drop_availability)

or hands them to its hub (`EventHub(settings, redis, {event_type: [invalidator]})`; the API
process does this for `availability:<sku>`, `api/live.py`), where `async def drop_availability(event: CloudEvent, redis: Redis) -> None`
deletes its Redis keys and in-process entries for `event.data["sku"]`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from datasources.events.cloudevents import CloudEvent

log = logging.getLogger("ucg.events.invalidation")

Invalidator = Callable[[CloudEvent, Any], Awaitable[None]]
_INVALIDATORS: dict[str, list[Invalidator]] = {}


def register_invalidator(event_type: str, invalidator: Invalidator) -> Callable[[], None]:
    """Call `invalidator(event, redis)` for each event of `event_type`; returns an unregister."""
    _INVALIDATORS.setdefault(event_type, []).append(invalidator)

    def unregister() -> None:
        handlers = _INVALIDATORS.get(event_type, [])
        if invalidator in handlers:
            handlers.remove(invalidator)

    return unregister


def invalidators_for(event_type: str) -> list[Invalidator]:
    return list(_INVALIDATORS.get(event_type, ()))


async def invalidate(
    event: CloudEvent, redis: Any, own: Mapping[str, Sequence[Invalidator]] | None = None
) -> None:
    """Run the event's invalidators (registered ones, then `own`, a hub's); one failing is
    logged and does not stop the others."""
    for invalidator in [*invalidators_for(event.type), *(own or {}).get(event.type, ())]:
        try:
            await invalidator(event, redis)
        except Exception:
            log.exception("cache invalidator failed", extra={"event_type": event.type})
