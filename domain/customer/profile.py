"""The live customer profile: what the interactions and orders say about a shopper. Pure.

The interactions consumer folds each interaction into a `ProfileState` (recently viewed,
category and brand affinities with exponential time decay, channel and store counts);
RFM segment and churn risk are derived when read, from the state and the order history,
so they never go stale between two interactions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.customer.interactions import Interaction, InteractionType

RECENTLY_VIEWED = 20
MAX_AFFINITY_KEYS = 50
DEFAULT_HALF_LIFE_DAYS = 14.0

WEIGHTS = {
    InteractionType.PRODUCT_VIEWED: 1.0,
    InteractionType.SEARCHED: 0.0,
    InteractionType.ADDED_TO_CART: 3.0,
    InteractionType.REMOVED_FROM_CART: -1.0,
    InteractionType.STORE_VISITED: 0.0,
    InteractionType.WISHLISTED: 2.0,
}


@dataclass(frozen=True)
class ProductFacts:
    """What the catalog says about an interaction's product."""

    category: str | None
    brand: str | None


@dataclass(frozen=True)
class ProfileState:
    # (product id, when last viewed), newest first: order by time, not by arrival, so
    # interactions from two partitions (a device and its customer) fold the same either way.
    views: tuple[tuple[str, datetime], ...] = ()
    categories: dict[str, float] = field(default_factory=dict)
    brands: dict[str, float] = field(default_factory=dict)
    affinity_as_of: datetime | None = None
    channels: dict[str, int] = field(default_factory=dict)
    stores: dict[str, int] = field(default_factory=dict)
    last_seen_channel: str | None = None
    last_seen_at: datetime | None = None
    interactions: int = 0

    @property
    def recently_viewed(self) -> tuple[str, ...]:
        return tuple(pid for pid, _ in self.views)


