"""Recommendation scores and reasons (domain.catalog.recommendations): similarity, co-purchase
pairs, staff picks first, the personal signals of a profile and the FOR_YOU reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.catalog import recommendations as rec
from domain.customer.profile import ProfileState
from domain.errors import DomainError, ErrorCode

R = rec.RecommendationReason
A, B, C = (uuid.UUID(int=i) for i in (1, 2, 3))
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _error(call: object, *args: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_first_is_bounded() -> None:
    rec.check_first(1)
    rec.check_first(rec.MAX_RECOMMENDATIONS)
    for bad in (0, -1, rec.MAX_RECOMMENDATIONS + 1):
        error = _error(rec.check_first, bad)
        assert (error.code, error.field) == (ErrorCode.INVALID, ["first"])


def test_staff_picks_are_checked_and_deduplicated() -> None:
    assert rec.check_staff_picks(A, rec.RecommendationIntent.RELATED, [B, C, B]) == [B, C]
    self_pick = _error(rec.check_staff_picks, A, rec.RecommendationIntent.COMPLEMENTARY, [B, A])
    assert self_pick.field == ["product_ids", "1"]
    for_you = _error(rec.check_staff_picks, A, rec.RecommendationIntent.FOR_YOU, [B])
    assert for_you.field == ["intent"]
    many = [uuid.uuid4() for _ in range(rec.MAX_STAFF_PICKS + 1)]
    too_many = _error(rec.check_staff_picks, A, rec.RecommendationIntent.RELATED, many)
    assert too_many.field == ["product_ids"]


def test_similarity_scores_type_tags_and_options() -> None:
    full = rec.Similarity("Jacket", ("navy", "rain"), ("Size: M", "Size: L"))
    assert (
        rec.similarity_score(full) == rec.TYPE_WEIGHT + 2 * rec.TAG_WEIGHT + 2 * rec.OPTION_WEIGHT
    )
    assert (
        rec.similarity_text(full) == "Also a Jacket; tagged navy, rain; comes in Size: M, Size: L"
    )
    tags_only = rec.Similarity(None, ("a", "b", "c", "d", "e"))
    assert rec.similarity_score(tags_only) == 5 * rec.TAG_WEIGHT
    assert rec.similarity_text(tags_only) == "Tagged a, b, c and 2 more"
    assert rec.similarity_text(rec.Similarity(None)) == "Similar"
    item = rec.similar(B, full)
    assert (item.reason, item.score) == (R.SIMILAR, rec.similarity_score(full))


def test_bought_together_counts_orders() -> None:
    assert rec.bought_together(B, 1).text == "Bought together in 1 order"
    many = rec.bought_together(B, 12)
    assert (many.reason, many.text, many.score) == (
        R.BOUGHT_TOGETHER,
        "Bought together in 12 orders",
        12.0,
    )


def test_co_purchase_pairs_both_ways_sorted_and_capped() -> None:
    assert rec.co_purchase_pairs([C, A, A]) == [(A, C), (C, A)]
    assert rec.co_purchase_pairs([A]) == []
    assert len(rec.co_purchase_pairs([A, B, C])) == 6
    huge = [uuid.uuid4() for _ in range(rec.MAX_BASKET + 1)]
    assert rec.co_purchase_pairs(huge) == []


def test_staff_picks_come_first_then_computed_without_repeats() -> None:
    computed = [rec.bought_together(B, 5), rec.bought_together(C, 3)]
    merged = rec.with_staff_picks([C, A], computed, 10)
    assert [m.product_id for m in merged] == [C, A, B]
    assert [m.reason for m in merged] == [R.STAFF_PICK, R.STAFF_PICK, R.BOUGHT_TOGETHER]
    assert merged[0].score is None
    assert len(rec.with_staff_picks([C, A], computed, 2)) == 2


def test_personal_signals_normalize_the_profile() -> None:
    assert rec.personal_signals(None, NOW).empty
    views = tuple((f"p{i}", NOW - timedelta(minutes=i)) for i in range(12))
    state = ProfileState(
        views=views,
        categories={"Jacket": 4.0, "Shirt": 1.0, "Gone": 0.0},
        brands={"Noord": 2.0},
        affinity_as_of=NOW - timedelta(days=14),
    )
    signals = rec.personal_signals(state, NOW)
    assert not signals.empty
    assert signals.categories == {"Jacket": 1.0, "Shirt": 0.25}
    assert signals.brands == {"Noord": 1.0}
    assert len(signals.viewed) == rec.PERSONAL_VIEWS
    assert signals.viewed["p0"] == 1.0 and signals.viewed["p1"] == 0.5
    assert rec.personal_signals(ProfileState(categories={"x": 0.0}), NOW).categories == {}


def _facts(**overrides: object) -> rec.PersonalFacts:
    base: dict[str, object] = {
        "category": "Jacket",
        "brand": "Noord",
        "category_score": 0.0,
        "brand_score": 0.0,
        "viewed_score": 0.0,
        "co_purchases": 0.0,
    }
    return rec.PersonalFacts(**{**base, **overrides})  # type: ignore[arg-type]


def test_for_you_reason_is_the_strongest_part() -> None:
    liked = rec.for_you(A, _facts(category_score=1.0, brand_score=0.5))
    assert liked.reason is R.AFFINITY
    assert liked.text == "Because you like Jacket and Noord"
    assert liked.score == rec.CATEGORY_WEIGHT + 0.5 * rec.BRAND_WEIGHT
    brand = rec.for_you(A, _facts(brand_score=1.0))
    assert brand.text == "Because you like Noord"
    bought = rec.for_you(A, _facts(co_purchases=9.0, bought_with="Rain Jacket in Navy"))
    assert bought.reason is R.BOUGHT_WITH_VIEWED
    assert bought.text == "Often bought with Rain Jacket in Navy"
    assert bought.score == round(rec.CO_PURCHASE_WEIGHT * 9 / (9 + rec.CO_PURCHASE_HALF), 6)
    assert rec.for_you(A, _facts(co_purchases=1.0)).text == "Often bought with what you viewed"


def test_a_viewed_product_scores_as_viewed_only() -> None:
    facts = _facts(viewed_score=0.5, category_score=1.0, co_purchases=50.0)
    viewed = rec.for_you(A, facts)
    assert viewed.reason is R.RECENTLY_VIEWED
    assert viewed.score == rec.RECENTLY_VIEWED_WEIGHT * 0.5
    assert rec.personal_score(facts) == viewed.score
    # Something the shopper likes but has not seen outranks what they just saw.
    assert rec.personal_score(_facts(category_score=1.0)) > rec.personal_score(facts)


def test_nothing_personal_is_a_best_seller() -> None:
    seller = rec.for_you(A, _facts(sold=7))
    assert (seller.reason, seller.text, seller.score) == (
        R.BEST_SELLER,
        "A best seller: 7 sold",
        7.0,
    )
    assert rec.for_you(A, _facts()).text == "A best seller"
