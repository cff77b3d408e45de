"""GraphQL enums of the customer subgraph, built from the domain's, each value described."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from domain.customer import loyalty
from domain.customer.identity import IdentityKind as DomainIdentityKind


def described_enum(source: type[Enum], name: str, description: str, values: dict[str, str]) -> Any:
    return strawberry.enum(  # type: ignore[call-overload]  # a functional Enum
        Enum(
            name,
            {m.name: strawberry.enum_value(m.value, description=values[m.name]) for m in source},
        ),
        description=description,
    )


IdentityKind = described_enum(
    DomainIdentityKind,
    "CustomerIdentityKind",
    "Kinds of identifiers a customer is known by.",
    {
        "EMAIL": "An email address (lower-cased).",
        "PHONE": "A phone number in E.164 form, e.g. +442079460958.",
        "LOYALTY_CARD": "A loyalty card number (upper-cased).",
        "DEVICE": "A device or app-install id.",
        "EXTERNAL": "An id in another system, named by sourceSystem.",
    },
)
LoyaltyTier = described_enum(
    loyalty.LoyaltyTier,
    "LoyaltyTier",
    "Loyalty tier, from lifetime earned points.",
    {
        "BASE": "Below 1,000 lifetime points; earns 1x.",
        "SILVER": "From 1,000 lifetime points; earns 1.25x.",
        "GOLD": "From 5,000 lifetime points; earns 1.5x.",
        "PLATINUM": "From 20,000 lifetime points; earns 2x.",
    },
)
LedgerKind = described_enum(
    loyalty.LedgerKind,
    "LoyaltyLedgerKind",
    "Kinds of loyalty ledger entries.",
    {
        "EARN": "Points earned by an order.",
        "REDEEM": "Points spent.",
        "EXPIRE": "Points that lapsed.",
        "ADJUST": "A manual correction by staff (either sign).",
    },
)
