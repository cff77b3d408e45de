"""The fulfillment lifecycle as a table, the order status derived from it, and BOPIS times.

Every legal move is one entry of `TRANSITIONS`; `transition()` is the only way
to change a status, and anything not in the table is an INVALID_TRANSITION.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError, ErrorCode
from domain.order.hours import OpeningHours, add_opening_time, close_of_business_after
from domain.order.routing import FulfillmentMethod


class FulfillmentStatus(StrEnum):
    PENDING = "PENDING"  # created at checkout, stock committed to the location
    ON_HOLD = "ON_HOLD"  # waiting for a staff review (fraud) before any work starts
    ALLOCATED = "ALLOCATED"  # released to the location's pick queue
    PICKING = "PICKING"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"  # handed to the carrier / courier
    DELIVERY_FAILED = "DELIVERY_FAILED"  # carrier could not deliver; it will retry
    DELIVERED = "DELIVERED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    PICKED_UP = "PICKED_UP"
    CANCELLED = "CANCELLED"


S = FulfillmentStatus

TRANSITIONS: dict[FulfillmentStatus, frozenset[FulfillmentStatus]] = {
    S.PENDING: frozenset({S.ALLOCATED, S.ON_HOLD, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.PENDING, S.CANCELLED}),
    # A WMS/3PL often reports only "shipped", and a store associate may hand
    # over a BOPIS order without separate pick/pack scans: skipping forward is legal.
    S.ALLOCATED: frozenset({S.PICKING, S.PACKED, S.SHIPPED, S.READY_FOR_PICKUP, S.CANCELLED}),
    S.PICKING: frozenset({S.PACKED, S.SHIPPED, S.READY_FOR_PICKUP, S.CANCELLED}),
    S.PACKED: frozenset({S.SHIPPED, S.READY_FOR_PICKUP, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.DELIVERY_FAILED}),
    S.DELIVERY_FAILED: frozenset({S.SHIPPED, S.DELIVERED}),
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.CANCELLED}),  # cancelled: deadline missed
    S.DELIVERED: frozenset(),
    S.PICKED_UP: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
PICKUP_ONLY = frozenset({S.READY_FOR_PICKUP, S.PICKED_UP})
DELIVERY_ONLY = frozenset({S.SHIPPED, S.DELIVERY_FAILED, S.DELIVERED})
# Goods have left the building (or the buyer's hands hold them): no more cancel.
HANDED_OVER = frozenset({S.SHIPPED, S.DELIVERY_FAILED, S.DELIVERED, S.PICKED_UP})
COMPLETED = frozenset({S.DELIVERED, S.PICKED_UP})
# Cancelling before picking only releases the allocation; after, goods go back on the shelf.
RELEASE_ON_CANCEL = frozenset({S.PENDING, S.ON_HOLD, S.ALLOCATED})
RESTOCK_ON_CANCEL = frozenset({S.PICKING, S.PACKED, S.READY_FOR_PICKUP})


def allowed_targets(
    current: FulfillmentStatus, method: FulfillmentMethod | None = None
) -> frozenset[FulfillmentStatus]:
    """Where a fulfillment may go next; with `method`, pickup and delivery paths stay apart."""
    targets = TRANSITIONS[current]
    if method is FulfillmentMethod.PICKUP:
        return targets - DELIVERY_ONLY
    if method is not None:
        return targets - PICKUP_ONLY
    return targets


def can_transition(
    current: FulfillmentStatus,
    target: FulfillmentStatus,
    method: FulfillmentMethod | None = None,
) -> bool:
    return target in allowed_targets(current, method)


def transition(
    current: FulfillmentStatus,
    target: FulfillmentStatus,
    method: FulfillmentMethod | None = None,
) -> FulfillmentStatus:
    """Return `target` if the move is legal, else raise INVALID_TRANSITION.

    Moving to the current status is not a transition (callers that want
    idempotent updates compare first).
    """
    if not can_transition(current, target, method):
        allowed = ", ".join(sorted(allowed_targets(current, method))) or "none (final)"
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"A fulfillment cannot go from {current} to {target}; allowed: {allowed}.",
            ["status"],
        )
    return target


# What fulfillmentUpdate and a WMS may set: the work at the location and the hand-over.
# PENDING / ON_HOLD / ALLOCATED belong to the fraud review (orderReview) and
# CANCELLED to orderCancel, which also restock, settle the payment and record why.
WORKING_TARGETS = frozenset(
    {S.PICKING, S.PACKED, S.SHIPPED, S.DELIVERY_FAILED, S.DELIVERED, S.READY_FOR_PICKUP}
    | {S.PICKED_UP}
)


def check_working_target(target: FulfillmentStatus) -> None:
    """Refuse, as INVALID_TRANSITION on `status`, a target fulfillmentUpdate may not set."""
    if target in WORKING_TARGETS:
        return
    if target is S.CANCELLED:
        hint = "cancel with orderCancel (it restocks and voids or refunds the payment)"
    else:
        hint = "holds and releases are decided with orderReview"
    allowed = ", ".join(s.value for s in S if s in WORKING_TARGETS)
    raise DomainError(
        ErrorCode.INVALID_TRANSITION,
        f"A fulfillment update cannot set {target}: {hint}. It may set: {allowed}.",
        ["status"],
    )


def check_not_held(order_on_hold: bool, current: FulfillmentStatus | None = None) -> None:
    """An order held for review (fraud) takes no fulfillment work until orderReview
    approves it: shipping it would capture the payment before the review."""
    if order_on_hold or current is S.ON_HOLD:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            "The order is on hold for review: approve or reject it with orderReview first.",
            ["id"],
        )


class StockEffect(StrEnum):
    RELEASE = "RELEASE"  # never left the shelf: the allocation is given back
    RESTOCK = "RESTOCK"  # was picked: put back on the shelf (a stock movement)


def cancellation_stock_effect(current: FulfillmentStatus) -> StockEffect:
    if current in RELEASE_ON_CANCEL:
        return StockEffect.RELEASE
    if current in RESTOCK_ON_CANCEL:
        return StockEffect.RESTOCK
    raise DomainError(
        ErrorCode.NOT_CANCELLABLE, f"A {current} fulfillment cannot be cancelled.", ["status"]
    )


class OrderStatus(StrEnum):
    ON_HOLD = "ON_HOLD"
    UNFULFILLED = "UNFULFILLED"  # nothing started
    IN_PROGRESS = "IN_PROGRESS"  # being picked/packed, nothing handed over
    READY_FOR_PICKUP = "READY_FOR_PICKUP"  # every open fulfillment waits for the buyer
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"  # some, not all, handed over
    FULFILLED = "FULFILLED"  # all handed over, some still on the way
    COMPLETED = "COMPLETED"  # all delivered or picked up
    CANCELLED = "CANCELLED"


_NOT_STARTED = frozenset({S.PENDING, S.ALLOCATED})


def derive_order_status(
    statuses: Iterable[FulfillmentStatus], *, on_hold: bool = False
) -> OrderStatus:
    """The order's status from its fulfillments' (cancelled ones do not count,
    unless all are). `on_hold` is the order-level review flag (fraud)."""
    every = list(statuses)
    live = [s for s in every if s is not S.CANCELLED]
    if every and not live:
        return OrderStatus.CANCELLED
    if on_hold or S.ON_HOLD in live:
        return OrderStatus.ON_HOLD
    if not live:
        return OrderStatus.UNFULFILLED
    handed = [s for s in live if s in HANDED_OVER]
    if handed and len(handed) < len(live):
        return OrderStatus.PARTIALLY_FULFILLED
    if handed:
        return OrderStatus.COMPLETED if all(s in COMPLETED for s in live) else OrderStatus.FULFILLED
    if all(s is S.READY_FOR_PICKUP for s in live):
        return OrderStatus.READY_FOR_PICKUP
    if all(s in _NOT_STARTED for s in live):
        return OrderStatus.UNFULFILLED
    return OrderStatus.IN_PROGRESS


# BOPIS ---------------------------------------------------------------------

PICKUP_PREPARATION = timedelta(hours=2)  # of opening time: the "ready in 2 hours" promise
PICKUP_HOLD_DAYS = 3


def pickup_ready_by(
    hours: OpeningHours | None, now: datetime, preparation: timedelta = PICKUP_PREPARATION
) -> datetime | None:
    """When a BOPIS order will be ready: `preparation` of the store's opening time
    after `now`. None when the store does not open within the horizon."""
    return add_opening_time(hours, now, preparation)


def pickup_deadline(
    hours: OpeningHours | None, ready_at: datetime, hold_days: int = PICKUP_HOLD_DAYS
) -> datetime | None:
    """Until when a ready order is held: closing time `hold_days` local days after
    it became ready (or the next day the store opens). After it, the order is
    cancelled and restocked."""
    return close_of_business_after(hours, ready_at, hold_days)


def pickup_expired(current: FulfillmentStatus, deadline: datetime | None, now: datetime) -> bool:
    """True when a ready pickup is past its deadline and must be cancelled and restocked."""
    return current is S.READY_FOR_PICKUP and deadline is not None and now >= deadline
