"""Customer.profile: the live profile the interactions consumer keeps, read per customer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import strawberry

from domain.customer.profile import (
    ChurnRisk,
    ProfileState,
    RfmSegment,
    affinities_now,
    churn_risk,
    preferred,
    rfm,
)
from domain.ids import to_global_id
from resolvers.common import described_enum
from resolvers.context import Info

RfmSegmentEnum = described_enum(
    RfmSegment,
    "Where the customer stands by recency, frequency and monetary value of their orders.",
    {
        "PROSPECT": "No order yet.",
        "NEW": "One recent order.",
        "CHAMPION": "Buys often, recently and for a lot.",
        "LOYAL": "Buys regularly.",
        "PROMISING": "Recent but not yet frequent.",
        "AT_RISK": "Used to buy, not lately.",
        "LAPSED": "No order for half a year or more.",
    },
    name="RfmSegment",
)
ChurnRiskEnum = described_enum(
    ChurnRisk,
    "How likely the customer is to stop buying.",
    {
        "LOW": "On their usual rhythm.",
        "MEDIUM": "Overdue for their next order.",
        "HIGH": "Long overdue; likely lost without action.",
    },
    name="ChurnRiskLevel",
)


def _text_gid(kind: str, text: str) -> strawberry.ID:
    """The global id of a uuid the profile keeps as text (its JSON state)."""
    return strawberry.ID(to_global_id(kind, text))  # type: ignore[arg-type]  # same text


@strawberry.type(
    description="One key (category or brand) and how strongly the shopper leans to it."
)
class Affinity:
    key: str = strawberry.field(description="The category (product type) or brand (vendor).")
    score: float = strawberry.field(
        description="Weighted interactions, decayed with a 14-day half-life to now."
    )


@strawberry.type(description="Recency, frequency and monetary scores (1-5, 0 without orders).")
class RfmScore:
    recency: int = strawberry.field(description="5: ordered this week .. 1: half a year ago.")
    frequency: int = strawberry.field(description="5: ten orders or more .. 1: one.")
    monetary: int = strawberry.field(description="5: 1,000.00 or more spent .. 1: under 50.00.")
    segment: RfmSegment = strawberry.field(description="The segment the scores put them in.")


@strawberry.type(description="How often the shopper used one channel.")
class ChannelUse:
    channel: str = strawberry.field(description="Channel code.")
    interactions: int = strawberry.field(description="Interactions on that channel.")


@strawberry.type(
    description="The live Customer 360 profile: what the shopper did on every channel "
    "(kept by the interactions consumer within moments) and what their orders say."
)
class CustomerProfile:
    state: strawberry.Private[ProfileState]
    now: strawberry.Private[datetime]

    @strawberry.field(description="Products viewed most recently first (at most 20), global ids.")
    def recently_viewed_product_ids(self) -> list[strawberry.ID]:
        return [_text_gid("Product", p) for p in self.state.recently_viewed]

    @strawberry.field(description="Category (product type) affinities, strongest first.")
    def category_affinities(
        self,
        first: Annotated[int, strawberry.argument(description="How many (at most 50).")] = 10,
    ) -> list[Affinity]:
        scores = affinities_now(self.state.categories, self.state.affinity_as_of, self.now)
        return [Affinity(key=k, score=round(v, 4)) for k, v in scores[: max(0, min(first, 50))]]

    @strawberry.field(description="Brand (vendor) affinities, strongest first.")
    def brand_affinities(
        self,
        first: Annotated[int, strawberry.argument(description="How many (at most 50).")] = 10,
    ) -> list[Affinity]:
        scores = affinities_now(self.state.brands, self.state.affinity_as_of, self.now)
        return [Affinity(key=k, score=round(v, 4)) for k, v in scores[: max(0, min(first, 50))]]

    rfm: RfmScore = strawberry.field(description="RFM scores and segment, from the orders.")
    churn_risk: float = strawberry.field(description="Churn risk from 0 (none) to 1.")
    churn_risk_level: ChurnRisk = strawberry.field(description="Churn risk as a level.")

    @strawberry.field(description="The channel the shopper interacts on most.")
    def preferred_channel(self) -> str | None:
        return preferred(self.state.channels)

    @strawberry.field(description="The store (Location global id) the shopper visits most.")
    def preferred_store_id(self) -> strawberry.ID | None:
        store = preferred(self.state.stores)
        return _text_gid("Location", store) if store else None

    @strawberry.field(description="Interactions per channel, most used first.")
    def channels(self) -> list[ChannelUse]:
        counts = self.state.channels
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [ChannelUse(channel=k, interactions=v) for k, v in ordered]

    @strawberry.field(description="The channel of the shopper's latest interaction.")
    def last_seen_channel(self) -> str | None:
        return self.state.last_seen_channel

    @strawberry.field(description="When the shopper's latest interaction happened.")
    def last_seen_at(self) -> datetime | None:
        return self.state.last_seen_at

    @strawberry.field(description="Interactions folded into the profile (stitched ones included).")
    def interaction_count(self) -> int:
        return self.state.interactions


async def load_profile(info: Info, customer_id: uuid.UUID) -> CustomerProfile:
    loaders = info.context.loaders
    state = await loaders.ProfileByCustomerIdLoader.load(customer_id) or ProfileState()
    history = await loaders.OrderHistoryByCustomerIdLoader.load(customer_id)
    now = datetime.now(UTC)
    score = rfm(history, now)
    risk, level = churn_risk(history, state.last_seen_at, now)
    return CustomerProfile(
        state=state,
        rfm=RfmScore(
            recency=score.recency,
            frequency=score.frequency,
            monetary=score.monetary,
            segment=score.segment,
        ),
        churn_risk=risk,
        churn_risk_level=level,
        now=now,
    )
