"""Agents read the schema: every type, field, argument, enum value and input field of
the public schema has a meaningful description (not empty, not the name repeated)."""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)

from resolvers.supergraph import supergraph_schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}
ROOTS = {"Query", "Mutation", "Subscription"}


def _meaningful(name: str, description: str | None) -> bool:
    if not description or len(description.strip()) < 8:
        return False
    squash = re.sub(r"[^a-z0-9]", "", description.lower())
    return squash != re.sub(r"[^a-z0-9]", "", name.lower())


def _problems() -> list[str]:
    schema = supergraph_schema()._schema
    problems: list[str] = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if name not in ROOTS and not _meaningful(name, type_.description):
            problems.append(f"type {name}")
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in type_.fields.items():
                if not _meaningful(field_name, field.description):
                    problems.append(f"field {name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if not _meaningful(arg_name, arg.description):
                        problems.append(f"argument {name}.{field_name}({arg_name})")
        elif isinstance(type_, GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                if not _meaningful(field_name, field.description):
                    problems.append(f"input field {name}.{field_name}")
        elif isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                if not _meaningful(value_name, value.description):
                    problems.append(f"enum value {name}.{value_name}")
        else:
            assert isinstance(type_, (GraphQLScalarType, GraphQLUnionType)), name
    return problems


def test_every_schema_element_is_described() -> None:
    assert _problems() == []


def test_the_check_catches_a_bare_name() -> None:
    assert not _meaningful("sku", "SKU")
    assert not _meaningful("title", "")
    assert _meaningful("sku", "Stock keeping unit, unique across the catalog.")
