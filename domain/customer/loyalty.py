"""Loyalty earn rules and tiers. Pure and deterministic; integer arithmetic only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError, ErrorCode
from domain.money import exponent


class LoyaltyTier(StrEnum):
    BASE = "BASE"
    SILVER = "SILVER"
    GOLD = "GOLD"
    PLATINUM = "PLATINUM"


class LedgerKind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"
    ADJUST = "ADJUST"


# Lifetime earned points needed for each tier (highest first).
TIER_THRESHOLDS: tuple[tuple[LoyaltyTier, int], ...] = (
    (LoyaltyTier.PLATINUM, 20_000),
    (LoyaltyTier.GOLD, 5_000),
    (LoyaltyTier.SILVER, 1_000),
    (LoyaltyTier.BASE, 0),
)
# Earn multiplier of each tier, in percent.
TIER_MULTIPLIER_PERCENT: dict[LoyaltyTier, int] = {
    LoyaltyTier.BASE: 100,
    LoyaltyTier.SILVER: 125,
    LoyaltyTier.GOLD: 150,
    LoyaltyTier.PLATINUM: 200,
}
# Points per whole currency unit; currencies with tiny units earn per 100 units.
POINTS_PER_UNIT: dict[str, tuple[int, int]] = {"JPY": (1, 100), "KRW": (1, 1000)}
DEFAULT_POINTS_PER_UNIT = (1, 1)  # 1 point per 1 unit (EUR, USD, GBP, ...)


@dataclass(frozen=True)
class LoyaltyStatus:
    balance: int
    lifetime_earned: int
    tier: LoyaltyTier


def tier_for(lifetime_earned: int) -> LoyaltyTier:
    for tier, threshold in TIER_THRESHOLDS:
        if lifetime_earned >= threshold:
            return tier
    return LoyaltyTier.BASE


def points_for_purchase(amount_minor: int, currency_code: str, tier: LoyaltyTier) -> int:
    """Whole points for a purchase of `amount_minor`; fractions are rounded down."""
    if amount_minor < 0:
        raise DomainError(ErrorCode.INVALID, "An amount cannot be negative.", ["amount"])
    points, per_units = POINTS_PER_UNIT.get(currency_code, DEFAULT_POINTS_PER_UNIT)
    scale: int = 10 ** exponent(currency_code)
    base = amount_minor * points // (scale * per_units)
    return base * TIER_MULTIPLIER_PERCENT[tier] // 100


def status_from_entries(entries: list[tuple[LedgerKind, int]]) -> LoyaltyStatus:
    balance = sum(points for _, points in entries)
    lifetime = sum(points for kind, points in entries if kind is LedgerKind.EARN)
    return LoyaltyStatus(balance=balance, lifetime_earned=lifetime, tier=tier_for(lifetime))


def check_redeem(balance: int, points: int) -> None:
    if points <= 0:
        raise DomainError(ErrorCode.INVALID, "Redeem a positive number of points.", ["points"])
    if points > balance:
        raise DomainError(
            ErrorCode.INVALID, "The customer does not have that many points.", ["points"]
        )


def check_adjustment(balance: int, points: int, reason: str) -> None:
    if points == 0:
        raise DomainError(ErrorCode.INVALID, "An adjustment must change the balance.", ["points"])
    if not reason.strip():
        raise DomainError(ErrorCode.INVALID, "Say why the points are adjusted.", ["reason"])
    if balance + points < 0:
        raise DomainError(ErrorCode.INVALID, "A balance cannot go below zero.", ["points"])


# Points lapse after this long without earning or redeeming (activity keeps them alive).
EXPIRY_AFTER_INACTIVITY_DAYS = 730


def points_to_expire(
    balance: int,
    last_activity: datetime | None,
    now: datetime,
    inactivity_days: int = EXPIRY_AFTER_INACTIVITY_DAYS,
) -> int:
    """The whole balance once the account was inactive for `inactivity_days`; else 0."""
    if balance <= 0 or last_activity is None:
        return 0
    return balance if now - last_activity >= timedelta(days=inactivity_days) else 0
