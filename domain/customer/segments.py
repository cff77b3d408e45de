"""Customer segments: staff-defined rules over the live profile, and who enters or leaves. Pure.

A rule is a small typed expression: conditions (field, operator, values) combined with AND
or OR, nested at most `MAX_DEPTH` deep. `parse_rule` validates what staff send (every
problem is a DomainError naming the input path) and `matches` evaluates a rule against the
`SegmentFacts` of one customer (derived from the profile state and order history exactly as
`Customer.profile` shows them). `membership_changes` is what the profile consumer and the
batch evaluation of a new segment apply: entries and exits, each an event.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.auth import Principal, Role, require_roles
from domain.authz import Scope, has_scope
from domain.customer.profile import (
    ChurnRisk,
    OrderHistory,
    ProfileState,
    RfmSegment,
    churn_risk,
    preferred,
    rfm,
)
from domain.errors import DomainError, ErrorCode
from domain.ids import PREFIX, from_global_id

SEGMENT_CHANGED = "ucg.customer.segment_changed.v1"
MAX_SEGMENTS = 100
MAX_DEPTH = 2  # a rule and one level of groups: (A OR B) AND (C OR D)
MAX_CONDITIONS = 20
MAX_VALUES = 50
MAX_NAME = 80
MAX_DESCRIPTION = 500
# LIFETIME_VALUE is given in currency units with at most 2 decimals (stored in minor units).
_MONEY_DIGITS = 2


class SegmentField(StrEnum):
    RFM_SEGMENT = "RFM_SEGMENT"
    CHURN_RISK = "CHURN_RISK"
    CHURN_RISK_LEVEL = "CHURN_RISK_LEVEL"
    LIFETIME_VALUE = "LIFETIME_VALUE"
    ORDER_COUNT = "ORDER_COUNT"
    INTERACTION_COUNT = "INTERACTION_COUNT"
    STORE_VISITS = "STORE_VISITS"
    CHANNEL_COUNT = "CHANNEL_COUNT"
    PREFERRED_CHANNEL = "PREFERRED_CHANNEL"
    LAST_SEEN_CHANNEL = "LAST_SEEN_CHANNEL"
    PREFERRED_STORE = "PREFERRED_STORE"


class Operator(StrEnum):
    EQ = "EQ"
    NEQ = "NEQ"
    GT = "GT"
    GTE = "GTE"
    LT = "LT"
    LTE = "LTE"
    IN = "IN"
    NOT_IN = "NOT_IN"


class Match(StrEnum):
    ALL = "ALL"  # AND
    ANY = "ANY"  # OR


class Change(StrEnum):
    ENTERED = "ENTERED"
    EXITED = "EXITED"
    # A member walked into a store (a STORE_VISITED interaction): the till is told who is here.
    VISITED_STORE = "VISITED_STORE"


class _Kind(StrEnum):
    NUMBER = "number"
    MONEY = "money"
    ENUM = "enum"
    CODE = "code"
    STORE = "store"


_FIELD_KIND = {
    SegmentField.RFM_SEGMENT: _Kind.ENUM,
    SegmentField.CHURN_RISK: _Kind.NUMBER,
    SegmentField.CHURN_RISK_LEVEL: _Kind.ENUM,
    SegmentField.LIFETIME_VALUE: _Kind.MONEY,
    SegmentField.ORDER_COUNT: _Kind.NUMBER,
    SegmentField.INTERACTION_COUNT: _Kind.NUMBER,
    SegmentField.STORE_VISITS: _Kind.NUMBER,
    SegmentField.CHANNEL_COUNT: _Kind.NUMBER,
    SegmentField.PREFERRED_CHANNEL: _Kind.CODE,
    SegmentField.LAST_SEEN_CHANNEL: _Kind.CODE,
    SegmentField.PREFERRED_STORE: _Kind.STORE,
}
_ENUM_VALUES: dict[SegmentField, frozenset[str]] = {
    SegmentField.RFM_SEGMENT: frozenset(RfmSegment),
    SegmentField.CHURN_RISK_LEVEL: frozenset(ChurnRisk),
}
_ORDERED = frozenset({Operator.GT, Operator.GTE, Operator.LT, Operator.LTE})
_SETS = frozenset({Operator.IN, Operator.NOT_IN})


@dataclass(frozen=True)
class Condition:
    field: SegmentField
    operator: Operator
    # Numbers as float (money in minor units), the rest as strings (store ids: bare uuids).
    values: tuple[float | str, ...]


@dataclass(frozen=True)
class Rule:
    match: Match
    conditions: tuple[Condition, ...] = ()
    groups: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Segment:
    id: uuid.UUID
    name: str
    description: str
    rule: Rule
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SegmentFacts:
    """What a rule may ask about one customer."""

    rfm_segment: RfmSegment
    churn_risk: float
    churn_risk_level: ChurnRisk
    lifetime_value_minor: int
    order_count: int
    interaction_count: int
    store_visits: int
    channel_count: int
    preferred_channel: str | None
    last_seen_channel: str | None
    preferred_store: str | None


@dataclass(frozen=True)
class MembershipChange:
    segment_id: uuid.UUID
    change: Change


@dataclass(frozen=True)
class SegmentChange:
    """A segment event as delivered to a subscriber."""

    event_id: uuid.UUID
    customer_id: uuid.UUID
    segment_id: uuid.UUID
    change: Change
    store_id: uuid.UUID | None
    channel: str | None
    occurred_at: datetime


# --- facts ---------------------------------------------------------------------------


def facts_for(state: ProfileState, history: OrderHistory, now: datetime) -> SegmentFacts:
    """The facts of one customer, as `Customer.profile` derives them at `now`."""
    risk, level = churn_risk(history, state.last_seen_at, now)
    return SegmentFacts(
        rfm_segment=rfm(history, now).segment,
        churn_risk=risk,
        churn_risk_level=level,
        lifetime_value_minor=history.monetary_minor,
        order_count=history.orders,
        interaction_count=state.interactions,
        store_visits=sum(state.stores.values()),
        channel_count=len(state.channels),
        preferred_channel=preferred(state.channels),
        last_seen_channel=state.last_seen_channel,
        preferred_store=preferred(state.stores),
    )


def _fact(facts: SegmentFacts, field: SegmentField) -> float | str | None:
    value: Any = {
        SegmentField.RFM_SEGMENT: facts.rfm_segment,
        SegmentField.CHURN_RISK: facts.churn_risk,
        SegmentField.CHURN_RISK_LEVEL: facts.churn_risk_level,
        SegmentField.LIFETIME_VALUE: facts.lifetime_value_minor,
        SegmentField.ORDER_COUNT: facts.order_count,
        SegmentField.INTERACTION_COUNT: facts.interaction_count,
        SegmentField.STORE_VISITS: facts.store_visits,
        SegmentField.CHANNEL_COUNT: facts.channel_count,
        SegmentField.PREFERRED_CHANNEL: facts.preferred_channel,
        SegmentField.LAST_SEEN_CHANNEL: facts.last_seen_channel,
        SegmentField.PREFERRED_STORE: facts.preferred_store,
    }[field]
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, int | float):
        return float(value)
    return value  # type: ignore[no-any-return]


# --- evaluation ----------------------------------------------------------------------


def _holds(condition: Condition, facts: SegmentFacts) -> bool:
    actual = _fact(facts, condition.field)
    op, values = condition.operator, condition.values
    if op is Operator.NEQ:
        return actual != values[0]
    if op is Operator.NOT_IN:
        return actual not in values
    if actual is None:
        return False
    if op is Operator.EQ:
        return actual == values[0]
    if op is Operator.IN:
        return actual in values
    assert isinstance(actual, float)
    limit = float(values[0])
    return {
        Operator.GT: actual > limit,
        Operator.GTE: actual >= limit,
        Operator.LT: actual < limit,
        Operator.LTE: actual <= limit,
    }[op]


def matches(rule: Rule, facts: SegmentFacts) -> bool:
    results = [_holds(c, facts) for c in rule.conditions]
    results += [matches(g, facts) for g in rule.groups]
    return all(results) if rule.match is Match.ALL else any(results)


def membership_changes(
    segments: Iterable[Segment],
    current: set[uuid.UUID],
    facts: SegmentFacts,
    *,
    visited_store: bool = False,
) -> list[MembershipChange]:
    """Entries and exits for one customer (in segment id order, so events are stable); with
    `visited_store`, also VISITED_STORE for each segment they stay in."""
    changes: list[MembershipChange] = []
    for segment in sorted(segments, key=lambda s: s.id):
        now_in = matches(segment.rule, facts)
        was_in = segment.id in current
        if now_in and not was_in:
            changes.append(MembershipChange(segment.id, Change.ENTERED))
        elif was_in and not now_in:
            changes.append(MembershipChange(segment.id, Change.EXITED))
        elif now_in and visited_store:
            changes.append(MembershipChange(segment.id, Change.VISITED_STORE))
    return changes


# --- validation ----------------------------------------------------------------------


def _invalid(message: str, path: Sequence[str]) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, list(path))


def _enum(kind: type[StrEnum], raw: Any, path: Sequence[str]) -> Any:
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(kind)
        raise _invalid(f"{str(raw)[:40]!r} is not one of {allowed}.", path) from None


def _value(field: SegmentField, raw: Any, path: Sequence[str]) -> float | str:
    kind = _FIELD_KIND[field]
    text = str(raw).strip() if isinstance(raw, str | int | float) else ""
    if kind in (_Kind.NUMBER, _Kind.MONEY):
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _invalid(f"{field.value} compares with a number.", path) from None
        if not number.is_finite() or number < 0:
            raise _invalid(f"{field.value} compares with a number of 0 or more.", path)
        if kind is _Kind.MONEY:
            scaled = number.scaleb(_MONEY_DIGITS)
            if scaled != scaled.to_integral_value():
                raise _invalid("LIFETIME_VALUE has at most 2 decimals.", path)
            return float(int(scaled))
        if field is SegmentField.CHURN_RISK and number > 1:
            raise _invalid("CHURN_RISK is between 0 and 1.", path)
        return float(number)
    if kind is _Kind.ENUM:
        if text not in _ENUM_VALUES[field]:
            allowed = ", ".join(sorted(_ENUM_VALUES[field]))
            raise _invalid(f"{field.value} is one of {allowed}.", path)
        return text
    if kind is _Kind.CODE:
        if not (1 <= len(text) <= 32 and text[0].isalpha() and text.replace("_", "").isalnum()):
            raise _invalid(f"{field.value} compares with a channel code such as WEB.", path)
        return text.upper()
    store = text if text.startswith(PREFIX) else f"{PREFIX}Location/{text}"
    try:
        return str(from_global_id(store, "Location")[1])
    except DomainError:
        raise _invalid(f"{field.value} compares with a Location id.", path) from None


def _condition(doc: Any, path: list[str]) -> Condition:
    if not isinstance(doc, Mapping):
        raise _invalid("A condition is an object with field, operator and values.", path)
    field = _enum(SegmentField, doc.get("field"), [*path, "field"])
    operator = _enum(Operator, doc.get("operator"), [*path, "operator"])
    kind = _FIELD_KIND[field]
    if operator in _ORDERED and kind not in (_Kind.NUMBER, _Kind.MONEY):
        raise _invalid(f"{field.value} cannot be compared with {operator.value}.", path)
    if operator in _SETS and kind in (_Kind.NUMBER, _Kind.MONEY):
        raise _invalid(f"{field.value} is compared with EQ, NEQ, GT, GTE, LT or LTE.", path)
    raw = doc.get("values")
    if not isinstance(raw, list | tuple) or not raw:
        raise _invalid("A condition needs values.", [*path, "values"])
    if operator not in _SETS and len(raw) != 1:
        raise _invalid(f"{operator.value} takes exactly one value.", [*path, "values"])
    if len(raw) > MAX_VALUES:
        raise _invalid(f"At most {MAX_VALUES} values.", [*path, "values"])
    values = tuple(_value(field, v, [*path, "values", str(i)]) for i, v in enumerate(raw))
    return Condition(field, operator, tuple(dict.fromkeys(values)))


def parse_rule(doc: Any, path: Sequence[str] = ("rule",), depth: int = 1) -> Rule:
    """A validated rule from its JSON form (what staff send, or what was stored)."""
    here = list(path)
    if not isinstance(doc, Mapping):
        raise _invalid("A rule is an object with match, conditions and groups.", here)
    if depth > MAX_DEPTH:
        raise _invalid(f"Rules nest at most {MAX_DEPTH} deep.", here)
    match = _enum(Match, doc.get("match", Match.ALL.value), [*here, "match"])
    conditions_doc = doc.get("conditions") or []
    groups_doc = doc.get("groups") or []
    if not isinstance(conditions_doc, list | tuple) or not isinstance(groups_doc, list | tuple):
        raise _invalid("conditions and groups are lists.", here)
    if not conditions_doc and not groups_doc:
        raise _invalid("A rule needs at least one condition or group.", here)
    conditions = tuple(
        _condition(c, [*here, "conditions", str(i)]) for i, c in enumerate(conditions_doc)
    )
    groups = tuple(
        parse_rule(g, [*here, "groups", str(i)], depth + 1) for i, g in enumerate(groups_doc)
    )
    rule = Rule(match, conditions, groups)
    if depth == 1 and condition_count(rule) > MAX_CONDITIONS:
        raise _invalid(f"A rule has at most {MAX_CONDITIONS} conditions.", here)
    return rule


def condition_count(rule: Rule) -> int:
    return len(rule.conditions) + sum(condition_count(g) for g in rule.groups)


def _json_value(field: SegmentField, value: float | str) -> str:
    kind = _FIELD_KIND[field]
    if kind is _Kind.MONEY:
        return str(Decimal(int(value)).scaleb(-_MONEY_DIGITS))
    if kind is _Kind.NUMBER:
        number = float(value)
        return str(int(number)) if number == math.floor(number) else repr(number)
    return str(value)


def rule_to_json(rule: Rule) -> dict[str, Any]:
    """The stored (and shown) form; `parse_rule` reads it back to the same rule."""
    return {
        "match": rule.match.value,
        "conditions": [
            {
                "field": c.field.value,
                "operator": c.operator.value,
                "values": [_json_value(c.field, v) for v in c.values],
            }
            for c in rule.conditions
        ],
        "groups": [rule_to_json(g) for g in rule.groups],
    }


def check_name(name: str, description: str) -> tuple[str, str]:
    name, description = name.strip(), description.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise _invalid(f"A segment name is 1 to {MAX_NAME} characters.", ["name"])
    if len(description) > MAX_DESCRIPTION:
        raise _invalid(f"A description is at most {MAX_DESCRIPTION} characters.", ["description"])
    return name, description


# --- who may ---------------------------------------------------------------------------


def check_may_define_segments(principal: Principal | None) -> Principal:
    """Defining segments decides who gets offers: ADMIN or SUPPORT."""
    return require_roles(principal, Role.SUPPORT)


def check_may_read_segments(principal: Principal | None) -> Principal:
    """Segment definitions: staff with the CUSTOMERS scope, or CATALOG (to target codes)."""
    if principal is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Sign in as staff or send an API key.")
    if not (has_scope(principal, Scope.CUSTOMERS) or has_scope(principal, Scope.CATALOG)):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the CUSTOMERS or CATALOG scope.")
    return principal


def check_may_watch_segments(
    principal: Principal | None, store_id: uuid.UUID | None
) -> uuid.UUID | None:
    """Segment events name customers: the CUSTOMERS scope. A store-bound key watches its own
    store only (the store it follows is returned: its own when it named none)."""
    if principal is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Sign in as staff or send an API key.")
    if not has_scope(principal, Scope.CUSTOMERS):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the CUSTOMERS scope.")
    bound = principal.location_id
    if bound is not None and store_id is not None and store_id != bound:
        raise DomainError(ErrorCode.FORBIDDEN, "This key is bound to another store.", ["store_id"])
    return store_id or bound


def change_visible(
    change: SegmentChange, segment_ids: frozenset[uuid.UUID] | None, store_id: uuid.UUID | None
) -> bool:
    """Whether a subscriber asking for these segments (None: all) at this store (None: any)
    gets this event."""
    if segment_ids is not None and change.segment_id not in segment_ids:
        return False
    return store_id is None or change.store_id == store_id


def event_data(
    customer_id: uuid.UUID,
    change: MembershipChange,
    *,
    store_id: uuid.UUID | None,
    channel: str | None,
    occurred_at: datetime,
) -> dict[str, object]:
    """The event's data: ids only, never a name or what the rule looked at."""
    return {
        "customerId": str(customer_id),
        "segmentId": str(change.segment_id),
        "change": change.change.value,
        "storeId": str(store_id) if store_id else None,
        "channel": channel,
        "occurredAt": occurred_at.isoformat(),
    }


def change_from_event(
    event_id: uuid.UUID, data: Mapping[str, Any], time: datetime
) -> SegmentChange:
    store = data.get("storeId")
    occurred = data.get("occurredAt")
    return SegmentChange(
        event_id=event_id,
        customer_id=uuid.UUID(str(data["customerId"])),
        segment_id=uuid.UUID(str(data["segmentId"])),
        change=Change(data["change"]),
        store_id=uuid.UUID(str(store)) if store else None,
        channel=data.get("channel"),
        occurred_at=datetime.fromisoformat(occurred) if isinstance(occurred, str) else time,
    )
