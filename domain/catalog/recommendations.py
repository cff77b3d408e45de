"""Product recommendations: scores and the reason shown with each. Pure.

RELATED is catalog similarity (same product type, shared tags, shared option values),
COMPLEMENTARY is what orders bought together (co-purchase counts), FOR_YOU is the shopper's
live profile (category and brand affinities, recently viewed and what is bought with them),
best sellers for a shopper nobody knows. Staff picks come first, then the computed ones.
The SQL in datasources/postgres/recommendations.py computes the same scores with these
weights (passed as parameters), so it can order and cut the list in one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.customer.profile import ProfileState, affinities_now
from domain.errors import DomainError, ErrorCode

MAX_RECOMMENDATIONS = 50
MAX_STAFF_PICKS = 20
# The largest basket counted pair by pair (a 60-product order adds 3,540 pairs).
MAX_BASKET = 60

TYPE_WEIGHT = 3.0
TAG_WEIGHT = 1.0
OPTION_WEIGHT = 0.5

CATEGORY_WEIGHT = 2.0
BRAND_WEIGHT = 1.0
CO_PURCHASE_WEIGHT = 2.0
# c orders bought with what was viewed count c / (c + CO_PURCHASE_HALF): 3 orders is half.
CO_PURCHASE_HALF = 3.0
RECENTLY_VIEWED_WEIGHT = 0.8
PERSONAL_KEYS = 10
PERSONAL_VIEWS = 10


class RecommendationIntent(StrEnum):
    RELATED = "RELATED"
    COMPLEMENTARY = "COMPLEMENTARY"
    FOR_YOU = "FOR_YOU"


# Intents a merchandiser can pin products to (FOR_YOU is the shopper's own).
STAFF_INTENTS = (RecommendationIntent.RELATED, RecommendationIntent.COMPLEMENTARY)


class RecommendationReason(StrEnum):
    STAFF_PICK = "STAFF_PICK"
    SIMILAR = "SIMILAR"
    BOUGHT_TOGETHER = "BOUGHT_TOGETHER"
    AFFINITY = "AFFINITY"
    BOUGHT_WITH_VIEWED = "BOUGHT_WITH_VIEWED"
    RECENTLY_VIEWED = "RECENTLY_VIEWED"
    BEST_SELLER = "BEST_SELLER"


@dataclass(frozen=True)
class Recommendation:
    product_id: uuid.UUID
    reason: RecommendationReason
    text: str
    score: float | None  # None for a staff pick: placed, not scored


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_RECOMMENDATIONS:
        raise DomainError(
            ErrorCode.INVALID, f"`first` must be between 1 and {MAX_RECOMMENDATIONS}.", ["first"]
        )


def check_staff_picks(
    product_id: uuid.UUID, intent: RecommendationIntent, picks: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """The picks in order without repeats; a product cannot recommend itself."""
    if intent not in STAFF_INTENTS:
        raise DomainError(
            ErrorCode.INVALID, "Only RELATED and COMPLEMENTARY take picks.", ["intent"]
        )
    if len(picks) > MAX_STAFF_PICKS:
        raise DomainError(
            ErrorCode.INVALID, f"At most {MAX_STAFF_PICKS} products.", ["product_ids"]
        )
    for i, pick in enumerate(picks):
        if pick == product_id:
            raise DomainError(
                ErrorCode.INVALID, "A product cannot recommend itself.", ["product_ids", str(i)]
            )
    return list(dict.fromkeys(picks))


@dataclass(frozen=True)
class Similarity:
    """What a candidate shares with the product on the page."""

    product_type: str | None  # the shared type, None when the types differ
    tags: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # "Size: M"


def similarity_score(s: Similarity) -> float:
    return (
        (TYPE_WEIGHT if s.product_type else 0.0)
        + TAG_WEIGHT * len(s.tags)
        + OPTION_WEIGHT * len(s.options)
    )


def _listed(values: Sequence[str], most: int = 3) -> str:
    shown = ", ".join(values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def similarity_text(s: Similarity) -> str:
    parts = []
    if s.product_type:
        parts.append(f"Also a {s.product_type}")
    if s.tags:
        parts.append(f"tagged {_listed(s.tags)}")
    if s.options:
        parts.append(f"comes in {_listed(s.options)}")
    text = "; ".join(parts) or "Similar"
    return text[0].upper() + text[1:]


def similar(product_id: uuid.UUID, s: Similarity) -> Recommendation:
    return Recommendation(
        product_id, RecommendationReason.SIMILAR, similarity_text(s), similarity_score(s)
    )


def bought_together(product_id: uuid.UUID, orders: int) -> Recommendation:
    text = "Bought together in 1 order" if orders == 1 else f"Bought together in {orders} orders"
    return Recommendation(product_id, RecommendationReason.BOUGHT_TOGETHER, text, float(orders))


def co_purchase_pairs(product_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Every ordered pair of distinct products of one order (both directions), sorted so two
    consumers upserting overlapping pairs lock rows in the same order. An order past
    MAX_BASKET products (a wholesale or test order) says little about taste: none."""
    distinct = sorted(set(product_ids))
    if len(distinct) > MAX_BASKET:
        return []
    return [(a, b) for a in distinct for b in distinct if a != b]


