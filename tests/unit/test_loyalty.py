"""Loyalty earn rules and tiers (properties)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.customer.loyalty import (
    EXPIRY_AFTER_INACTIVITY_DAYS,
    TIER_THRESHOLDS,
    LedgerKind,
    LoyaltyTier,
    check_adjustment,
    check_redeem,
    points_for_purchase,
    points_to_expire,
    status_from_entries,
    tier_for,
)
from domain.errors import DomainError

TIERS = list(LoyaltyTier)
amounts = st.integers(min_value=0, max_value=10**12)
currencies = st.sampled_from(["EUR", "USD", "GBP", "JPY", "KRW", "BHD"])


def test_examples() -> None:
    assert points_for_purchase(2599, "EUR", LoyaltyTier.BASE) == 25
    assert points_for_purchase(2599, "EUR", LoyaltyTier.PLATINUM) == 50
    assert points_for_purchase(1000, "JPY", LoyaltyTier.BASE) == 10
    assert points_for_purchase(1500, "BHD", LoyaltyTier.BASE) == 1
    assert points_for_purchase(99, "EUR", LoyaltyTier.GOLD) == 0
    assert [tier_for(n) for n in (0, 999, 1000, 4999, 5000, 20000)] == [
        LoyaltyTier.BASE, LoyaltyTier.BASE, LoyaltyTier.SILVER, LoyaltyTier.SILVER,
        LoyaltyTier.GOLD, LoyaltyTier.PLATINUM,
    ]  # fmt: skip
    with pytest.raises(DomainError):
        points_for_purchase(-1, "EUR", LoyaltyTier.BASE)


@given(amounts, amounts, currencies, st.sampled_from(TIERS))
def test_more_spend_never_earns_fewer_points(
    a: int, b: int, currency: str, tier: LoyaltyTier
) -> None:
    low, high = sorted((a, b))
    assert (
        0 <= points_for_purchase(low, currency, tier) <= points_for_purchase(high, currency, tier)
    )


@given(amounts, currencies)
def test_higher_tiers_never_earn_less(amount: int, currency: str) -> None:
    earned = [points_for_purchase(amount, currency, t) for t in TIERS]
    assert earned == sorted(earned)


@given(amounts, amounts, currencies, st.sampled_from(TIERS))
def test_splitting_a_purchase_never_earns_more(
    a: int, b: int, currency: str, tier: LoyaltyTier
) -> None:
    assert points_for_purchase(a, currency, tier) + points_for_purchase(
        b, currency, tier
    ) <= points_for_purchase(a + b, currency, tier)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_tier_is_monotone_in_lifetime_points(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert TIERS.index(tier_for(low)) <= TIERS.index(tier_for(high))
    assert tier_for(low) in {t for t, _ in TIER_THRESHOLDS}


@given(
    st.lists(
        st.tuples(st.sampled_from(list(LedgerKind)), st.integers(-(10**6), 10**6)), max_size=30
    )
)
def test_status_sums_the_ledger(entries: list[tuple[LedgerKind, int]]) -> None:
    status = status_from_entries(entries)
    assert status.balance == sum(p for _, p in entries)
    assert status.lifetime_earned == sum(p for k, p in entries if k is LedgerKind.EARN)
    assert status.tier is tier_for(status.lifetime_earned)


@given(st.integers(0, 10**6), st.integers(-(10**6), 10**6))
def test_redeem_and_adjust_never_go_below_zero(balance: int, points: int) -> None:
    try:
        check_redeem(balance, points)
        assert 0 < points <= balance
    except DomainError:
        assert points <= 0 or points > balance
    try:
        check_adjustment(balance, points, "goodwill")
        assert points != 0 and balance + points >= 0
    except DomainError:
        assert points == 0 or balance + points < 0
    with pytest.raises(DomainError):
        check_adjustment(balance, 1, "  ")


NOW = datetime(2026, 11, 23, tzinfo=UTC)


@given(st.integers(-100, 10**6), st.integers(0, 3000))
def test_points_expire_only_after_inactivity(balance: int, idle_days: int) -> None:
    lapsed = points_to_expire(balance, NOW - timedelta(days=idle_days), NOW)
    if balance > 0 and idle_days >= EXPIRY_AFTER_INACTIVITY_DAYS:
        assert lapsed == balance
    else:
        assert lapsed == 0
    assert points_to_expire(balance, None, NOW) == 0
