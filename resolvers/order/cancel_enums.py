"""The enums of order cancellation and review (the domain's own, described for GraphQL)."""

from __future__ import annotations

from domain.order.cancellation import CancelReason, ReviewDecision
from resolvers.common import described_enum

OrderCancelReason = described_enum(
    CancelReason,
    "Why (part of) an order was cancelled.",
    {
        "CUSTOMER_REQUEST": "The buyer, or an agent acting for them, asked for it.",
        "STOCK_ISSUE": "Staff: the goods turned out missing or damaged when picked.",
        "PAYMENT_ISSUE": "Staff: a problem with the payment.",
        "FRAUD": "Staff: rejected as fraud (also set by orderReview REJECT).",
        "MISSED_PICKUP": "Set by the system when a pickup was not collected before its "
        "deadline; cannot be given to orderCancel.",
        "OTHER": "Any other reason.",
    },
    name="OrderCancelReason",
)

OrderReviewDecision = described_enum(
    ReviewDecision,
    "A staff decision on an order held for review.",
    {
        "APPROVE": "Release the order to its locations (fulfillments ON_HOLD -> ALLOCATED).",
        "REJECT": "Cancel the whole order as fraud: stock back on the shelf, payment voided.",
    },
    name="OrderReviewDecision",
)