def with_staff_picks(
    picks: Sequence[uuid.UUID], computed: Sequence[Recommendation], first: int
) -> list[Recommendation]:
    """Staff picks in their order, then the computed ones not picked already."""
    out = [
        Recommendation(p, RecommendationReason.STAFF_PICK, "Picked by our staff", None)
        for p in dict.fromkeys(picks)
    ]
    seen = {r.product_id for r in out}
    out.extend(r for r in computed if r.product_id not in seen)
    return out[:first]


@dataclass(frozen=True)
class PersonalSignals:
    """What a profile says to rank by, each in 0..1: the strongest category and brand are 1,
    the last product viewed is 1, the one before 1/2, then 1/3..."""

    categories: dict[str, float] = field(default_factory=dict)
    brands: dict[str, float] = field(default_factory=dict)
    viewed: dict[str, float] = field(default_factory=dict)  # product id -> recency weight

    @property
    def empty(self) -> bool:
        return not (self.categories or self.brands or self.viewed)


def _normalized(scores: list[tuple[str, float]]) -> dict[str, float]:
    kept = [(k, v) for k, v in scores[:PERSONAL_KEYS] if v > 0]
    if not kept:
        return {}
    top = kept[0][1]
    return {k: round(v / top, 6) for k, v in kept}


def personal_signals(state: ProfileState | None, now: datetime) -> PersonalSignals:
    if state is None:
        return PersonalSignals()
    views = state.recently_viewed[:PERSONAL_VIEWS]
    return PersonalSignals(
        categories=_normalized(affinities_now(state.categories, state.affinity_as_of, now)),
        brands=_normalized(affinities_now(state.brands, state.affinity_as_of, now)),
        viewed={pid: round(1 / (1 + i), 6) for i, pid in enumerate(views)},
    )


@dataclass(frozen=True)
class PersonalFacts:
    """A candidate's standing against the signals (as the SQL reads it)."""

    category: str
    brand: str
    category_score: float  # the signal of its category, 0 if none
    brand_score: float
    viewed_score: float  # its own recency weight when it was viewed, else 0
    co_purchases: float  # orders bought with viewed products, weighted by their recency
    bought_with: str | None = None  # the title of the viewed product it is most bought with
    sold: int = 0


def personal_parts(f: PersonalFacts) -> dict[RecommendationReason, float]:
    """A viewed product scores as viewed only: what was just seen should not crowd out
    what the shopper has not seen yet."""
    if f.viewed_score > 0:
        return {RecommendationReason.RECENTLY_VIEWED: RECENTLY_VIEWED_WEIGHT * f.viewed_score}
    co = f.co_purchases
    return {
        RecommendationReason.AFFINITY: CATEGORY_WEIGHT * f.category_score
        + BRAND_WEIGHT * f.brand_score,
        RecommendationReason.BOUGHT_WITH_VIEWED: CO_PURCHASE_WEIGHT * co / (co + CO_PURCHASE_HALF),
    }


def personal_score(f: PersonalFacts) -> float:
    return sum(personal_parts(f).values())


def for_you(product_id: uuid.UUID, f: PersonalFacts) -> Recommendation:
    """The recommendation with the reason that weighs most; a best seller when nothing
    personal speaks for it."""
    parts = personal_parts(f)
    reason, weight = max(parts.items(), key=lambda kv: kv[1])
    score = round(sum(parts.values()), 6)
    if weight <= 0:
        text = "A best seller" if f.sold <= 0 else f"A best seller: {f.sold} sold"
        return Recommendation(product_id, RecommendationReason.BEST_SELLER, text, float(f.sold))
    if reason is RecommendationReason.RECENTLY_VIEWED:
        text = "You looked at this recently"
    elif reason is RecommendationReason.BOUGHT_WITH_VIEWED:
        text = f"Often bought with {f.bought_with or 'what you viewed'}"
    else:
        liked = [
            label
            for label, s in ((f.category, f.category_score), (f.brand, f.brand_score))
            if s > 0
        ]
        text = "Because you like " + " and ".join(liked)
    return Recommendation(product_id, reason, text, score)
