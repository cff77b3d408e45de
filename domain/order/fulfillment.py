"""Fulfillment lifecycle, order status derived from fulfillments, and BOPIS promises."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from enum import StrEnum

from domain.errors import DomainError, ErrorCode


class Method(StrEnum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"
    SHIP_FROM_STORE = "SHIP_FROM_STORE"
    SAME_DAY = "SAME_DAY"


class FulfillmentStatus(StrEnum):
    PENDING = "PENDING"
    ALLOCATED = "ALLOCATED"
    PICKING = "PICKING"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    PICKED_UP = "PICKED_UP"
    CANCELLED = "CANCELLED"


class OrderStatus(StrEnum):
    ON_HOLD = "ON_HOLD"
    UNFULFILLED = "UNFULFILLED"
    IN_PROGRESS = "IN_PROGRESS"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"


S = FulfillmentStatus
# The whole lifecycle in one table: status -> statuses it may move to.
TRANSITIONS: Mapping[FulfillmentStatus, frozenset[FulfillmentStatus]] = {
    S.PENDING: frozenset({S.ALLOCATED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.PACKED, S.READY_FOR_PICKUP, S.CANCELLED}),
    S.PACKED: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.CANCELLED}),
    S.DELIVERED: frozenset(),
    S.PICKED_UP: frozenset(),
    S.CANCELLED: frozenset(),
}
# Statuses that only make sense for one kind of fulfillment.
PICKUP_ONLY = frozenset({S.READY_FOR_PICKUP, S.PICKED_UP})
DELIVERY_ONLY = frozenset({S.PACKED, S.SHIPPED, S.DELIVERED})
DONE = frozenset({S.DELIVERED, S.PICKED_UP})
# Handed over (or about to be): stock is committed and payment captured from here.
HANDED_OVER = frozenset({S.SHIPPED, S.DELIVERED, S.PICKED_UP})
CANCELLABLE = frozenset(s for s, targets in TRANSITIONS.items() if S.CANCELLED in targets)


def allowed(method: Method, current: FulfillmentStatus, target: FulfillmentStatus) -> bool:
    if target not in TRANSITIONS[current]:
        return False
    if method is Method.PICKUP:
        return target not in DELIVERY_ONLY
    return target not in PICKUP_ONLY


def transition(
    method: Method, current: FulfillmentStatus, target: FulfillmentStatus
) -> FulfillmentStatus:
    """The new status, or INVALID_TRANSITION naming the move that is not allowed."""
    if not allowed(method, current, target):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"A {method.value} fulfillment cannot go from {current.value} to {target.value}.",
            ["status"],
        )
    return target


def order_status(statuses: Iterable[FulfillmentStatus], *, on_hold: bool = False) -> OrderStatus:
    """An order's status is derived from its fulfillments, never stored on its own."""
    if on_hold:
        return OrderStatus.ON_HOLD
    live = [s for s in statuses if s is not S.CANCELLED]
    if not live:
        return OrderStatus.CANCELLED
    done = sum(1 for s in live if s in DONE)
    if done == len(live):
        return OrderStatus.FULFILLED
    if done or any(s in HANDED_OVER for s in live):
        return OrderStatus.PARTIALLY_FULFILLED
    if all(s is S.PENDING for s in live):
        return OrderStatus.UNFULFILLED
    return OrderStatus.IN_PROGRESS


# Weekday (0 = Monday) -> (opens, closes), local time of the store. Missing day = closed.
OpeningHours = Mapping[int, tuple[time, time]]

PICKUP_LEAD = timedelta(hours=2)
PICKUP_WINDOW = timedelta(days=7)


def add_opening_time(now: datetime, hours: OpeningHours, amount: timedelta) -> datetime | None:
    """The moment `amount` of opening time after `now` has passed (None: never opens)."""
    if not any(opens < closes for opens, closes in hours.values()):
        return None
    remaining = amount
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    cursor = now
    for offset in range(8 * 7):
        day = day_start + timedelta(days=offset)
        window = hours.get(day.weekday())
        if window is None or window[0] >= window[1]:
            continue
        opens = day.replace(hour=window[0].hour, minute=window[0].minute)
        closes = day.replace(hour=window[1].hour, minute=window[1].minute)
        start = max(opens, cursor)
        if start >= closes:
            continue
        if closes - start >= remaining:
            return start + remaining
        remaining -= closes - start
        cursor = closes
    return None  # pragma: no cover - unreachable with at least one open day a week


def pickup_ready_at(now: datetime, hours: OpeningHours) -> datetime | None:
    """BOPIS promise: ready within two hours of the store's opening time."""
    return add_opening_time(now, hours, PICKUP_LEAD)


def pickup_deadline(ready_at: datetime) -> datetime:
    """After this, an uncollected pickup is cancelled and its stock restocked."""
    return ready_at + PICKUP_WINDOW
