"""The compiled execution path on a small in-memory schema (no I/O): same results as
graphql-core's executor, errors re-run on the normal path, unsupported operations refused."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import strawberry

from resolvers.compiled import PLANS
from resolvers.compiled.execution import CompiledExecutionContext


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Item(Named):
    size: int

    @strawberry.field
    async def double(self, times: int = 2) -> int:
        await asyncio.sleep(0)
        return self.size * times

    @strawberry.field
    def broken(self) -> int:
        raise ValueError("broken on purpose")


@strawberry.type
class Box(Named):
    items: list[Item]


@strawberry.type
class Query:
    @strawberry.field
    def boxes(self) -> list[Box]:
        return [
            Box(name=f"b{i}", items=[Item(name=f"i{j}", size=j) for j in range(3)])
            for i in range(2)
        ]

    @strawberry.field
    def things(self) -> list[Named]:
        return [Item(name="x", size=1), Box(name="y", items=[])]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> int:
        return 1


SCHEMA = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    types=[Item, Box],
    execution_context_class=CompiledExecutionContext,
)


def run(query: str, compiled: bool, **variables: Any) -> Any:
    context = SimpleNamespace(
        settings=SimpleNamespace(compiled_execution=compiled, compiled_after=1)
    )
    result = asyncio.run(SCHEMA.execute(query, variable_values=variables, context_value=context))
    errors = [(e.message, e.path, e.locations) for e in result.errors or []]
    return result.data, errors


def both(query: str, **variables: Any) -> tuple[Any, int, int]:
    PLANS.clear()
    expected = run(query, False, **variables)
    actual = run(query, True, **variables)
    assert actual == expected
    return actual, PLANS.answered, PLANS.fell_back


QUERY = """query($deep: Boolean!, $t: Int) { boxes { __typename name
  items { name size @skip(if: $deep) double(times: $t) ...F @include(if: $deep) } } }
  fragment F on Item { n: name }"""


def test_a_query_runs_compiled_with_the_same_data() -> None:
    for deep in (True, False):
        (data, errors), answered, fell_back = both(QUERY, deep=deep, t=3)
        assert errors == [] and (answered, fell_back) == (1, 0)
        item = data["boxes"][1]["items"][2]
        assert item["double"] == 6
        assert ("n" in item) is deep and ("size" in item) is not deep


def test_abstract_types_resolve_by_their_runtime_type() -> None:
    query = "{ things { __typename name ... on Item { size } ... on Box { items { name } } } }"
    (data, errors), answered, _ = both(query)
    assert answered == 1 and errors == []
    assert data["things"] == [
        {"__typename": "Item", "name": "x", "size": 1},
        {"__typename": "Box", "name": "y", "items": []},
    ]


def test_an_error_re_runs_on_the_normal_path_with_the_same_errors() -> None:
    (data, errors), answered, fell_back = both("{ boxes { items { size broken } } }")
    assert (answered, fell_back) == (0, 1)
    assert errors[0][0] == "broken on purpose" and errors[0][1] == [
        "boxes",
        0,
        "items",
        0,
        "broken",
    ]
    assert data is None  # non-null propagation up to the root, as graphql-core does it


def test_mutations_and_introspection_are_not_compiled() -> None:
    for query in ("mutation { touch }", "{ __schema { queryType { name } } }"):
        _, answered, fell_back = both(query)
        assert (answered, fell_back) == (0, 0)
    assert list(PLANS.plans.values()) == [None]  # introspection: refused at compile time


def test_off_never_compiles() -> None:
    PLANS.clear()
    run("{ boxes { name } }", False)
    assert PLANS.answered == 0 and PLANS.plans == {}


@strawberry.type
class OtherQuery:
    @strawberry.field
    def boxes(self) -> list[Item]:
        return [Item(name="other", size=9)]


OTHER = strawberry.Schema(query=OtherQuery, execution_context_class=CompiledExecutionContext)


def test_plans_are_per_schema() -> None:
    """The same text runs against the supergraph and every subgraph: one plan each."""
    PLANS.clear()
    context = SimpleNamespace(settings=SimpleNamespace(compiled_execution=True, compiled_after=1))
    query = "{ boxes { name } }"
    first = asyncio.run(SCHEMA.execute(query, context_value=context))
    other = asyncio.run(OTHER.execute(query, context_value=context))
    assert first.data == {"boxes": [{"name": "b0"}, {"name": "b1"}]}
    assert other.data == {"boxes": [{"name": "other"}]}
    assert PLANS.answered == 2 and len(PLANS.plans) == 2
