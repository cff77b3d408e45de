"""The pure part of orderCancel, orderReview and the missed-pickup sweeper.

Who may cancel, with which reason, and the cancelled event. Which fulfillment
gives back which units is the Order aggregate's (`model.Order.cancel`). The
use-cases over a unit of work are in `cancel_service.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum

from domain.auth import Principal, PrincipalKind, Role, may_see_owned
from domain.authz import may_read_order
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import OutboxEvent
from domain.order.aftersale import CancellationPlan, LineQuantity
from domain.order.events import ORDERS_TOPIC
from domain.order.idempotency import fingerprint
from domain.order.model import Order

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


def _is_canceller(principal: Principal | None) -> bool:
    return (
        principal is not None
        and principal.is_staff_like
        and (Role.ADMIN in principal.roles or bool(principal.roles.intersection(CANCEL_ROLES)))
    )


def check_may_cancel(
    principal: Principal | None, order: Order, held_carts: frozenset[uuid.UUID] = frozenset()
) -> None:
    """The order's customer; staff with a cancel role; an AGENT key of the order's channel.

    A guest order is held, as for reading it, by the token of the cart it came from
    (`held_carts`: the carts whose tokens the caller presented), or the ORDERS scope; its
    id alone is not enough. Someone who may not even see the order gets NOT_FOUND, so
    nobody learns that it exists."""
    if order.customer_id is None:
        held = order.cart_id is not None and order.cart_id in held_carts
        if may_read_order(principal, None, held):
            return
        raise NotFound("Order", ["order_id"])
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
        raise DomainError(ErrorCode.FORBIDDEN, "You may not cancel this order.", ["order_id"])
    raise NotFound("Order", ["order_id"])


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
    order: Order,
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