def _latest_views(*lists: tuple[tuple[str, datetime], ...]) -> tuple[tuple[str, datetime], ...]:
    latest: dict[str, datetime] = {}
    for views in lists:
        for pid, at in views:
            if pid not in latest or at > latest[pid]:
                latest[pid] = at
    ordered = sorted(latest.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
    return tuple(ordered[:RECENTLY_VIEWED])


def decay_factor(since: datetime | None, now: datetime, half_life_days: float) -> float:
    if since is None or now <= since:
        return 1.0
    days = (now - since).total_seconds() / 86400
    return math.pow(0.5, days / half_life_days)


def _decayed(scores: dict[str, float], factor: float) -> dict[str, float]:
    return {k: v * factor for k, v in scores.items()}


def _bump(scores: dict[str, float], key: str | None, weight: float) -> dict[str, float]:
    if key is None or weight == 0:
        return scores
    out = dict(scores)
    out[key] = max(0.0, out.get(key, 0.0) + weight)
    return _top(out)


def _top(scores: dict[str, float]) -> dict[str, float]:
    kept = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_AFFINITY_KEYS]
    return {k: v for k, v in kept if v > 1e-6}


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def apply_interaction(
    state: ProfileState,
    interaction: Interaction,
    facts: ProductFacts | None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> ProfileState:
    """The state after one more interaction. Affinities are kept as of the latest time seen,
    so interactions arriving slightly out of order still decay correctly."""
    at = interaction.occurred_at
    as_of = _later(state.affinity_as_of, at)
    assert as_of is not None
    factor = decay_factor(state.affinity_as_of, as_of, half_life_days)
    weight = WEIGHTS[interaction.type] * decay_factor(at, as_of, half_life_days)
    categories = _decayed(state.categories, factor)
    brands = _decayed(state.brands, factor)
    if facts is not None:
        categories = _bump(categories, facts.category, weight)
        brands = _bump(brands, facts.brand, weight)
    views = state.views
    if interaction.type is InteractionType.PRODUCT_VIEWED and interaction.product_id:
        views = _latest_views(views, ((str(interaction.product_id), at),))
    channels = dict(state.channels)
    channels[interaction.channel] = channels.get(interaction.channel, 0) + 1
    stores = dict(state.stores)
    if interaction.type is InteractionType.STORE_VISITED and interaction.location_id:
        key = str(interaction.location_id)
        stores[key] = stores.get(key, 0) + 1
    newest = state.last_seen_at is None or at >= state.last_seen_at
    return ProfileState(
        views=views,
        categories=categories,
        brands=brands,
        affinity_as_of=as_of,
        channels=channels,
        stores=stores,
        last_seen_channel=interaction.channel if newest else state.last_seen_channel,
        last_seen_at=at if newest else state.last_seen_at,
        interactions=state.interactions + 1,
    )


def fold_profiles(
    into: ProfileState, other: ProfileState, half_life_days: float = DEFAULT_HALF_LIFE_DAYS
) -> ProfileState:
    """One profile from two (a stitched device into its customer, a merge): affinities
    decayed to the later time and added, counts summed, the newer last-seen wins."""
    as_of = _later(into.affinity_as_of, other.affinity_as_of)
    if as_of is None:
        categories, brands = dict(into.categories), dict(into.brands)
    else:
        fa = decay_factor(into.affinity_as_of, as_of, half_life_days)
        fb = decay_factor(other.affinity_as_of, as_of, half_life_days)
        categories = _sum(_decayed(into.categories, fa), _decayed(other.categories, fb))
        brands = _sum(_decayed(into.brands, fa), _decayed(other.brands, fb))
    other_newer = other.last_seen_at is not None and (
        into.last_seen_at is None or other.last_seen_at > into.last_seen_at
    )
    first, second = (other, into) if other_newer else (into, other)
    return ProfileState(
        views=_latest_views(into.views, other.views),
        categories=_top(categories),
        brands=_top(brands),
        affinity_as_of=as_of,
        channels=_count_sum(into.channels, other.channels),
        stores=_count_sum(into.stores, other.stores),
        last_seen_channel=first.last_seen_channel or second.last_seen_channel,
        last_seen_at=_later(into.last_seen_at, other.last_seen_at),
        interactions=into.interactions + other.interactions,
    )


def _sum(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + v
    return out


def _count_sum(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def affinities_now(
    scores: dict[str, float],
    as_of: datetime | None,
    now: datetime,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> list[tuple[str, float]]:
    """Scores decayed to `now`, strongest first."""
    factor = decay_factor(as_of, now, half_life_days)
    return sorted(((k, v * factor) for k, v in scores.items()), key=lambda kv: (-kv[1], kv[0]))


def preferred(counts: dict[str, int]) -> str | None:
    """The most frequent key; ties go to the alphabetically first, so it is stable."""
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


# --- serialization (the consumer keeps the state as jsonb) ---------------------------


def state_to_json(state: ProfileState) -> dict[str, Any]:
    return {
        "recentlyViewed": [{"productId": p, "at": at.isoformat()} for p, at in state.views],
        "categories": state.categories,
        "brands": state.brands,
        "affinityAsOf": state.affinity_as_of.isoformat() if state.affinity_as_of else None,
        "channels": state.channels,
        "stores": state.stores,
        "lastSeenChannel": state.last_seen_channel,
        "lastSeenAt": state.last_seen_at.isoformat() if state.last_seen_at else None,
        "interactions": state.interactions,
    }


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def state_from_json(doc: dict[str, Any] | None) -> ProfileState:
    if not doc:
        return ProfileState()
    return ProfileState(
        views=tuple(
            (v["productId"], datetime.fromisoformat(v["at"])) for v in doc.get("recentlyViewed", ())
        ),
        categories={k: float(v) for k, v in doc.get("categories", {}).items()},
        brands={k: float(v) for k, v in doc.get("brands", {}).items()},
        affinity_as_of=_time(doc.get("affinityAsOf")),
        channels={k: int(v) for k, v in doc.get("channels", {}).items()},
        stores={k: int(v) for k, v in doc.get("stores", {}).items()},
        last_seen_channel=doc.get("lastSeenChannel"),
        last_seen_at=_time(doc.get("lastSeenAt")),
        interactions=int(doc.get("interactions", 0)),
    )


# --- RFM and churn -------------------------------------------------------------------


class RfmSegment(StrEnum):
    PROSPECT = "PROSPECT"  # no order yet
    NEW = "NEW"
    CHAMPION = "CHAMPION"
    LOYAL = "LOYAL"
    PROMISING = "PROMISING"
    AT_RISK = "AT_RISK"
    LAPSED = "LAPSED"


class ChurnRisk(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@dataclass(frozen=True)
class OrderHistory:
    orders: int
    monetary_minor: int
    first_order_at: datetime | None
    last_order_at: datetime | None


@dataclass(frozen=True)
class RfmScore:
    recency: int  # 1 (long ago) .. 5 (this week)
    frequency: int  # 1 .. 5
    monetary: int  # 1 .. 5
    segment: RfmSegment


def _band(value: float, edges: tuple[float, ...]) -> int:
    """1 + the number of edges `value` reaches."""
    return 1 + sum(1 for e in edges if value >= e)


def rfm(history: OrderHistory, now: datetime) -> RfmScore:
    """Fixed-threshold RFM (monetary in minor units of the order currency)."""
    if history.orders == 0 or history.last_order_at is None:
        return RfmScore(0, 0, 0, RfmSegment.PROSPECT)
    days = (now - history.last_order_at).total_seconds() / 86400
    recency = 6 - _band(days, (7, 30, 90, 180))
    frequency = _band(history.orders, (2, 3, 5, 10))
    monetary = _band(history.monetary_minor, (5_000, 20_000, 50_000, 100_000))
    if recency <= 1:
        segment = RfmSegment.LAPSED
    elif recency == 2 and frequency >= 2:
        segment = RfmSegment.AT_RISK
    elif recency >= 4 and frequency >= 4 and monetary >= 3:
        segment = RfmSegment.CHAMPION
    elif frequency >= 3 and recency >= 3:
        segment = RfmSegment.LOYAL
    elif history.orders == 1 and recency >= 4:
        segment = RfmSegment.NEW
    elif recency == 2:
        segment = RfmSegment.AT_RISK
    else:
        segment = RfmSegment.PROMISING
    return RfmScore(recency, frequency, monetary, segment)


def churn_risk(
    history: OrderHistory, last_seen_at: datetime | None, now: datetime
) -> tuple[float, ChurnRisk]:
    """A score in [0, 1] from how overdue the next order is against the customer's own
    rhythm (mean days between orders), damped by recent browsing; with its level."""
    if history.orders == 0 or history.last_order_at is None:
        return 0.0, ChurnRisk.LOW
    since_order = max(0.0, (now - history.last_order_at).total_seconds() / 86400)
    if history.orders > 1 and history.first_order_at is not None:
        span = (history.last_order_at - history.first_order_at).total_seconds() / 86400
        rhythm = max(7.0, span / (history.orders - 1))
    else:
        rhythm = 60.0
    score = 1 - math.exp(-max(0.0, since_order - rhythm) / rhythm)
    if last_seen_at is not None:
        seen_days = max(0.0, (now - last_seen_at).total_seconds() / 86400)
        if seen_days < 7:
            score *= 0.5  # still browsing
    score = round(min(1.0, max(0.0, score)), 3)
    level = ChurnRisk.HIGH if score >= 0.6 else ChurnRisk.MEDIUM if score >= 0.3 else ChurnRisk.LOW
    return score, level
