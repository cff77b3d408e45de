"""A pure, explainable risk check for a new order.

The caller gathers the signals (counts from order history, the customer's
past spending, the addresses); `assess_risk` adds up the points of every rule
that fires, caps the score at 100 and holds the order for staff review when
the score reaches the policy's threshold. Each reason has a stable code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class RiskReasonCode(StrEnum):
    CUSTOMER_VELOCITY = "CUSTOMER_VELOCITY"  # many orders by this customer recently
    ADDRESS_VELOCITY = "ADDRESS_VELOCITY"  # many orders to this shipping address
    CARD_VELOCITY = "CARD_VELOCITY"  # many orders with this card token
    CARD_DECLINES = "CARD_DECLINES"  # recent declined authorizations with this card
    HIGH_VALUE = "HIGH_VALUE"  # far above what this customer usually spends
    HIGH_VALUE_NO_HISTORY = "HIGH_VALUE_NO_HISTORY"  # large first order / guest order
    BILLING_SHIPPING_COUNTRY_MISMATCH = "BILLING_SHIPPING_COUNTRY_MISMATCH"
    BILLING_SHIPPING_POSTAL_MISMATCH = "BILLING_SHIPPING_POSTAL_MISMATCH"
    NEW_ACCOUNT = "NEW_ACCOUNT"  # account created moments before ordering


class RiskDecision(StrEnum):
    APPROVE = "APPROVE"
    HOLD = "HOLD"  # the order is created ON_HOLD and waits for orderReview


@dataclass(frozen=True)
class PostalAddress:
    country_code: str
    postal_code: str = ""


@dataclass(frozen=True)
class RiskSignals:
    """What the check looks at. Counts are of *previous* orders in the velocity
    window (the order being checked is not included)."""

    order_total_minor: int
    now: datetime
    customer_orders_recent: int = 0
    address_orders_recent: int = 0
    card_orders_recent: int = 0
    card_declines_recent: int = 0
    customer_order_count: int = 0  # all-time, paid orders
    customer_average_order_minor: int | None = None  # None: no history (or a guest)
    account_created_at: datetime | None = None  # None: guest checkout
    billing: PostalAddress | None = None
    shipping: PostalAddress | None = None  # None: pickup / digital


@dataclass(frozen=True)
class RiskPolicy:
    hold_threshold: int = 70
    velocity_limit: int = 3  # orders per window before the velocity rules fire
    velocity_points: int = 25  # per rule, plus `velocity_step_points` per extra order
    velocity_step_points: int = 5
    card_declines_limit: int = 2
    card_declines_points: int = 30
    high_value_multiple: float = 3.0  # times the customer's average order
    high_value_points: int = 30
    high_value_no_history_minor: int = 100_000  # e.g. 1,000.00 in the order currency
    high_value_no_history_points: int = 25
    country_mismatch_points: int = 30
    postal_mismatch_points: int = 10
    new_account_age: timedelta = timedelta(hours=24)
    new_account_points: int = 15


@dataclass(frozen=True)
class RiskReason:
    code: RiskReasonCode
    points: int
    detail: str


@dataclass(frozen=True)
class RiskAssessment:
    score: int  # 0..100
    reasons: tuple[RiskReason, ...]
    decision: RiskDecision

    @property
    def on_hold(self) -> bool:
        return self.decision is RiskDecision.HOLD


def _normalize_postal(value: str) -> str:
    return "".join(value.split()).replace("-", "").casefold()


def _velocity(code: RiskReasonCode, what: str, count: int, policy: RiskPolicy) -> RiskReason | None:
    if count < policy.velocity_limit:
        return None
    extra = count - policy.velocity_limit
    points = policy.velocity_points + extra * policy.velocity_step_points
    return RiskReason(code, points, f"{count} recent orders from this {what}.")


def assess_risk(signals: RiskSignals, policy: RiskPolicy | None = None) -> RiskAssessment:
    policy = policy or RiskPolicy()
    found: list[RiskReason | None] = [
        _velocity(
            RiskReasonCode.CUSTOMER_VELOCITY, "customer", signals.customer_orders_recent, policy
        ),
        _velocity(
            RiskReasonCode.ADDRESS_VELOCITY, "address", signals.address_orders_recent, policy
        ),
        _velocity(RiskReasonCode.CARD_VELOCITY, "card", signals.card_orders_recent, policy),
    ]
    if signals.card_declines_recent >= policy.card_declines_limit:
        found.append(
            RiskReason(
                RiskReasonCode.CARD_DECLINES,
                policy.card_declines_points,
                f"{signals.card_declines_recent} recent declines with this card.",
            )
        )
    average = signals.customer_average_order_minor
    if average is not None and signals.customer_order_count > 0 and average > 0:
        if signals.order_total_minor > average * policy.high_value_multiple:
            found.append(
                RiskReason(
                    RiskReasonCode.HIGH_VALUE,
                    policy.high_value_points,
                    f"Order is more than {policy.high_value_multiple:g}x the customer's average.",
                )
            )
    elif signals.order_total_minor >= policy.high_value_no_history_minor:
        found.append(
            RiskReason(
                RiskReasonCode.HIGH_VALUE_NO_HISTORY,
                policy.high_value_no_history_points,
                "Large order without purchase history.",
            )
        )
    if signals.billing is not None and signals.shipping is not None:
        if signals.billing.country_code.upper() != signals.shipping.country_code.upper():
            found.append(
                RiskReason(
                    RiskReasonCode.BILLING_SHIPPING_COUNTRY_MISMATCH,
                    policy.country_mismatch_points,
                    "Billing and shipping countries differ.",
                )
            )
        elif (
            signals.billing.postal_code
            and signals.shipping.postal_code
            and _normalize_postal(signals.billing.postal_code)
            != _normalize_postal(signals.shipping.postal_code)
        ):
            found.append(
                RiskReason(
                    RiskReasonCode.BILLING_SHIPPING_POSTAL_MISMATCH,
                    policy.postal_mismatch_points,
                    "Billing and shipping postal codes differ.",
                )
            )
    created = signals.account_created_at
    if created is not None and signals.now - created < policy.new_account_age:
        found.append(
            RiskReason(
                RiskReasonCode.NEW_ACCOUNT, policy.new_account_points, "The account is brand new."
            )
        )
    reasons = tuple(r for r in found if r is not None)
    score = min(100, sum(r.points for r in reasons))
    decision = RiskDecision.HOLD if score >= policy.hold_threshold else RiskDecision.APPROVE
    return RiskAssessment(score, reasons, decision)
