"""The live profile's arithmetic: decay, folding, RFM and churn, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.customer.interactions import Interaction, InteractionType
from domain.customer.profile import (
    RECENTLY_VIEWED,
    ChurnRisk,
    OrderHistory,
    ProductFacts,
    ProfileState,
    RfmSegment,
    affinities_now,
    apply_interaction,
    churn_risk,
    decay_factor,
    fold_profiles,
    preferred,
    rfm,
    state_from_json,
    state_to_json,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SHOES = ProductFacts("Shoes", "Acme")


def ix(kind: InteractionType, at: datetime, channel: str = "WEB", **kw: object) -> Interaction:
    return Interaction(uuid.uuid4(), kind, channel, at, device_id="d", **kw)  # type: ignore[arg-type]


def test_affinities_decay_with_a_half_life() -> None:
    p = uuid.uuid4()
    state = apply_interaction(
        ProfileState(), ix(InteractionType.ADDED_TO_CART, T0, product_id=p), SHOES
    )
    assert state.categories == {"Shoes": 3.0} and state.brands == {"Acme": 3.0}
    later = T0 + timedelta(days=14)
    assert affinities_now(state.categories, state.affinity_as_of, later) == [("Shoes", 1.5)]
    # An interaction arriving late (older) counts less, and does not move the clock back.
    late = apply_interaction(
        state, ix(InteractionType.PRODUCT_VIEWED, T0 - timedelta(days=14), product_id=p), SHOES
    )
    assert late.categories == {"Shoes": 3.5} and late.affinity_as_of == T0
    assert late.last_seen_at == T0
    removed = apply_interaction(
        late, ix(InteractionType.REMOVED_FROM_CART, T0, product_id=p), ProductFacts(None, "Acme")
    )
    assert removed.categories == {"Shoes": 3.5} and removed.brands == {"Acme": 2.5}
    assert decay_factor(None, T0, 14) == 1.0


def test_recently_viewed_newest_first_unique_and_bounded() -> None:
    state = ProfileState()
    products = [uuid.uuid4() for _ in range(RECENTLY_VIEWED + 5)]
    for i, p in enumerate(products):
        state = apply_interaction(
            state, ix(InteractionType.PRODUCT_VIEWED, T0 + timedelta(minutes=i), product_id=p), None
        )
    again = apply_interaction(
        state,
        ix(InteractionType.PRODUCT_VIEWED, T0 + timedelta(hours=2), product_id=products[10]),
        None,
    )
    assert len(again.recently_viewed) == RECENTLY_VIEWED
    assert again.recently_viewed[0] == str(products[10])
    assert again.recently_viewed.count(str(products[10])) == 1
    short = apply_interaction(
        ProfileState(), ix(InteractionType.PRODUCT_VIEWED, T0, product_id=products[0]), None
    )
    older = apply_interaction(
        short,
        ix(InteractionType.PRODUCT_VIEWED, T0 - timedelta(hours=1), product_id=products[1]),
        None,
    )
    assert older.recently_viewed == (str(products[0]), str(products[1]))


def test_stores_channels_and_last_seen() -> None:
    store = uuid.uuid4()
    state = ProfileState()
    for i, channel in enumerate(["WEB", "APP", "APP"]):
        state = apply_interaction(
            state, ix(InteractionType.SEARCHED, T0 + timedelta(hours=i), channel), None
        )
    state = apply_interaction(
        state,
        ix(InteractionType.STORE_VISITED, T0 + timedelta(hours=5), "POS", location_id=store),
        None,
    )
    assert preferred(state.channels) == "APP" and preferred(state.stores) == str(store)
    assert state.last_seen_channel == "POS" and state.interactions == 4
    assert preferred({}) is None and preferred({"B": 1, "A": 1}) == "A"


def test_fold_adds_decayed_scores_and_keeps_the_newest() -> None:
    a = ProfileState(categories={"Shoes": 2.0}, affinity_as_of=T0, channels={"WEB": 2},
                     last_seen_channel="WEB", last_seen_at=T0, interactions=2,
                     views=(("p1", T0), ("p2", T0 - timedelta(hours=1))))  # fmt: skip
    later = T0 + timedelta(days=14)
    b = ProfileState(categories={"Shoes": 1.0, "Coats": 1.0}, brands={"Acme": 1.0},
                     affinity_as_of=later, channels={"APP": 1, "WEB": 1}, stores={"s": 1},
                     last_seen_channel="APP", last_seen_at=later, interactions=2,
                     views=(("p2", later), ("p3", T0 + timedelta(days=1))))  # fmt: skip
    folded = fold_profiles(a, b)
    assert folded.categories == {"Shoes": 2.0, "Coats": 1.0}
    assert folded.affinity_as_of == later and folded.last_seen_channel == "APP"
    assert folded.recently_viewed == ("p2", "p3", "p1")
    assert folded.channels == {"WEB": 3, "APP": 1} and folded.interactions == 4
    assert fold_profiles(b, a).categories == folded.categories
    assert fold_profiles(ProfileState(), ProfileState()) == ProfileState()


@given(st.lists(st.sampled_from(list(InteractionType)), max_size=30))
def test_json_round_trip_and_non_negative_scores(kinds: list[InteractionType]) -> None:
    state = ProfileState()
    for i, kind in enumerate(kinds):
        state = apply_interaction(
            state,
            ix(kind, T0 + timedelta(hours=i), product_id=uuid.uuid4(), location_id=uuid.uuid4()),
            SHOES,
        )
    assert all(v >= 0 for v in state.categories.values())
    assert state_from_json(state_to_json(state)) == state
    assert state.interactions == len(kinds)


def test_state_from_nothing() -> None:
    assert state_from_json(None) == ProfileState()
    assert state_from_json({}) == ProfileState()


def history(
    orders: int, last_days: float, first_days: float | None = None, spent: int = 30_000
) -> OrderHistory:
    now = T0
    first = now - timedelta(days=first_days if first_days is not None else last_days)
    return OrderHistory(orders, spent * orders, first, now - timedelta(days=last_days))


def test_rfm_segments() -> None:
    assert rfm(OrderHistory(0, 0, None, None), T0).segment is RfmSegment.PROSPECT
    assert rfm(history(6, 2), T0).segment is RfmSegment.CHAMPION
    assert rfm(history(3, 20), T0).segment is RfmSegment.LOYAL
    assert rfm(history(1, 2), T0).segment is RfmSegment.NEW
    assert rfm(history(3, 120), T0).segment is RfmSegment.AT_RISK
    assert rfm(history(1, 120), T0).segment is RfmSegment.AT_RISK
    assert rfm(history(1, 40), T0).segment is RfmSegment.PROMISING
    assert rfm(history(5, 400), T0).segment is RfmSegment.LAPSED
    score = rfm(history(10, 1, spent=20_000), T0)
    assert (score.recency, score.frequency, score.monetary) == (5, 5, 5)


def test_churn_risk_follows_the_customers_rhythm() -> None:
    assert churn_risk(OrderHistory(0, 0, None, None), None, T0) == (0.0, ChurnRisk.LOW)
    weekly = history(10, 3, first_days=66)
    assert churn_risk(weekly, None, T0)[1] is ChurnRisk.LOW
    overdue = history(10, 30, first_days=93)
    score, level = churn_risk(overdue, None, T0)
    assert level is ChurnRisk.HIGH and score > 0.9
    browsing, _ = churn_risk(overdue, T0 - timedelta(days=1), T0)
    assert browsing == round(score * 0.5, 3)
    once = history(1, 100)
    assert churn_risk(once, T0 - timedelta(days=30), T0)[1] is ChurnRisk.MEDIUM


@given(st.permutations(list(range(6))))
def test_recently_viewed_does_not_depend_on_arrival_order(order: list[int]) -> None:
    products = [uuid.UUID(int=i + 1) for i in range(3)]
    views = [
        ix(InteractionType.PRODUCT_VIEWED, T0 + timedelta(minutes=i), product_id=products[i % 3])
        for i in range(6)
    ]
    state = ProfileState()
    for i in order:
        state = apply_interaction(state, views[i], None)
    assert state.recently_viewed == (str(products[2]), str(products[1]), str(products[0]))
