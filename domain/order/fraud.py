"""A pure risk check of an order: a score, the reasons, and whether to hold it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RiskReason(StrEnum):
    VELOCITY_CUSTOMER = "VELOCITY_CUSTOMER"
    VELOCITY_CARD = "VELOCITY_CARD"
    VELOCITY_ADDRESS = "VELOCITY_ADDRESS"
    HIGH_VALUE = "HIGH_VALUE"
    ADDRESS_MISMATCH = "ADDRESS_MISMATCH"
    NEW_ACCOUNT = "NEW_ACCOUNT"


@dataclass(frozen=True)
class RiskInput:
    """What is known at checkout; counts cover the last hour, before this order."""

    total_minor: int
    orders_last_hour_by_customer: int = 0
    orders_last_hour_by_card: int = 0
    orders_last_hour_to_address: int = 0
    previous_orders: int = 0
    largest_previous_total_minor: int = 0
    account_age_days: int | None = None  # None: guest checkout
    billing_country: str | None = None
    shipping_country: str | None = None


@dataclass(frozen=True)
class RiskPolicy:
    hold_threshold: int = 60
    velocity_limit: int = 3
    high_value_minor: int = 100_000
    high_value_multiple: int = 5
    new_account_days: int = 1


@dataclass(frozen=True)
class RiskAssessment:
    score: int
    reasons: tuple[RiskReason, ...]
    hold: bool


WEIGHTS = {
    RiskReason.VELOCITY_CUSTOMER: 35,
    RiskReason.VELOCITY_CARD: 40,
    RiskReason.VELOCITY_ADDRESS: 25,
    RiskReason.HIGH_VALUE: 30,
    RiskReason.ADDRESS_MISMATCH: 20,
    RiskReason.NEW_ACCOUNT: 15,
}


def assess(order: RiskInput, policy: RiskPolicy = RiskPolicy()) -> RiskAssessment:
    reasons: list[RiskReason] = []
    if order.orders_last_hour_by_customer >= policy.velocity_limit:
        reasons.append(RiskReason.VELOCITY_CUSTOMER)
    if order.orders_last_hour_by_card >= policy.velocity_limit:
        reasons.append(RiskReason.VELOCITY_CARD)
    if order.orders_last_hour_to_address >= policy.velocity_limit:
        reasons.append(RiskReason.VELOCITY_ADDRESS)
    usual = max(order.largest_previous_total_minor, 1) * policy.high_value_multiple
    if order.total_minor >= policy.high_value_minor and (
        order.previous_orders == 0 or order.total_minor > usual
    ):
        reasons.append(RiskReason.HIGH_VALUE)
    if (
        order.billing_country
        and order.shipping_country
        and order.billing_country != order.shipping_country
    ):
        reasons.append(RiskReason.ADDRESS_MISMATCH)
    if order.account_age_days is not None and order.account_age_days < policy.new_account_days:
        reasons.append(RiskReason.NEW_ACCOUNT)
    score = min(100, sum(WEIGHTS[r] for r in reasons))
    return RiskAssessment(score, tuple(reasons), score >= policy.hold_threshold)
