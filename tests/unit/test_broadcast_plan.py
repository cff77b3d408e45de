"""Which subscribe messages the shared stockChanged fan-out takes (api/broadcast.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from api.broadcast import plan
from domain.auth import Principal, PrincipalKind, Role
from resolvers.supergraph import supergraph_schema

SCHEMA = supergraph_schema()._schema
STOCK = "subscription($s: [String!]) { stockChanged(skus: $s) { sku available onHand } }"


@dataclass
class Ctx:
    principal: Principal | None = None
    events: Any = object()


def _plan(query: str, variables: dict[str, Any] | None = None, ctx: Ctx | None = None) -> Any:
    return plan(SCHEMA, {"query": query, "variables": variables}, ctx or Ctx())


def test_same_question_same_group_and_the_viewer_class_splits_groups() -> None:
    a = _plan(STOCK, {"s": ["A", "B"]})
    b = _plan(STOCK, {"s": ["A", "B"]})
    staff = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.ADMIN}))
    c = _plan(STOCK, {"s": ["A", "B"]}, Ctx(principal=staff))
    other = _plan(STOCK, {"s": ["A"]})
    assert a is not None and a.skus == ("A", "B") and a.locations is None
    assert a.group_key == b.group_key
    assert c is not None and c.group_key != a.group_key
    assert other is not None and other.group_key != a.group_key


def test_location_ids_are_decoded_and_bad_input_takes_the_ordinary_path() -> None:
    location = uuid.uuid4()
    query = "subscription($l: [ID!]) { stockChanged(locationIds: $l) { sku } }"
    shared = _plan(query, {"l": [f"gid://ucg/Location/{location}"]})
    assert shared is not None and shared.locations == frozenset({str(location)})
    assert shared.skus is None
    assert _plan(query, {"l": ["not-an-id"]}) is None  # the ordinary path reports INVALID_ID
    assert _plan(STOCK, {"s": []}) is None  # 1 to 250 skus: reported by the ordinary path


def test_other_operations_take_the_ordinary_path() -> None:
    order = 'subscription { orderStatusChanged(orderId: "x") { status } }'
    assert _plan(order) is None
    assert _plan("{ __typename }") is None
    assert _plan("subscription { stockChanged { nope } }") is None  # invalid: errors reported
    assert _plan("subscription { stockChanged { sku } ") is None  # syntax error
    assert _plan(STOCK, {"s": ["A"]}, Ctx(events=None)) is None  # live updates off


@dataclass
class Limits:
    max_query_cost: int = 5000
    introspection: bool = True


@dataclass
class LimitedCtx(Ctx):
    settings: Limits | None = None


async def test_a_shared_subscription_passes_the_cost_limit_like_the_ordinary_path() -> None:
    from api.broadcast import admitted

    within = LimitedCtx(settings=Limits())
    over = LimitedCtx(settings=Limits(max_query_cost=0))
    shared = _plan(STOCK, {"s": ["A"]}, within)
    assert shared is not None
    # No Redis on these contexts: the rate limit is off, only the static checks run.
    assert await admitted(SCHEMA, shared, within) is True
    assert await admitted(SCHEMA, shared, over) is False
    assert await admitted(SCHEMA, shared, LimitedCtx(settings=Limits(introspection=False)))
