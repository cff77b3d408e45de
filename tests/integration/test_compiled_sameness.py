"""Proof of sameness for the compiled execution path (resolvers/compiled, issue 19).

Every query document found in the test suite's sources (string literals that parse as
GraphQL query operations; variables filled from the demo seed data), plus hypothesis-
graphql generated queries over schema.graphql, runs over HTTP through two apps on the same
seeded database: one with compiled execution off, one compiling every document at once.
Status code, `data`, `errors` (message, path, locations, extensions) and `extensions`
must be identical, anonymous and as staff; and the compiled path must really have
answered most of them (not only fallen back).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    TypeNode,
    build_schema,
    is_required_argument,
    parse,
    print_schema,
)
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries as query_strategy

from datasources.postgres.seed import seed_demo
from domain.ids import to_global_id
from resolvers.compiled import PLANS
from tests.conftest import TestEnv
from tests.helpers import app_client, staff_token

ROOT = Path(__file__).parents[2]
SCHEMA = (ROOT / "schema.graphql").read_text()
GENERATED = int(os.environ.get("UCG_COMPILED_EXAMPLES", "300"))


def suite_documents() -> list[str]:
    """Query documents the test suite sends: string constants in tests/ that parse as
    documents whose operations are all queries."""
    found: dict[str, None] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value
            if "{" not in text:
                continue
            try:
                document = parse(text)
            except GraphQLError:
                continue
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if operations and all(o.operation == OperationType.QUERY for o in operations):
                if len(operations) == 1:
                    found[text] = None
    return list(found)


def _without_optional_arguments(sdl: str) -> str:
    """schema.graphql with every field's arguments dropped where none is required, so the
    generated queries use server defaults (valid pages) instead of random ids and sizes
    that mostly end in errors (which the compiled path hands to the normal one)."""
    schema = build_schema(sdl)
    for type_ in schema.type_map.values():
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            for field in type_.fields.values():
                if not any(is_required_argument(a) for a in field.args.values()):
                    field.args = {}
    return print_schema(schema)


PAGE_FIELDS = ("products", "channels", "locations", "orders", "me")


def generated_documents(sdl: str = SCHEMA, fields: tuple[str, ...] | None = None) -> list[str]:
    collected: list[str] = []

    @settings(
        max_examples=GENERATED,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(query_strategy(sdl, fields=fields))
    def collect(query: object) -> None:
        collected.append(str(query))

    collect()
    return collected


def _named(type_: TypeNode) -> tuple[str, bool]:
    if isinstance(type_, NonNullTypeNode):
        return _named(type_.type)
    if isinstance(type_, ListTypeNode):
        return _named(type_.type)[0], True
    assert isinstance(type_, NamedTypeNode)
    return type_.name.value, False


def variables_for(text: str, seed: dict[str, Any]) -> dict[str, Any]:
    """Plausible variable values from the seed data (unknown input types are left out)."""
    operation = next(d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode))
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_name, is_list = _named(definition.type)
        lowered = name.lower()
        value: Any
        if type_name == "ID":
            value = seed["variant_id"] if "variant" in lowered else seed["product_id"]
        elif type_name == "Int":
            value = 3
        elif type_name == "Boolean":
            value = True
        elif type_name == "String":
            if "sku" in lowered:
                value = seed["sku"]
            elif "handle" in lowered:
                value = seed["handle"]
            elif "location" in lowered:
                value = "WH-1"
            else:
                value = "shirt"
        else:
            continue
        values[name] = [value] if is_list else value
    return values


async def _seed(env: TestEnv) -> dict[str, Any]:
    await seed_demo(env.database_url)
    import asyncpg

    conn = await asyncpg.connect(env.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT p.id AS pid, p.handle, v.id AS vid, v.sku FROM products p "
            "JOIN variants v ON v.product_id = p.id ORDER BY p.handle, v.sku LIMIT 1"
        )
    finally:
        await conn.close()
    assert row is not None
    return {
        "product_id": to_global_id("Product", row["pid"]),
        "variant_id": to_global_id("ProductVariant", row["vid"]),
        "handle": row["handle"],
        "sku": row["sku"],
    }


def _answer(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    # The leaky bucket refills with wall time (restoreRate per second), so what is left in
    # it depends on when the request ran, not on the path: compare it only as a number.
    throttle = ((body.get("extensions") or {}).get("cost") or {}).get("throttleStatus")
    if throttle is not None:
        assert isinstance(throttle.pop("currentlyAvailable"), (int, float))
    return response.status_code, {
        "data": _steady(body.get("data")),
        "errors": body.get("errors"),
        "extensions": body.get("extensions"),
    }


# Fields whose value is computed from the clock at the moment of the request (a window
# "the last N days, since now - N"), so two runs differ by the time between them.
# The only one in schema.graphql: IdentityMatchRate.since.
_CLOCK_NAMES = {"since"}


def _steady(value: Any) -> Any:
    """The answer with clock-derived timestamps replaced by a marker (compared as present)."""
    if isinstance(value, dict):
        return {
            k: ("<clock>" if k in _CLOCK_NAMES and isinstance(v, str) else _steady(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_steady(v) for v in value]
    return value


async def _differential(
    env: TestEnv, requests: list[tuple[str, dict[str, Any]]], headers: dict[str, str]
) -> tuple[int, int]:
    """Run every request through both apps; returns (requests, compiled answers)."""
    normal = env.settings(compiled_execution=False, cache_key_prefix=f"ucg:{env.prefix}n")
    compiled = env.settings(
        compiled_execution=True, compiled_after=1, cache_key_prefix=f"ucg:{env.prefix}c"
    )
    PLANS.clear()
    async with app_client(normal) as plain, app_client(compiled) as fast:
        auth = {
            key: value.replace("{staff}", staff_token(normal)) for key, value in headers.items()
        }
        for query, variables in requests:
            payload = {"query": query, "variables": variables}
            expected = _answer(await plain.post("/graphql", json=payload, headers=auth))
            actual = _answer(await fast.post("/graphql", json=payload, headers=auth))
            assert actual == expected, (query, variables)
    return len(requests), PLANS.answered


async def test_suite_documents_answer_the_same_on_both_paths(env: TestEnv) -> None:
    seed = await _seed(env)
    documents = suite_documents()
    assert len(documents) >= 30, len(documents)
    requests = [(d, variables_for(d, seed)) for d in documents]
    for headers in ({}, {"Authorization": "Bearer {staff}"}):
        sent, answered = await _differential(env, requests, headers)
        # Most suite documents run compiled (the rest: errors, introspection, refusals).
        print(f"suite documents: {sent} sent, {answered} answered by the compiled path")
        assert answered >= sent // 3, (answered, sent)


async def test_generated_queries_answer_the_same_on_both_paths(env: TestEnv) -> None:
    await _seed(env)
    queries = generated_documents() + generated_documents(
        _without_optional_arguments(SCHEMA), PAGE_FIELDS
    )
    assert len(queries) >= GENERATED
    requests = [(q, {}) for q in queries]
    sent, answered = await _differential(env, requests, {"Authorization": "Bearer {staff}"})
    print(f"generated: {sent} sent, {answered} answered by the compiled path")
    assert answered >= sent // 5, (answered, sent)
