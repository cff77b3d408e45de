"""Order totals and the pure part of cancellations and returns, over the Order
aggregate's own lines and fulfillments (domain/order/order_parts.py): what was handed
over or delivered is counted from the fulfillments.

Money given back for part of a line is the line's own total (price minus
discount plus tax) shared out unit by unit with cumulative rounding, so the
units of a line always add up to exactly its total, whatever the order in
which they are cancelled or returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.errors import DomainError, ErrorCode, NotFound
from domain.order.fulfillment import COMPLETED, HANDED_OVER, FulfillmentStatus

if TYPE_CHECKING:  # the aggregate's parts (order_parts imports this module's plans)
    from domain.order.order_parts import Fulfillment, OrderLine


def units_in(
    fulfillments: Iterable[Fulfillment], statuses: Collection[FulfillmentStatus]
) -> dict[uuid.UUID, int]:
    """Units per order line in the fulfillments at one of `statuses` (e.g. `HANDED_OVER`:
    shipped or picked up; `COMPLETED`: delivered or picked up, so returnable)."""
    units: dict[uuid.UUID, int] = {}
    for part in fulfillments:
        if part.status in statuses:
            for line_id, n in part.lines.items():
                units[line_id] = units.get(line_id, 0) + n
    return units


def delivered_at(fulfillments: Iterable[Fulfillment]) -> dict[uuid.UUID, datetime]:
    """When each line was last delivered or picked up (its latest final fulfillment's
    `updated_at`: final statuses do not move)."""
    when: dict[uuid.UUID, datetime] = {}
    for part in fulfillments:
        if part.status in COMPLETED and part.updated_at is not None:
            for line_id in part.lines:
                if line_id not in when or part.updated_at > when[line_id]:
                    when[line_id] = part.updated_at
    return when


def cancellable_units(
    lines: Sequence[OrderLine], fulfillments: Sequence[Fulfillment]
) -> dict[uuid.UUID, int]:
    """Units of each line still cancellable: neither cancelled nor handed over."""
    handed = units_in(fulfillments, HANDED_OVER)
    left = {
        line.id: line.quantity - line.cancelled_quantity - handed.get(line.id, 0) for line in lines
    }
    if min(left.values(), default=0) < 0:
        raise DomainError(ErrorCode.INVALID, "Line quantities are inconsistent.")
    return left


def returnable_units(
    lines: Sequence[OrderLine], fulfillments: Sequence[Fulfillment]
) -> dict[uuid.UUID, int]:
    """Units of each line that may still be asked back: delivered or picked up, neither
    returned nor in a return asked for."""
    delivered = units_in(fulfillments, COMPLETED)
    left = {
        line.id: delivered.get(line.id, 0) - line.returned_quantity - line.requested_quantity
        for line in lines
    }
    if min(left.values(), default=0) < 0:
        raise DomainError(ErrorCode.INVALID, "Line quantities are inconsistent.")
    return left


@dataclass(frozen=True)
class OrderTotals:
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    shipping_minor: int
    total_minor: int


def order_totals(lines: Iterable[OrderLine], shipping_minor: int = 0) -> OrderTotals:
    if shipping_minor < 0:
        raise DomainError(ErrorCode.INVALID, "Shipping must not be negative.")
    items = list(lines)
    subtotal = sum(line.subtotal_minor for line in items)
    discount = sum(line.discount_minor for line in items)
    tax = sum(line.tax_minor for line in items)
    return OrderTotals(
        subtotal, discount, tax, shipping_minor, subtotal - discount + tax + shipping_minor
    )


@dataclass(frozen=True)
class LineQuantity:
    line_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class LineGivenBack:
    line_id: uuid.UUID
    sku: str
    quantity: int
    amount_minor: int
    restock: bool  # cancellations: stock goes back; returns: only when resellable


def _requested(
    lines: Sequence[OrderLine], requested: Sequence[LineQuantity]
) -> list[tuple[int, OrderLine, int]]:
    by_id = {line.id: line for line in lines}
    seen: set[uuid.UUID] = set()
    found = []
    for index, item in enumerate(requested):
        field = ["lines", str(index)]
        line = by_id.get(item.line_id)
        if line is None:
            raise NotFound("Order line", [*field, "line_id"])
        if item.line_id in seen:
            raise DomainError(ErrorCode.INVALID, "A line is listed twice.", [*field, "line_id"])
        seen.add(item.line_id)
        if item.quantity <= 0:
            raise DomainError(
                ErrorCode.INVALID, "Quantities must be positive.", [*field, "quantity"]
            )
        found.append((index, line, item.quantity))
    if not found:
        raise DomainError(ErrorCode.INVALID, "Name at least one line.", ["lines"])
    return found


@dataclass(frozen=True)
class CancellationPlan:
    lines: tuple[LineGivenBack, ...]
    shipping_minor: int  # shipping given back (only when nothing was ever handed over)
    whole_order: bool  # nothing is left to fulfill afterwards

    @property
    def amount_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines) + self.shipping_minor


def plan_cancellation(
    lines: Sequence[OrderLine],
    fulfillments: Sequence[Fulfillment],
    requested: Sequence[LineQuantity] | None = None,
    shipping_minor: int = 0,
) -> CancellationPlan:
    """What a cancel does: `requested=None` cancels every unit not yet handed over."""
    cancellable = cancellable_units(lines, fulfillments)
    if requested is None:
        picked = [(i, line, cancellable[line.id]) for i, line in enumerate(lines)]
        picked = [p for p in picked if p[2] > 0]
        if not picked:
            raise DomainError(
                ErrorCode.NOT_CANCELLABLE, "Nothing in this order can be cancelled any more."
            )
    else:
        picked = _requested(lines, requested)
        for index, line, quantity in picked:
            if quantity > cancellable[line.id]:
                raise DomainError(
                    ErrorCode.NOT_CANCELLABLE,
                    f"Only {cancellable[line.id]} of line {line.sku} can still be cancelled.",
                    ["lines", str(index), "quantity"],
                )
    cancelled = {line.id: qty for _, line, qty in picked}
    left = sum(n - cancelled.get(line_id, 0) for line_id, n in cancellable.items())
    nothing_handed = not any(units_in(fulfillments, HANDED_OVER).values())
    whole = left == 0 and nothing_handed
    return CancellationPlan(
        tuple(
            LineGivenBack(line.id, line.sku, qty, line.amount_for(qty), True)
            for _, line, qty in picked
        ),
        shipping_minor if whole else 0,
        whole,
    )


class ReturnReason(StrEnum):
    CHANGED_MIND = "CHANGED_MIND"
    WRONG_SIZE = "WRONG_SIZE"
    WRONG_ITEM = "WRONG_ITEM"  # we sent the wrong item
    DAMAGED = "DAMAGED"
    DEFECTIVE = "DEFECTIVE"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"
    OTHER = "OTHER"


# Damaged and defective goods go to inspection / write-off, not back on sale.
NOT_RESELLABLE = frozenset({ReturnReason.DAMAGED, ReturnReason.DEFECTIVE})
RETURN_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ReturnPlan:
    reason: ReturnReason
    lines: tuple[LineGivenBack, ...]

    @property
    def refund_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


def plan_return(
    lines: Sequence[OrderLine],
    fulfillments: Sequence[Fulfillment],
    requested: Sequence[LineQuantity],
    reason: ReturnReason,
    now: datetime,
    window: timedelta = RETURN_WINDOW,
) -> ReturnPlan:
    """Validate a return request and compute refund and restock per line. Units of
    returns still asked for count as given back (the same units cannot be asked for
    twice, and their money is theirs).

    Refund is paid and stock restocked when the goods are received, not when
    the return is created; this plan says how much and whether."""
    returnable = returnable_units(lines, fulfillments)
    when = delivered_at(fulfillments)
    picked = _requested(lines, requested)
    for index, line, quantity in picked:
        field = ["lines", str(index)]
        if quantity > returnable[line.id]:
            raise DomainError(
                ErrorCode.NOT_RETURNABLE,
                f"Only {returnable[line.id]} of line {line.sku} can be returned.",
                [*field, "quantity"],
            )
        delivered = when.get(line.id)
        if delivered is not None and now - delivered > window:
            raise DomainError(
                ErrorCode.NOT_RETURNABLE,
                f"Line {line.sku} is outside the {window.days}-day return window.",
                [*field, "line_id"],
            )
    restock = reason not in NOT_RESELLABLE
    return ReturnPlan(
        reason,
        tuple(
            LineGivenBack(
                line.id,
                line.sku,
                qty,
                line.amount_for(qty, after=line.given_back_quantity + line.requested_quantity),
                restock,
            )
            for _, line, qty in picked
        ),
    )


@dataclass(frozen=True)
class PaymentAdjustment:
    refund_minor: int  # to refund now from captured money
    void_remaining: bool  # release the uncaptured rest of the authorization


def payment_adjustment(
    *, authorized_minor: int, captured_minor: int, refunded_minor: int, new_total_minor: int
) -> PaymentAdjustment:
    """How to settle after the amount owed drops to `new_total_minor`.

    Money captured beyond what is now owed is refunded; if nothing more will be
    captured, the rest of the authorization is voided (before any capture, a
    whole cancel is a pure void: no money moved, no fees)."""
    if min(authorized_minor, captured_minor, refunded_minor, new_total_minor) < 0:
        raise DomainError(ErrorCode.INVALID, "Amounts must not be negative.")
    kept = captured_minor - refunded_minor
    refund = max(0, kept - new_total_minor)
    still_to_capture = max(0, new_total_minor - kept)
    void = still_to_capture == 0 and authorized_minor > captured_minor
    return PaymentAdjustment(refund, void)
