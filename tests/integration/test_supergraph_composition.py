"""The in-process supergraph is the API schema Apollo's composition makes of the five SDLs:
same types, fields, arguments and descriptions (resolvers/supergraph.py merges them itself)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
)

from resolvers.subgraphs import SUBGRAPH_NAMES, subgraph_schema
from resolvers.supergraph import supergraph_sdl
from tests.conftest import ROOT

HARNESS = ROOT / "tests" / "federation"
# Served by the supergraph only (Relay's node interface over every subgraph's types):
# no subgraph owns them, so Apollo's API schema cannot have them.
SUPERGRAPH_ONLY = {"Query.node", "Query.nodes"}


def shape(schema: GraphQLSchema) -> dict[str, Any]:
    """Every named type's kind, description, and members with their types and descriptions."""
    out: dict[str, Any] = {}
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        entry: dict[str, Any] = {"kind": type(type_).__name__, "description": type_.description}
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in type_.fields.items():
                args = getattr(field, "args", {})
                entry[f"{name}.{field_name}"] = (
                    str(field.type),
                    field.description,
                    sorted((a, str(arg.type), arg.description) for a, arg in args.items()),
                )
        if isinstance(type_, GraphQLEnumType):
            entry["values"] = sorted((v, e.description) for v, e in type_.values.items())
        if isinstance(type_, GraphQLUnionType):
            entry["members"] = sorted(t.name for t in type_.types)
        out[name] = entry
    return out


def test_supergraph_equals_apollos_api_schema(tmp_path: Path) -> None:
    assert (HARNESS / "node_modules").is_dir(), "run scripts/install (npm ci in tests/federation)"
    args = []
    for name in SUBGRAPH_NAMES:
        path = tmp_path / f"{name}.graphql"
        path.write_text(subgraph_schema(name).as_str())
        args.append(f"{name}={path}")
    result = subprocess.run(
        ["node", "compose.mjs", *args], cwd=HARNESS, capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    apollo = shape(build_schema(report["apiSchemaSdl"]))
    ours = shape(build_schema(supergraph_sdl()))
    assert len(apollo) > 50 and "Query.products" in apollo["Query"]  # not vacuous
    for entry in ours.values():
        for key in [k for k in entry if k in SUPERGRAPH_ONLY]:
            del entry[key]
    extra_types = sorted(set(ours) - set(apollo))
    missing_types = sorted(set(apollo) - set(ours))
    differing = {
        name: {
            k: (ours[name].get(k), apollo[name].get(k))
            for k in set(ours[name]) | set(apollo[name])
            if ours[name].get(k) != apollo[name].get(k)
        }
        for name in set(ours) & set(apollo)
        if ours[name] != apollo[name]
    }
    assert (extra_types, missing_types, differing) == ([], [], {})
