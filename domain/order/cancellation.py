"""The pure part of orderCancel, orderReview and the missed-pickup sweeper.

Who may cancel, which fulfillment gives back which units (and how the stock
comes back), and the order lines as `aftersale.OrderLine` values rebuilt from
what is stored. The use-cases over a unit of work are in `cancel_service.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.auth import Principal, PrincipalKind, Role, may_see_owned
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import OutboxEvent
from domain.order.aftersale import CancellationPlan, LineQuantity, OrderLine
from domain.order.events import ORDERS_TOPIC
from domain.order.fulfillment import (
    COMPLETED,
    HANDED_OVER,
    RELEASE_ON_CANCEL,
    RESTOCK_ON_CANCEL,
    FulfillmentStatus,
    StockEffect,
    cancellation_stock_effect,
)
from domain.order.idempotency import fingerprint

# Staff-like roles that may cancel any customer's order (ADMIN may do everything).
CANCEL_ROLES = (Role.SUPPORT, Role.STORE_ASSOCIATE, Role.SERVICE)
# Roles that decide on orders held for a fraud review.
REVIEW_ROLES = (Role.SUPPORT,)


class CancelReason(StrEnum):
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"  # the buyer (or an agent for them) asked
    STOCK_ISSUE = "STOCK_ISSUE"  # the goods turned out missing or damaged at picking
    PAYMENT_ISSUE = "PAYMENT_ISSUE"
    FRAUD = "FRAUD"  # rejected in the fraud review
    MISSED_PICKUP = "MISSED_PICKUP"  # not collected before the pickup deadline (the sweeper)
    OTHER = "OTHER"


# What a buyer may say; the others are staff's (FRAUD, STOCK_ISSUE, ...) or the system's.
BUYER_REASONS = frozenset({CancelReason.CUSTOMER_REQUEST, CancelReason.OTHER})


class ReviewDecision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


@dataclass(frozen=True)
class StoredLine:
    """An order line as stored: the price snapshot and what was given back."""

    id: uuid.UUID
    sku: str
    quantity: int
    unit_price_minor: int
    discount_minor: int
    tax_minor: int
    cancelled_quantity: int
    returned_quantity: int


@dataclass(frozen=True)
class FulfillmentPart:
    """A fulfillment with its units per order line."""

    id: uuid.UUID
    method: str
    location_id: uuid.UUID
    status: FulfillmentStatus
    lines: Mapping[uuid.UUID, int]  # order line id -> units
    pickup_deadline: datetime | None = None


@dataclass(frozen=True)
class OrderState:
    """The order as a cancellation sees it, read under the order's row lock."""

    id: uuid.UUID
    number: int
    customer_id: uuid.UUID | None
    channel_code: str | None
    status: str
    on_hold: bool
    currency_code: str
    shipping_minor: int
    lines: tuple[StoredLine, ...]
    fulfillments: tuple[FulfillmentPart, ...]

    def order_lines(self) -> list[OrderLine]:
        return order_lines(self.lines, self.fulfillments)


def order_lines(
    stored: Sequence[StoredLine], fulfillments: Sequence[FulfillmentPart]
) -> list[OrderLine]:
    """`aftersale.OrderLine`s: handed over = units of shipped/picked-up fulfillments."""
    handed: dict[uuid.UUID, int] = {}
    delivered: dict[uuid.UUID, int] = {}
    for part in fulfillments:
        for line_id, units in part.lines.items():
            if part.status in HANDED_OVER:
                handed[line_id] = handed.get(line_id, 0) + units
            if part.status in COMPLETED:
                delivered[line_id] = delivered.get(line_id, 0) + units
    return [
        OrderLine(
            line_id=s.id,
            sku=s.sku,
            quantity=s.quantity,
            unit_price_minor=s.unit_price_minor,
            discount_minor=s.discount_minor,
            tax_minor=s.tax_minor,
            cancelled_quantity=s.cancelled_quantity,
            handed_over_quantity=handed.get(s.id, 0),
            delivered_quantity=delivered.get(s.id, 0),
            returned_quantity=s.returned_quantity,
        )
        for s in stored
    ]


@dataclass(frozen=True)
class Cut:
    """Units of one line taken out of one fulfillment, and how the stock comes back."""

    fulfillment_id: uuid.UUID
    location_id: uuid.UUID
    line_id: uuid.UUID
    sku: str
    quantity: int
    effect: StockEffect


