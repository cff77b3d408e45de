"""The supergraph merge fails loudly when subgraphs disagree; it is never first-wins."""

from __future__ import annotations

import pytest
from graphql import build_schema, print_schema

from resolvers.supergraph import SupergraphConflict, _Merger

BASE = """type Query { product(id: ID!): Product }
"The product." type Product { id: ID! title: String }"""


def merge(*sdls: str) -> str:
    return print_schema(_Merger([build_schema(s) for s in sdls]).schema())


def test_agreeing_subgraphs_merge_their_fields() -> None:
    other = """type Query { stock(sku: String!): Int }
    type Product { id: ID! inStock: Boolean }"""
    merged = merge(BASE, other)
    assert "title: String" in merged and "inStock: Boolean" in merged
    assert "stock(sku: String!): Int" in merged


@pytest.mark.parametrize(
    ("other", "names"),
    [
        ("type Query { x: Int } type Product { id: ID! title: Int }", "Product.title"),
        ("type Query { product(id: String!): Product } type Product { id: ID! }", "Query.product"),
        ("type Query { x: Int } input Product { id: ID! }", "Product is defined as"),
        ('type Query { x: Int } "A thing." type Product { id: ID! }', "Product has different"),
    ],
)
def test_a_conflicting_field_or_kind_is_refused(other: str, names: str) -> None:
    with pytest.raises(SupergraphConflict, match=names.replace(".", r"\.")):
        merge(BASE, other)


def test_conflicting_enums_unions_and_inputs_are_refused() -> None:
    with pytest.raises(SupergraphConflict, match="enum Status"):
        merge(
            "type Query { s: Status } enum Status { A B }",
            "type Query { t: Status } enum Status { A }",
        )
    with pytest.raises(SupergraphConflict, match="union Hit"):
        merge(
            "type Query { h: Hit } type A { a: Int } type B { b: Int } union Hit = A | B",
            "type Query { i: Hit } type A { a: Int } type B { b: Int } union Hit = A",
        )
    with pytest.raises(SupergraphConflict, match="input Filter"):
        merge(
            "type Query { q(f: Filter): Int } input Filter { a: Int }",
            "type Query { r(f: Filter): Int } input Filter { a: String }",
        )
