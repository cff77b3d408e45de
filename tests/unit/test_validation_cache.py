"""Validation is cached by query text (issue 23: it was redone on every request)."""

from __future__ import annotations

import strawberry

from resolvers import validation_cache
from resolvers.subgraphs import DepthLimiter
from resolvers.validation_cache import QueryTextValidationCache


@strawberry.type
class Node:
    @strawberry.field(description="The next node.")
    def next(self) -> Node:
        return Node()

    @strawberry.field(description="A value.")
    def value(self) -> int:
        return 1


@strawberry.type
class Query:
    @strawberry.field(description="The first node.")
    def node(self) -> Node:
        return Node()


SCHEMA = strawberry.Schema(
    Query,
    extensions=[lambda: DepthLimiter(max_depth=3), lambda: QueryTextValidationCache(maxsize=2)],
)


def test_depth_rule_is_one_class_per_depth_so_the_cache_key_matches() -> None:
    assert DepthLimiter(12).validation_rules == DepthLimiter(12).validation_rules
    assert DepthLimiter(12).validation_rules != DepthLimiter(3).validation_rules


def test_same_text_validated_once_and_errors_kept() -> None:
    validation_cache._RESULTS.clear()
    for _ in range(3):
        assert SCHEMA.execute_sync("{ node { value } }").data == {"node": {"value": 1}}
    assert len(validation_cache._RESULTS) == 1
    deep = "{ node { next { next { next { value } } } } }"
    for _ in range(2):  # the cached errors refuse it again
        result = SCHEMA.execute_sync(deep)
        assert result.errors and "exceeds maximum operation depth" in result.errors[0].message
    unknown = "{ node { nope } }"
    assert SCHEMA.execute_sync(unknown).errors
    assert len(validation_cache._RESULTS) == 2  # bounded: the oldest went first
    assert not any(key[1] == "{ node { value } }" for key in validation_cache._RESULTS)
