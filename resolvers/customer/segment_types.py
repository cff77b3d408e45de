"""GraphQL types of customer segments: the segment, its rule, and the rule's input form."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from domain.customer import segments as rules
from domain.ids import to_global_id
from resolvers.common import described_enum, record_type_check
from resolvers.context import Info

SegmentFieldEnum = described_enum(
    rules.SegmentField,
    "What a segment rule looks at in a customer's live profile and orders.",
    {
        "RFM_SEGMENT": "The RFM segment (RfmSegment values: CHAMPION, LOYAL, AT_RISK...).",
        "CHURN_RISK": "The churn risk, 0 to 1.",
        "CHURN_RISK_LEVEL": "The churn risk level (LOW, MEDIUM, HIGH).",
        "LIFETIME_VALUE": "Total of the customer's orders not cancelled, in currency units "
        "(e.g. 500.00; at most 2 decimals).",
        "ORDER_COUNT": "Orders placed and not cancelled.",
        "INTERACTION_COUNT": "Interactions in the profile (views, cart changes, visits...).",
        "STORE_VISITS": "Store visits (STORE_VISITED interactions), at any store.",
        "CHANNEL_COUNT": "Distinct channels the customer interacted on.",
        "PREFERRED_CHANNEL": "The channel code used most (e.g. WEB).",
        "LAST_SEEN_CHANNEL": "The channel code of the latest interaction.",
        "PREFERRED_STORE": "The store visited most (a Location global id).",
    },
    name="SegmentField",
)
SegmentOperatorEnum = described_enum(
    rules.Operator,
    "How a condition compares the field with its values.",
    {
        "EQ": "Equal to the one value.",
        "NEQ": "Not equal to the one value (true when the field has no value).",
        "GT": "Greater than the one value (numbers).",
        "GTE": "Greater than or equal to the one value (numbers).",
        "LT": "Less than the one value (numbers).",
        "LTE": "Less than or equal to the one value (numbers).",
        "IN": "One of the values (not numbers).",
        "NOT_IN": "None of the values (not numbers; true when the field has no value).",
    },
    name="SegmentOperator",
)
SegmentMatchEnum = described_enum(
    rules.Match,
    "How a rule combines its conditions and groups.",
    {"ALL": "Every one must hold (AND).", "ANY": "At least one must hold (OR)."},
    name="SegmentMatch",
)
SegmentChangeKind = described_enum(
    rules.Change,
    "What happened to a customer's membership of a segment.",
    {
        "ENTERED": "The customer now matches the rule and joined the segment.",
        "EXITED": "The customer no longer matches the rule and left the segment.",
        "VISITED_STORE": "A member (who stays one) walked into a store: see storeId.",
    },
    name="SegmentChangeKind",
)


@strawberry.type(description="One condition of a segment rule.")
class SegmentCondition:
    field: rules.SegmentField = strawberry.field(description="What is compared.")
    operator: rules.Operator = strawberry.field(
        description="How the field is compared with the values."
    )
    values: list[str] = strawberry.field(
        description="The values compared with (one, or several for IN and NOT_IN)."
    )


def _conditions(docs: list[dict[str, Any]]) -> list[SegmentCondition]:
    return [
        SegmentCondition(
            field=rules.SegmentField(c["field"]),
            operator=rules.Operator(c["operator"]),
            values=list(c["values"]),
        )
        for c in docs
    ]


@strawberry.type(description="A group of conditions inside a rule, combined ALL or ANY.")
class SegmentRuleGroup:
    match: rules.Match = strawberry.field(description="AND (ALL) or OR (ANY).")
    conditions: list[SegmentCondition] = strawberry.field(description="The conditions.")


@strawberry.type(description="A segment rule: conditions and groups of them, ALL or ANY.")
class SegmentRule:
    match: rules.Match = strawberry.field(description="AND (ALL) or OR (ANY).")
    conditions: list[SegmentCondition] = strawberry.field(description="The conditions.")
    groups: list[SegmentRuleGroup] = strawberry.field(
        description="Groups, each one more condition of this rule (one level deep)."
    )


def rule_view(doc: dict[str, Any]) -> SegmentRule:
    """The stored JSON form, as GraphQL shows it."""
    return SegmentRule(
        match=rules.Match(doc["match"]),
        conditions=_conditions(doc["conditions"]),
        groups=[
            SegmentRuleGroup(match=rules.Match(g["match"]), conditions=_conditions(g["conditions"]))
            for g in doc["groups"]
        ],
    )


@strawberry.input(description="One condition: field, operator and the values compared with.")
class SegmentConditionInput:
    field: rules.SegmentField = strawberry.field(description="What is compared.")
    operator: rules.Operator = strawberry.field(
        description="How the field is compared with the values."
    )
    values: list[str] = strawberry.field(
        description="One value (EQ, NEQ, GT, GTE, LT, LTE) or up to 50 (IN, NOT_IN), as text: "
        "numbers like 0.6 or 500.00, enum values like CHAMPION, channel codes, Location ids."
    )


def _conditions_json(conditions: list[SegmentConditionInput]) -> list[dict[str, Any]]:
    return [
        {"field": c.field.value, "operator": c.operator.value, "values": list(c.values)}
        for c in conditions
    ]


@strawberry.input(description="A group of conditions inside a rule, combined ALL or ANY.")
class SegmentRuleGroupInput:
    match: rules.Match = strawberry.field(
        default=rules.Match.ALL, description="AND (ALL, the default) or OR (ANY)."
    )
    conditions: list[SegmentConditionInput] = strawberry.field(
        description="At least one condition."
    )


@strawberry.input(description="A rule: at least one condition or group, combined ALL or ANY.")
class SegmentRuleInput:
    match: rules.Match = strawberry.field(
        default=rules.Match.ALL, description="AND (ALL, the default) or OR (ANY)."
    )
    conditions: list[SegmentConditionInput] = strawberry.field(
        default_factory=list, description="Conditions (at most 20 in the whole rule)."
    )
    groups: list[SegmentRuleGroupInput] = strawberry.field(
        default_factory=list,
        description="Groups, e.g. (A OR B) as one condition of an ALL rule (one level deep).",
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "match": rules.Match(self.match).value,
            "conditions": _conditions_json(self.conditions),
            "groups": [
                {"match": rules.Match(g.match).value, "conditions": _conditions_json(g.conditions)}
                for g in self.groups
            ],
        }


@strawberry.type(
    description="A group of customers defined by staff as a rule over the live profile "
    "(e.g. VIP: RFM segment CHAMPION or lifetime value of 500.00 or more). Membership "
    "follows every profile change within moments, each entry and exit an event."
)
class Segment:
    is_type_of = record_type_check(rules.Segment)

    @strawberry.field(description="Opaque global id of the segment.")  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Segment", self.id))

    name: str = strawberry.field(description="Unique name, e.g. VIP.")
    description: str = strawberry.field(description="What the segment is for; may be empty.")

    @strawberry.field(description="The rule customers must match.")
    def rule(self) -> SegmentRule:
        return rule_view(rules.rule_to_json(self.rule))  # self is a record

    @strawberry.field(description="How many customers are in the segment now.")
    async def member_count(self, info: Info) -> int:
        return await info.context.loaders.MemberCountBySegmentIdLoader.load(self.id)

    created_at: datetime = strawberry.field(description="When it was defined.")
    updated_at: datetime = strawberry.field(description="When it was last changed.")


async def segments_of(info: Info, customer_id: uuid.UUID) -> list[rules.Segment]:
    """The segments a customer is in now, by name."""
    loaders = info.context.loaders
    ids = await loaders.SegmentIdsByCustomerIdLoader.load(customer_id)
    found = await loaders.SegmentByIdLoader.load_many(ids)
    return [s for s in found if s is not None]
