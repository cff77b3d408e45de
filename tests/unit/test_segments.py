"""Segment rules: validation, evaluation, membership changes, who may (domain/customer/segments.py)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.auth import Principal, PrincipalKind, Role
from domain.cart.discounts import DiscountDefinition, DiscountRejection, evaluate_codes
from domain.cart.pricing import DiscountKind
from domain.customer import segments as s
from domain.customer.profile import ChurnRisk, OrderHistory, ProfileState, RfmSegment
from domain.errors import DomainError, ErrorCode

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
STORE = uuid.UUID("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d")


def facts(**changes: Any) -> s.SegmentFacts:
    base = s.SegmentFacts(
        rfm_segment=RfmSegment.PROSPECT,
        churn_risk=0.0,
        churn_risk_level=ChurnRisk.LOW,
        lifetime_value_minor=0,
        order_count=0,
        interaction_count=0,
        store_visits=0,
        channel_count=0,
        preferred_channel=None,
        last_seen_channel=None,
        preferred_store=None,
    )
    return replace(base, **changes)


def cond(field: str, operator: str, *values: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "values": list(values)}


VIP = s.parse_rule(
    {
        "match": "ANY",
        "conditions": [
            cond("RFM_SEGMENT", "EQ", "CHAMPION"),
            cond("LIFETIME_VALUE", "GTE", "500.00"),
        ],
    }
)
LAPSING = s.parse_rule({"conditions": [cond("CHURN_RISK", "GTE", "0.6")]})


def segment(rule: s.Rule, name: str = "VIP") -> s.Segment:
    return s.Segment(uuid.uuid4(), name, "", rule, NOW, NOW)


def test_vip_is_a_champion_or_a_big_spender() -> None:
    assert s.matches(VIP, facts(rfm_segment=RfmSegment.CHAMPION))
    assert s.matches(VIP, facts(lifetime_value_minor=50_000))
    assert not s.matches(VIP, facts(lifetime_value_minor=49_999, rfm_segment=RfmSegment.LOYAL))


def test_lapsing_is_a_churn_risk_of_0_6_or_more() -> None:
    assert s.matches(LAPSING, facts(churn_risk=0.6))
    assert not s.matches(LAPSING, facts(churn_risk=0.59))


def test_all_every_operator_and_nested_groups() -> None:
    rule = s.parse_rule(
        {
            "match": "ALL",
            "conditions": [
                cond("ORDER_COUNT", "GT", "1"),
                cond("INTERACTION_COUNT", "LT", 10),
                cond("STORE_VISITS", "LTE", "3"),
                cond("CHANNEL_COUNT", "NEQ", "0"),
                cond("CHURN_RISK_LEVEL", "IN", "LOW", "MEDIUM"),
                cond("PREFERRED_CHANNEL", "NOT_IN", "app"),
            ],
            "groups": [
                {
                    "match": "ANY",
                    "conditions": [
                        cond("LAST_SEEN_CHANNEL", "EQ", "pos"),
                        cond("PREFERRED_STORE", "EQ", f"gid://ucg/Location/{STORE}"),
                    ],
                }
            ],
        }
    )
    good = facts(
        order_count=2,
        interaction_count=9,
        store_visits=3,
        channel_count=2,
        preferred_channel="WEB",
        last_seen_channel="POS",
    )
    assert s.matches(rule, good)
    assert s.matches(rule, replace(good, last_seen_channel="WEB", preferred_store=str(STORE)))
    assert not s.matches(rule, replace(good, last_seen_channel="WEB"))
    assert not s.matches(rule, replace(good, preferred_channel="APP"))
    assert not s.matches(rule, replace(good, churn_risk_level=ChurnRisk.HIGH))
    assert not s.matches(rule, replace(good, order_count=1))


def test_a_missing_value_matches_only_negations() -> None:
    unknown = facts()
    assert not s.matches(
        s.parse_rule({"conditions": [cond("LAST_SEEN_CHANNEL", "EQ", "WEB")]}), unknown
    )
    assert not s.matches(
        s.parse_rule({"conditions": [cond("LAST_SEEN_CHANNEL", "IN", "WEB")]}), unknown
    )
    assert s.matches(
        s.parse_rule({"conditions": [cond("LAST_SEEN_CHANNEL", "NEQ", "WEB")]}), unknown
    )
    assert s.matches(
        s.parse_rule({"conditions": [cond("PREFERRED_STORE", "NOT_IN", str(STORE))]}), unknown
    )


def test_the_stored_form_reads_back_to_the_same_rule() -> None:
    rule = s.parse_rule(
        {
            "match": "ANY",
            "conditions": [
                cond("LIFETIME_VALUE", "GTE", "500.5"),
                cond("CHURN_RISK", "GT", "0.25"),
                cond("ORDER_COUNT", "EQ", "3"),
                cond("PREFERRED_STORE", "IN", str(STORE), str(STORE)),
            ],
            "groups": [{"conditions": [cond("RFM_SEGMENT", "EQ", "LOYAL")]}],
        }
    )
    doc = s.rule_to_json(rule)
    assert doc["conditions"][0]["values"] == ["500.50"]
    assert doc["conditions"][1]["values"] == ["0.25"]
    assert doc["conditions"][2]["values"] == ["3"]
    assert doc["conditions"][3]["values"] == [str(STORE)]  # duplicates dropped
    assert s.parse_rule(doc) == rule
    assert s.condition_count(rule) == 5


@given(st.integers(min_value=0, max_value=10**9))
def test_money_round_trips_in_minor_units(minor: int) -> None:
    doc = {"conditions": [cond("LIFETIME_VALUE", "GTE", f"{minor / 100:.2f}")]}
    rule = s.parse_rule(doc)
    assert rule.conditions[0].values == (float(minor),)
    assert s.parse_rule(s.rule_to_json(rule)) == rule


@pytest.mark.parametrize(
    ("doc", "path", "words"),
    [
        ([], ["rule"], "is an object"),
        ({}, ["rule"], "at least one"),
        ({"conditions": "x"}, ["rule"], "are lists"),
        (
            {"match": "SOME", "conditions": [cond("ORDER_COUNT", "GT", 1)]},
            ["rule", "match"],
            "one of",
        ),
        ({"conditions": ["x"]}, ["rule", "conditions", "0"], "is an object"),
        ({"conditions": [cond("AGE", "GT", 1)]}, ["rule", "conditions", "0", "field"], "one of"),
        (
            {"conditions": [cond("ORDER_COUNT", "LIKE", 1)]},
            ["rule", "conditions", "0", "operator"],
            "one of",
        ),
        (
            {"conditions": [cond("RFM_SEGMENT", "GT", "LOYAL")]},
            ["rule", "conditions", "0"],
            "cannot be compared",
        ),
        (
            {"conditions": [cond("ORDER_COUNT", "IN", 1, 2)]},
            ["rule", "conditions", "0"],
            "compared with EQ",
        ),
        (
            {"conditions": [cond("ORDER_COUNT", "GT")]},
            ["rule", "conditions", "0", "values"],
            "needs values",
        ),
        (
            {"conditions": [cond("ORDER_COUNT", "GT", 1, 2)]},
            ["rule", "conditions", "0", "values"],
            "exactly one",
        ),
        (
            {"conditions": [cond("RFM_SEGMENT", "IN", *["LOYAL"] * 51)]},
            ["rule", "conditions", "0", "values"],
            "At most 50",
        ),
        (
            {"conditions": [cond("ORDER_COUNT", "GT", "many")]},
            ["rule", "conditions", "0", "values", "0"],
            "a number",
        ),
        (
            {"conditions": [cond("ORDER_COUNT", "GT", None)]},
            ["rule", "conditions", "0", "values", "0"],
            "a number",
        ),
        (
            {"conditions": [cond("ORDER_COUNT", "GT", "-1")]},
            ["rule", "conditions", "0", "values", "0"],
            "0 or more",
        ),
        (
            {"conditions": [cond("ORDER_COUNT", "GT", "Infinity")]},
            ["rule", "conditions", "0", "values", "0"],
            "0 or more",
        ),
        (
            {"conditions": [cond("LIFETIME_VALUE", "GT", "1.005")]},
            ["rule", "conditions", "0", "values", "0"],
            "2 decimals",
        ),
        (
            {"conditions": [cond("CHURN_RISK", "GT", "1.5")]},
            ["rule", "conditions", "0", "values", "0"],
            "between 0 and 1",
        ),
        (
            {"conditions": [cond("RFM_SEGMENT", "EQ", "GOLD")]},
            ["rule", "conditions", "0", "values", "0"],
            "is one of",
        ),
        (
            {"conditions": [cond("LAST_SEEN_CHANNEL", "EQ", "1WEB")]},
            ["rule", "conditions", "0", "values", "0"],
            "channel code",
        ),
        (
            {"conditions": [cond("LAST_SEEN_CHANNEL", "EQ", "WE-B")]},
            ["rule", "conditions", "0", "values", "0"],
            "channel code",
        ),
        (
            {"conditions": [cond("PREFERRED_STORE", "EQ", "store 12")]},
            ["rule", "conditions", "0", "values", "0"],
            "Location id",
        ),
        (
            {"conditions": [cond("PREFERRED_STORE", "EQ", f"gid://ucg/Product/{STORE}")]},
            ["rule", "conditions", "0", "values", "0"],
            "Location id",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_input(doc: Any, path: list[str], words: str) -> None:
    with pytest.raises(DomainError) as caught:
        s.parse_rule(doc)
    assert caught.value.code is ErrorCode.INVALID
    assert caught.value.field == path
    assert words in caught.value.message


def test_rules_are_bounded_in_depth_and_size() -> None:
    leaf = {"conditions": [cond("ORDER_COUNT", "GT", 1)]}
    deep = {"groups": [{"groups": [leaf]}]}
    with pytest.raises(DomainError, match="2 deep"):
        s.parse_rule(deep)
    s.parse_rule({"groups": [leaf]})  # two levels are fine
    wide = {"conditions": [cond("ORDER_COUNT", "GT", i) for i in range(21)]}
    with pytest.raises(DomainError, match="at most 20"):
        s.parse_rule(wide)


def test_facts_follow_the_profile_as_customer_profile_shows_it() -> None:
    state = ProfileState(
        channels={"WEB": 3, "POS": 1},
        stores={str(STORE): 2},
        last_seen_channel="POS",
        last_seen_at=NOW,
        interactions=4,
    )
    history = OrderHistory(5, 60_000, NOW - timedelta(days=60), NOW - timedelta(days=2))
    f = s.facts_for(state, history, NOW)
    assert f.rfm_segment is RfmSegment.CHAMPION
    assert (f.order_count, f.lifetime_value_minor, f.interaction_count) == (5, 60_000, 4)
    assert (f.store_visits, f.channel_count) == (2, 2)
    assert (f.preferred_channel, f.last_seen_channel, f.preferred_store) == (
        "WEB",
        "POS",
        str(STORE),
    )
    assert f.churn_risk_level is ChurnRisk.LOW
    assert s.matches(VIP, f)


def test_membership_changes_enter_exit_and_visits() -> None:
    vip, lapsing = segment(VIP), segment(LAPSING, "lapsing")
    champion = facts(rfm_segment=RfmSegment.CHAMPION)
    entered = s.membership_changes([vip, lapsing], set(), champion)
    assert entered == [s.MembershipChange(vip.id, s.Change.ENTERED)]
    assert s.membership_changes([vip, lapsing], {vip.id}, champion) == []
    visits = s.membership_changes([vip, lapsing], {vip.id}, champion, visited_store=True)
    assert visits == [s.MembershipChange(vip.id, s.Change.VISITED_STORE)]
    both = s.membership_changes([vip, lapsing], {vip.id}, facts(churn_risk=0.9))
    assert {(c.segment_id, c.change) for c in both} == {
        (vip.id, s.Change.EXITED),
        (lapsing.id, s.Change.ENTERED),
    }
    assert [c.segment_id for c in both] == sorted(c.segment_id for c in both)


def test_event_data_is_ids_only_and_reads_back() -> None:
    customer, change = uuid.uuid4(), s.MembershipChange(uuid.uuid4(), s.Change.VISITED_STORE)
    data = s.event_data(customer, change, store_id=STORE, channel="POS", occurred_at=NOW)
    assert set(data) == {"customerId", "segmentId", "change", "storeId", "channel", "occurredAt"}
    event_id = uuid.uuid4()
    read = s.change_from_event(event_id, data, NOW)
    assert read == s.SegmentChange(
        event_id, customer, change.segment_id, s.Change.VISITED_STORE, STORE, "POS", NOW
    )
    batch = s.event_data(customer, change, store_id=None, channel=None, occurred_at=NOW)
    assert batch["storeId"] is None
    later = NOW + timedelta(seconds=1)
    assert s.change_from_event(event_id, {**batch, "occurredAt": None}, later).occurred_at == later
    assert s.change_from_event(event_id, batch, NOW).store_id is None


def test_what_a_subscriber_sees() -> None:
    change = s.SegmentChange(
        uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), s.Change.ENTERED, STORE, "POS", NOW
    )
    assert s.change_visible(change, None, None)
    assert s.change_visible(change, frozenset({change.segment_id}), STORE)
    assert not s.change_visible(change, frozenset({uuid.uuid4()}), None)
    assert not s.change_visible(change, None, uuid.uuid4())
    assert not s.change_visible(replace(change, store_id=None), None, STORE)


def principal(*roles: Role, location: uuid.UUID | None = None) -> Principal:
    return Principal(
        kind=PrincipalKind.STAFF, id=uuid.uuid4(), roles=frozenset(roles), location_id=location
    )


def test_who_may_define_read_and_watch_segments() -> None:
    assert s.check_may_define_segments(principal(Role.SUPPORT))
    with pytest.raises(DomainError) as caught:
        s.check_may_define_segments(principal(Role.POS))
    assert caught.value.code is ErrorCode.FORBIDDEN
    assert s.check_may_read_segments(principal(Role.MERCHANDISER))
    assert s.check_may_read_segments(principal(Role.POS))
    for who, code in (
        (None, ErrorCode.UNAUTHENTICATED),
        (principal(Role.AGENT), ErrorCode.FORBIDDEN),
    ):
        with pytest.raises(DomainError) as caught:
            s.check_may_read_segments(who)
        assert caught.value.code is code
        with pytest.raises(DomainError) as caught:
            s.check_may_watch_segments(who, None)
        assert caught.value.code is code
    assert s.check_may_watch_segments(principal(Role.POS), None) is None
    assert s.check_may_watch_segments(principal(Role.POS), STORE) == STORE
    till = principal(Role.POS, location=STORE)
    assert s.check_may_watch_segments(till, None) == STORE
    with pytest.raises(DomainError) as caught:
        s.check_may_watch_segments(till, uuid.uuid4())
    assert caught.value.field == ["store_id"]


def test_names_are_trimmed_and_bounded() -> None:
    assert s.check_name("  VIP ", " best ") == ("VIP", "best")
    with pytest.raises(DomainError) as caught:
        s.check_name(" ", "")
    assert caught.value.field == ["name"]
    with pytest.raises(DomainError) as caught:
        s.check_name("VIP", "x" * 501)
    assert caught.value.field == ["description"]


def test_a_segment_limited_code_applies_to_members_only() -> None:
    vip = uuid.uuid4()
    code = DiscountDefinition("VIP10", DiscountKind.PERCENTAGE, 1000, segment_ids=frozenset({vip}))
    member = replace(code, customer_segment_ids=frozenset({vip}))
    channel = uuid.uuid4()

    def rejection(d: DiscountDefinition) -> DiscountRejection | None:
        result = evaluate_codes(
            ["VIP10"],
            {"VIP10": d},
            now=NOW,
            channel_id=channel,
            currency_code="EUR",
            subtotal_minor=10_000,
        )
        return result[0].rejection

    assert rejection(code) is DiscountRejection.SEGMENT_NOT_ELIGIBLE
    assert rejection(member) is None
    assert rejection(replace(code, segment_ids=frozenset())) is None
