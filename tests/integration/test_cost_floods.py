"""Alias floods, introspection and list arguments are priced, so they are refused
before they run."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.helpers import graphql

SKUS = [f"S-{n}" for n in range(250)]


@pytest.mark.parametrize(
    "field",
    [
        "__schema { types { name fields { name } } }",
        "availability(skus: $skus) { sku }",
        "products(first: 250) { __typename }",
        "products(first: 250) { edges { node { id } } }",
    ],
)
async def test_alias_floods_are_refused_before_execution(
    client: httpx.AsyncClient, field: str
) -> None:
    count = 200 if field.startswith("__schema") else 1000
    uses = "$skus" in field
    query = ("query($skus: [String!]!) " if uses else "") + "{ "
    query += " ".join(f"a{n}: {field}" for n in range(count)) + " }"
    started = time.monotonic()
    body = await graphql(client, query, {"skus": SKUS} if uses else None)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["MAX_COST_EXCEEDED"], body
    assert time.monotonic() - started < 5.0  # executing them took over a second each


async def test_one_introspection_query_and_a_list_argument_are_priced(
    client: httpx.AsyncClient,
) -> None:
    one = await graphql(client, "{ __schema { queryType { name } } }")
    assert "errors" not in one and one["extensions"]["cost"]["requestedQueryCost"] == 100
    typed = await graphql(client, '{ __type(name: "Product") { name } }')
    assert typed["extensions"]["cost"]["requestedQueryCost"] == 10
    listed = await graphql(client, '{ availability(skus: ["A", "B", "C"]) { sku } }')
    assert listed["extensions"]["cost"]["requestedQueryCost"] == 1 + 3 * 1
