"""The cart subgraph composes with the other four under Apollo Federation 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from resolvers.subgraphs import SUBGRAPH_NAMES, subgraph_schema

ROOT = Path(__file__).resolve().parents[2]


def test_five_subgraphs_compose_with_the_cart_mutations(tmp_path: Path) -> None:
    specs = []
    for name in SUBGRAPH_NAMES:
        path = tmp_path / f"{name}.graphql"
        path.write_text(subgraph_schema(name).as_str())
        specs.append(f"{name}={path}")
    result = subprocess.run(
        ["node", str(ROOT / "tests/federation/compose.mjs"), *specs],
        capture_output=True,
        text=True,
        timeout=60,
    )
    composed = json.loads(result.stdout)
    assert composed["errors"] == [], composed["errors"]
    sdl = composed["supergraphSdl"]
    assert "cartBuyerIdentityUpdate" in sdl and "activeCart" in sdl