def _progress(part: FulfillmentPart) -> tuple[int, str]:
    # Least advanced first: releasing an allocation costs nothing, a restock a walk.
    return (0 if part.status in RELEASE_ON_CANCEL else 1, str(part.id))


def plan_cuts(
    plan: CancellationPlan, fulfillments: Sequence[FulfillmentPart], only: uuid.UUID | None = None
) -> list[Cut]:
    """Which fulfillments give back the plan's units (least advanced first), or only `only`.

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


def remaining_units(part: FulfillmentPart, cuts: Sequence[Cut]) -> dict[uuid.UUID, int]:
    """A fulfillment's units per line after the cuts (lines cut to zero are left out)."""
    left = dict(part.lines)
    for cut in cuts:
        if cut.fulfillment_id == part.id:
            left[cut.line_id] -= cut.quantity
    return {line_id: units for line_id, units in left.items() if units > 0}


def _is_canceller(principal: Principal | None) -> bool:
    return (
        principal is not None
        and principal.is_staff_like
        and (Role.ADMIN in principal.roles or bool(principal.roles.intersection(CANCEL_ROLES)))
    )


def check_may_cancel(principal: Principal | None, order: OrderState) -> None:
    """The order's customer; staff with a cancel role; an AGENT key of the order's channel.

    A guest order's id is its bearer (as for reading it). Someone who may not
    even see the order gets NOT_FOUND, so nobody learns that it exists."""
    if order.customer_id is None:
        return
    if principal is not None:
        if principal.kind is PrincipalKind.CUSTOMER and principal.id == order.customer_id:
            return
        if _is_canceller(principal):
            return
        if (
            principal.kind is PrincipalKind.API_KEY
            and Role.AGENT in principal.roles
            and principal.channel is not None
            and principal.channel == order.channel_code
        ):
            return
    if may_see_owned(principal, order.customer_id):
        raise DomainError(ErrorCode.FORBIDDEN, "You may not cancel this order.", ["orderId"])
    raise NotFound("Order", ["orderId"])


def check_reason(principal: Principal | None, reason: CancelReason) -> None:
    if reason is CancelReason.MISSED_PICKUP:
        raise DomainError(
            ErrorCode.INVALID, "MISSED_PICKUP is set by the pickup sweeper only.", ["reason"]
        )
    if not _is_canceller(principal) and reason not in BUYER_REASONS:
        raise DomainError(
            ErrorCode.INVALID, "Give CUSTOMER_REQUEST or OTHER as the reason.", ["reason"]
        )


def request_hash(
    order_id: uuid.UUID, lines: Sequence[LineQuantity] | None, reason: CancelReason
) -> str:
    """A fingerprint of a cancel request: a key re-used with other input is a conflict."""
    body = {
        "order": str(order_id),
        "lines": None if lines is None else [[str(q.line_id), q.quantity] for q in lines],
        "reason": reason.value,
    }
    return fingerprint(body)


ORDER_CANCELLED = "ucg.order.cancelled.v1"


def order_cancelled(
    order: OrderState,
    plan: CancellationPlan,
    reason: CancelReason,
    refunded_minor: int,
    voided: bool,
    amount_minor: int | None = None,
) -> OutboxEvent:
    """What was cancelled and how it was settled; ids and amounts only, no PII.

    `amount_minor`: what the buyer no longer owes, when more than the plan's lines
    and shipping (a whole cancel also gives back the tax on shipping)."""
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=ORDER_CANCELLED,
        aggregate_type="Order",
        aggregate_id=str(order.id),
        data={
            "orderId": str(order.id),
            "orderNumber": order.number,
            "customerId": None if order.customer_id is None else str(order.customer_id),
            "reason": reason.value,
            "wholeOrder": plan.whole_order,
            "currencyCode": order.currency_code,
            "amountMinor": plan.amount_minor if amount_minor is None else amount_minor,
            "shippingMinor": plan.shipping_minor,
            "refundedMinor": refunded_minor,
            "voided": voided,
            "lines": [
                {
                    "lineId": str(line.line_id),
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "amountMinor": line.amount_minor,
                }
                for line in plan.lines
            ],
        },
    )
