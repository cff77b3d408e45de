"""The parts of the Order aggregate (domain/order/model.py): its lines, fulfillments,
and the cuts a cancellation makes in them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.errors import DomainError, ErrorCode
from domain.order import aftersale
from domain.order.fulfillment import (
    RELEASE_ON_CANCEL,
    RESTOCK_ON_CANCEL,
    FulfillmentStatus,
    StockEffect,
    cancellation_stock_effect,
)


@dataclass(frozen=True)
class OrderLine:
    """An order line as stored: the price snapshot (frozen at checkout) and what was given
    back since. What was handed over or delivered is its fulfillments' (the after-sale
    rules count it from them: `aftersale.units_in`)."""

    id: uuid.UUID
    sku: str
    quantity: int
    unit_price_minor: int
    discount_minor: int
    tax_minor: int
    cancelled_quantity: int
    returned_quantity: int
    requested_quantity: int = 0  # in returns asked for and not yet received
    currency_code: str = ""  # the order's, for showing the line's money
    variant_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        counts = (self.cancelled_quantity, self.returned_quantity, self.requested_quantity)
        if self.quantity <= 0 or min(counts) < 0:
            raise DomainError(ErrorCode.INVALID, "Line quantities must be positive.")
        if sum(counts) > self.quantity:
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
        """What the line cost at checkout: price times quantity - discount + tax."""
        return self.subtotal_minor - self.discount_minor + self.tax_minor

    @property
    def given_back_quantity(self) -> int:
        """Units cancelled or returned (received back)."""
        return self.cancelled_quantity + self.returned_quantity

    def amount_for(self, more: int, *, after: int | None = None) -> int:
        """Money for `more` units given back after `after` units (default: those cancelled
        and returned): the line total shared unit by unit with cumulative rounding, so the
        units always add up to exactly the total."""
        done = self.given_back_quantity if after is None else after
        total = self.total_minor
        return total * (done + more) // self.quantity - total * done // self.quantity


@dataclass(frozen=True)
class Fulfillment:
    """A fulfillment with its units per order line (what it still has to hand over; an
    emptied, CANCELLED one keeps what it held). GraphQL `Fulfillment` reads it."""

    id: uuid.UUID
    method: str
    location_id: uuid.UUID
    status: FulfillmentStatus
    lines: Mapping[uuid.UUID, int]  # order line id -> units
    pickup_deadline: datetime | None = None
    tracking: str | None = None
    promised_at: datetime | None = None
    updated_at: datetime | None = None  # of a DELIVERED / PICKED_UP one: when it was handed
    created_at: datetime | None = None  # set by the database when the order is added


@dataclass(frozen=True)
class Cut:
    """Units of one line taken out of one fulfillment, and how the stock comes back."""

    fulfillment_id: uuid.UUID
    location_id: uuid.UUID
    line_id: uuid.UUID
    sku: str
    quantity: int
    effect: StockEffect


def plan_cuts(
    plan: aftersale.CancellationPlan,
    fulfillments: Sequence[Fulfillment],
    only: uuid.UUID | None = None,
) -> list[Cut]:
    """Which fulfillments give back the plan's units (least advanced first: releasing
    an allocation costs nothing, a restock a walk), or only `only`.

    Units in no cancellable fulfillment (never allocated to a location) are
    cancelled without a stock movement: no location holds them for this order."""
    live = [
        part
        for part in sorted(fulfillments, key=_progress)
        if (part.status in RELEASE_ON_CANCEL or part.status in RESTOCK_ON_CANCEL)
        and (only is None or part.id == only)
    ]
    cuts: list[Cut] = []
    for line in plan.lines:
        left = line.quantity
        for part in live:
            take = min(left, part.lines.get(line.line_id, 0))
            if take > 0:
                effect = cancellation_stock_effect(part.status)
                cuts.append(Cut(part.id, part.location_id, line.line_id, line.sku, take, effect))
                left -= take
    return cuts


def remaining_units(part: Fulfillment, cuts: Sequence[Cut]) -> dict[uuid.UUID, int]:
    """A fulfillment's units per line after the cuts (lines cut to zero are left out)."""
    left = dict(part.lines)
    for cut in cuts:
        if cut.fulfillment_id == part.id:
            left[cut.line_id] -= cut.quantity
    return {line_id: units for line_id, units in left.items() if units > 0}


def _progress(part: Fulfillment) -> tuple[int, str]:
    return (0 if part.status in RELEASE_ON_CANCEL else 1, str(part.id))
