"""Hive Gateway and Apollo Gateway over the five subgraphs answer what /graphql answers, and
The Guild's composition composes the five SDLs as Apollo's does."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from resolvers.subgraphs import SUBGRAPH_NAMES
from tests.conftest import ROOT
from tests.helpers import graphql
from tests.integration.test_federation import SPANNING_QUERY

INTEROP = ROOT / "tests" / "interop"
FEDERATION = ROOT / "tests" / "federation"
ENTITIES = ("Product", "ProductVariant", "Customer", "Location", "Cart", "Order", "StockLevel")


async def test_the_guilds_and_apollos_compositions_both_compose_the_five_subgraphs(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    args = []
    for name in SUBGRAPH_NAMES:
        body = await graphql(client, "{ _service { sdl } }", path=f"/subgraphs/{name}/graphql")
        path = tmp_path / f"{name}.graphql"
        path.write_text(body["data"]["_service"]["sdl"])
        args.append(f"{name}={path}")
    assert (INTEROP / "node_modules").is_dir(), "run scripts/install (npm ci in tests/interop)"
    supergraphs = {}
    for harness, script in ((INTEROP, "compose_guild.mjs"), (FEDERATION, "compose.mjs")):
        proc = await asyncio.create_subprocess_exec(
            "node", script, *args, cwd=harness, stdout=asyncio.subprocess.PIPE
        )
        async with asyncio.timeout(60):
            out, _ = await proc.communicate()
        report = json.loads(out)
        assert report["errors"] == [], (script, report["errors"])
        assert proc.returncode == 0
        supergraphs[script] = report["supergraphSdl"]
    for sdl in supergraphs.values():
        for type_name in ENTITIES:
            assert f"type {type_name}" in sdl


@contextlib.asynccontextmanager
async def gateway(harness: Path, script: str, server_url: str) -> AsyncIterator[str]:
    """A gateway over the five subgraphs of `server_url`; yields its /graphql URL."""
    proc = await asyncio.create_subprocess_exec(
        "node",
        script,
        "0",
        *(f"{n}={server_url}/subgraphs/{n}/graphql" for n in SUBGRAPH_NAMES),
        cwd=harness,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        async with asyncio.timeout(30):
            line = (await proc.stdout.readline()).decode()
        if not line.startswith("READY"):
            raise AssertionError((await proc.stderr.read()).decode())
        yield f"http://127.0.0.1:{int(line.split()[1])}/graphql"
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


PRODUCTS_QUERY = """{
  products(first: 10) { edges { node { handle title
    variants { sku availability stockLevels { available location { code name } } } } } }
  locations { code kind }
}"""


@pytest.mark.slow
async def test_hive_and_apollo_gateways_answer_what_graphql_answers(
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
    payloads = [
        {"query": SPANNING_QUERY, "variables": {"handle": "tee"}},
        {"query": PRODUCTS_QUERY},
    ]
    async with (
        gateway(INTEROP, "hive_gateway.mjs", server.url) as hive,
        gateway(FEDERATION, "gateway.mjs", server.url) as apollo,
        httpx.AsyncClient(timeout=20) as http,
    ):
        for payload in payloads:
            direct = (await http.post(f"{server.url}/graphql", json=payload)).json()
            assert "errors" not in direct, direct
            for url in (hive, apollo):
                via = (await http.post(url, json=payload)).json()
                # extensions (query cost) are the server's own, not forwarded by gateways
                assert "errors" not in via, (url, via)
                assert via["data"] == direct["data"], (url, payload["query"])
    variants = direct["data"]["products"]["edges"][0]["node"]["variants"]
    assert [(v["sku"], v["availability"]) for v in variants] == [("TEE-S", 6), ("TEE-M", 2)]
