"""Malformed or foreign `_entities` representations get INVALID_REPRESENTATION, not a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import graphql

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"


@pytest.mark.parametrize(
    ("subgraph", "representation"),
    [
        ("customer", {"__typename": "Nope", "id": "x"}),
        ("customer", {"id": "x"}),
        ("customer", {"__typename": "Customer", "id": 5}),
        ("customer", {"__typename": "Customer", "id": None}),
        ("customer", {"__typename": "Customer"}),
        ("customer", {"__typename": "Product", "id": "x"}),
        ("customer", {"__typename": "CustomerInput", "id": "x"}),
        ("catalog", {"__typename": "ProductVariant", "sku": 7}),
        ("inventory", {"__typename": "ProductVariant", "id": "x"}),
        ("cart", {"__typename": "Channel", "id": "x"}),
        ("order", {"__typename": ["Order"], "id": "x"}),
        ("order", "Order"),
    ],
)
async def test_bad_representation_is_a_coded_error(
    client: httpx.AsyncClient, subgraph: str, representation: Any
) -> None:
    body = await graphql(
        client, ENTITIES, {"r": [representation]}, path=f"/subgraphs/{subgraph}/graphql"
    )
    codes = [e["extensions"]["code"] for e in body["errors"]]
    assert codes == ["INVALID_REPRESENTATION"], body
    assert body["errors"][0]["path"] == ["_entities", 0]


async def test_good_representations_still_resolve_next_to_a_bad_one(
    client: httpx.AsyncClient,
) -> None:
    body = await graphql(
        client,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { sku } } }",
        {"r": [{"__typename": "Nope"}, {"__typename": "ProductVariant", "sku": "S-1", "x": 1}]},
        path="/subgraphs/inventory/graphql",
    )
    assert body["data"]["_entities"] == [None, {"sku": "S-1"}], body
    assert [e["path"] for e in body["errors"]] == [["_entities", 0]]
