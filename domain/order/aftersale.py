"""Order lines (price snapshot), totals, and the pure part of cancellations and returns.

Money given back for part of a line is the line's own total (price minus
discount plus tax) shared out unit by unit with cumulative rounding, so the
units of a line always add up to exactly its total, whatever the order in
which they are cancelled or returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError, ErrorCode, NotFound


@dataclass(frozen=True)
class OrderLine:
    """One order line as sold (prices frozen at checkout) and what happened to it since."""

    line_id: uuid.UUID
    sku: str
    quantity: int
    unit_price_minor: int
    discount_minor: int = 0  # whole-line discount
    tax_minor: int = 0  # whole-line tax
    cancelled_quantity: int = 0
    handed_over_quantity: int = 0  # shipped or picked up
    delivered_quantity: int = 0  # delivered or picked up: may be returned
    returned_quantity: int = 0
    delivered_at: datetime | None = None

    def __post_init__(self) -> None:
        counts = (
            self.cancelled_quantity,
            self.handed_over_quantity,
            self.delivered_quantity,
            self.returned_quantity,
        )
        if self.quantity <= 0 or min(counts) < 0:
            raise DomainError(ErrorCode.INVALID, "Line quantities must be positive.")
        if (
            self.cancelled_quantity + self.handed_over_quantity > self.quantity
            or self.delivered_quantity > self.handed_over_quantity
            or self.returned_quantity > self.delivered_quantity
        ):
            raise DomainError(ErrorCode.INVALID, "Line quantities are inconsistent.")
        if self.unit_price_minor < 0 or self.discount_minor < 0 or self.tax_minor < 0:
            raise DomainError(ErrorCode.INVALID, "Line amounts must not be negative.")
        if self.discount_minor > self.subtotal_minor:
            raise DomainError(ErrorCode.INVALID, "A discount cannot exceed the line's price.")

    @property
    def subtotal_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def total_minor(self) -> int:
        return self.subtotal_minor - self.discount_minor + self.tax_minor

    @property
    def cancellable_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity - self.handed_over_quantity

    @property
    def returnable_quantity(self) -> int:
        return self.delivered_quantity - self.returned_quantity

    @property
    def given_back_quantity(self) -> int:
        return self.cancelled_quantity + self.returned_quantity

    def amount_for(self, more: int) -> int:
        """Money for `more` units given back after those already cancelled/returned."""
        done = self.given_back_quantity
        total = self.total_minor
        return total * (done + more) // self.quantity - total * done // self.quantity


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
    by_id = {line.line_id: line for line in lines}
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
    requested: Sequence[LineQuantity] | None = None,
    shipping_minor: int = 0,
) -> CancellationPlan:
    """What a cancel does: `requested=None` cancels every unit not yet handed over."""
    if requested is None:
        picked = [(i, line, line.cancellable_quantity) for i, line in enumerate(lines)]
        picked = [p for p in picked if p[2] > 0]
        if not picked:
            raise DomainError(
                ErrorCode.NOT_CANCELLABLE, "Nothing in this order can be cancelled any more."
            )
    else:
        picked = _requested(lines, requested)
        for index, line, quantity in picked:
            if quantity > line.cancellable_quantity:
                raise DomainError(
                    ErrorCode.NOT_CANCELLABLE,
                    f"Only {line.cancellable_quantity} of line {line.sku} can still be cancelled.",
                    ["lines", str(index), "quantity"],
                )
    cancelled = {line.line_id: qty for _, line, qty in picked}
    left = sum(line.cancellable_quantity - cancelled.get(line.line_id, 0) for line in lines)
    nothing_handed = all(line.handed_over_quantity == 0 for line in lines)
    whole = left == 0 and nothing_handed
    return CancellationPlan(
        tuple(
            LineGivenBack(line.line_id, line.sku, qty, line.amount_for(qty), True)
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
    requested: Sequence[LineQuantity],
    reason: ReturnReason,
    now: datetime,
    window: timedelta = RETURN_WINDOW,
) -> ReturnPlan:
    """Validate a return request and compute refund and restock per line.

    Refund is paid and stock restocked when the goods are received, not when
    the return is created; this plan says how much and whether."""
    picked = _requested(lines, requested)
    for index, line, quantity in picked:
        field = ["lines", str(index)]
        if quantity > line.returnable_quantity:
            raise DomainError(
                ErrorCode.NOT_RETURNABLE,
                f"Only {line.returnable_quantity} of line {line.sku} can be returned.",
                [*field, "quantity"],
            )
        if line.delivered_at is not None and now - line.delivered_at > window:
            raise DomainError(
                ErrorCode.NOT_RETURNABLE,
                f"Line {line.sku} is outside the {window.days}-day return window.",
                [*field, "line_id"],
            )
    restock = reason not in NOT_RESELLABLE
    return ReturnPlan(
        reason,
        tuple(
            LineGivenBack(line.line_id, line.sku, qty, line.amount_for(qty), restock)
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
