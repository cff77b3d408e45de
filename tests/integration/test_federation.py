"""The five subgraphs compose with Apollo's composition library, and an Apollo Gateway
over them answers exactly what the in-process supergraph answers."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from resolvers.subgraphs import SUBGRAPH_NAMES
from resolvers.supergraph import supergraph_sdl
from tests.conftest import ROOT
from tests.helpers import graphql

HARNESS = ROOT / "tests" / "federation"


def _node(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    assert (HARNESS / "node_modules").is_dir(), "run scripts/install (npm ci in tests/federation)"
    return subprocess.run(
        ["node", *args], cwd=HARNESS, capture_output=True, text=True, timeout=timeout, check=False
    )


async def test_subgraphs_compose_without_errors_or_hints(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    args = []
    for name in SUBGRAPH_NAMES:
        body = await graphql(client, "{ _service { sdl } }", path=f"/subgraphs/{name}/graphql")
        sdl = body["data"]["_service"]["sdl"]
        assert "@link" in sdl and "federation/v2" in sdl, name
        path = tmp_path / f"{name}.graphql"
        path.write_text(sdl)
        args.append(f"{name}={path}")
    result = _node("compose.mjs", *args)
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    assert report["hints"] == [], report["hints"]
    assert result.returncode == 0
    supergraph = report["supergraphSdl"]
    for type_name in ("Product", "ProductVariant", "Customer", "Location", "Cart", "Order"):
        assert f"type {type_name}" in supergraph


def test_checked_in_schema_matches_the_code() -> None:
    checked_in = (ROOT / "schema.graphql").read_text()
    assert checked_in == supergraph_sdl(), "run: ucg export-schema -o schema.graphql"


SPANNING_QUERY = """
query($handle: String!) {
  product(handle: $handle) {
    id title status
    variants { id sku title availability stockLevels { onHand available location { code kind } } }
  }
  locations { id code name }
}"""


async def test_gateway_and_supergraph_give_the_same_json(
    serve: Any, db: asyncpg.Connection[Any]
) -> None:
    product_id = await db.fetchval(
        "INSERT INTO products (handle, title, status) VALUES ('tee', 'Tee', 'ACTIVE') RETURNING id"
    )
    await db.execute(
        "INSERT INTO variants (product_id, sku, title, position) "
        "VALUES ($1, 'TEE-S', 'S', 0), ($1, 'TEE-M', 'M', 1)",
        product_id,
    )
    location_id = await db.fetchval(
        "INSERT INTO locations (code, name, kind, latitude, longitude) "
        "VALUES ('ST-1', 'Store one', 'STORE', 52.37, 4.89) RETURNING id"
    )
    await db.execute(
        "INSERT INTO stock_levels (sku, location_id, on_hand, reserved, safety_stock) "
        "VALUES ('TEE-S', $1, 10, 3, 1), ('TEE-M', $1, 2, 0, 0)",
        location_id,
    )
    server = serve()
    gateway = await asyncio.create_subprocess_exec(
        "node",
        "gateway.mjs",
        "0",
        *(f"{n}={server.url}/subgraphs/{n}/graphql" for n in SUBGRAPH_NAMES),
        cwd=HARNESS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert gateway.stdout is not None and gateway.stderr is not None
        async with asyncio.timeout(30):
            line = (await gateway.stdout.readline()).decode()
        if not line.startswith("READY"):
            raise AssertionError((await gateway.stderr.read()).decode())
        port = int(line.split()[1])
        payload = {"query": SPANNING_QUERY, "variables": {"handle": "tee"}}
        async with httpx.AsyncClient(timeout=20) as http:
            via_gateway = (await http.post(f"http://127.0.0.1:{port}/graphql", json=payload)).json()
            direct = (await http.post(f"{server.url}/graphql", json=payload)).json()
    finally:
        gateway.terminate()
        await gateway.wait()
    assert "errors" not in direct, direct
    assert "errors" not in via_gateway, via_gateway
    assert via_gateway["data"] == direct["data"]
    variants = direct["data"]["product"]["variants"]
    assert [(v["sku"], v["availability"]) for v in variants] == [("TEE-S", 6), ("TEE-M", 2)]
