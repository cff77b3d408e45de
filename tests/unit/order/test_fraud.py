"""Fraud rules: each rule fires on its signal, scores add up, the threshold holds the order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.order.fraud import (
    PostalAddress,
    RiskDecision,
    RiskPolicy,
    RiskReasonCode,
    RiskSignals,
    assess_risk,
)

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
R = RiskReasonCode

# A returning customer with a normal basket, billing = shipping: no reason at all.
CLEAN = RiskSignals(
    order_total_minor=5_000,
    now=NOW,
    customer_order_count=12,
    customer_average_order_minor=4_000,
    account_created_at=NOW - timedelta(days=400),
    billing=PostalAddress("FR", "75011"),
    shipping=PostalAddress("fr", "75 011"),
)


def codes(signals: RiskSignals, policy: RiskPolicy | None = None) -> list[RiskReasonCode]:
    return [r.code for r in assess_risk(signals, policy).reasons]


def test_clean_order_is_approved_with_no_reasons() -> None:
    result = assess_risk(CLEAN)
    assert (result.score, result.reasons, result.decision) == (0, (), RiskDecision.APPROVE)
    assert not result.on_hold


def test_each_rule_fires_on_its_own_signal() -> None:
    assert codes(replace(CLEAN, customer_orders_recent=3)) == [R.CUSTOMER_VELOCITY]
    assert codes(replace(CLEAN, address_orders_recent=5)) == [R.ADDRESS_VELOCITY]
    assert codes(replace(CLEAN, card_orders_recent=4)) == [R.CARD_VELOCITY]
    assert codes(replace(CLEAN, card_declines_recent=2)) == [R.CARD_DECLINES]
    assert codes(replace(CLEAN, order_total_minor=12_001)) == [R.HIGH_VALUE]
    assert codes(replace(CLEAN, order_total_minor=12_000)) == []  # exactly 3x is fine
    first = replace(CLEAN, customer_order_count=0, customer_average_order_minor=None)
    assert codes(replace(first, order_total_minor=100_000)) == [R.HIGH_VALUE_NO_HISTORY]
    assert codes(replace(first, order_total_minor=99_999)) == []
    assert codes(replace(CLEAN, shipping=PostalAddress("DE", "75011"))) == [
        R.BILLING_SHIPPING_COUNTRY_MISMATCH
    ]
    assert codes(replace(CLEAN, shipping=PostalAddress("FR", "69001"))) == [
        R.BILLING_SHIPPING_POSTAL_MISMATCH
    ]
    assert codes(replace(CLEAN, shipping=PostalAddress("FR", ""))) == []  # unknown postal code
    assert codes(replace(CLEAN, shipping=None)) == []  # pickup: nothing to compare
    assert codes(replace(CLEAN, account_created_at=NOW - timedelta(hours=2))) == [R.NEW_ACCOUNT]
    assert codes(replace(CLEAN, account_created_at=None)) == []  # guest: no account age


def test_velocity_grows_with_each_extra_order() -> None:
    three = assess_risk(replace(CLEAN, card_orders_recent=3)).score
    six = assess_risk(replace(CLEAN, card_orders_recent=6)).score
    assert (three, six) == (25, 40)


def test_order_is_held_at_the_threshold() -> None:
    # Card-testing pattern: new account, many orders on one card, mismatch.
    risky = replace(
        CLEAN,
        card_orders_recent=4,
        account_created_at=NOW - timedelta(minutes=5),
        shipping=PostalAddress("NL", "1011"),
    )
    result = assess_risk(risky)
    assert result.score == 30 + 15 + 30
    assert result.decision is RiskDecision.HOLD and result.on_hold
    assert {r.code for r in result.reasons} == {
        R.CARD_VELOCITY,
        R.NEW_ACCOUNT,
        R.BILLING_SHIPPING_COUNTRY_MISMATCH,
    }
    assert all(r.detail for r in result.reasons)
    assert not assess_risk(risky, RiskPolicy(hold_threshold=76)).on_hold
    assert assess_risk(risky, RiskPolicy(hold_threshold=75)).on_hold


signals = st.builds(
    RiskSignals,
    order_total_minor=st.integers(0, 10**7),
    now=st.just(NOW),
    customer_orders_recent=st.integers(0, 50),
    address_orders_recent=st.integers(0, 50),
    card_orders_recent=st.integers(0, 50),
    card_declines_recent=st.integers(0, 10),
    customer_order_count=st.integers(0, 100),
    customer_average_order_minor=st.none() | st.integers(0, 10**6),
    account_created_at=st.none() | st.datetimes(timezones=st.just(UTC)),
    billing=st.none()
    | st.builds(PostalAddress, st.sampled_from(["FR", "DE"]), st.text(max_size=5)),
    shipping=st.none()
    | st.builds(PostalAddress, st.sampled_from(["FR", "DE"]), st.text(max_size=5)),
)


@given(signals, st.integers(1, 100))
def test_score_is_bounded_explained_and_decides_by_threshold(
    s: RiskSignals, threshold: int
) -> None:
    result = assess_risk(s, RiskPolicy(hold_threshold=threshold))
    assert 0 <= result.score <= 100
    assert result.score == min(100, sum(r.points for r in result.reasons))
    assert len({r.code for r in result.reasons}) == len(result.reasons)
    assert result.on_hold == (result.score >= threshold)
    # More recent orders never lower the score.
    busier = replace(s, card_orders_recent=s.card_orders_recent + 1)
    assert assess_risk(busier).score >= assess_risk(s).score
