"""API keys bound to a store (issue 17): a till's key works at its own store only, for
every store operation that names a location; `ucg apikey create --store CODE` binds one."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import asyncpg
import httpx

from api.auth import new_api_key
from datasources.postgres import auth_store
from domain.ids import to_global_id
from tests.conftest import ROOT, TestEnv
from tests.helpers import graphql
from tests.integration.test_store_pos import SALE, counts, pos_store
from tests.stock_helpers import make_location

WORK = """query($loc: ID!) { storeWork(locationId: $loc, first: 5) { edges { cursor } } }"""


async def _till_key(db: asyncpg.Connection[Any], store: Any) -> dict[str, str]:
    key, prefix, secret_hash = new_api_key()
    await auth_store.create_api_key(
        db, prefix, secret_hash, "till 1", "POS", ["POS"], location_id=store
    )
    return {"x-api-key": key}


async def test_a_store_bound_key_works_at_its_store_only(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await pos_store(db, 5)
    elsewhere = await make_location(db, kind="STORE")
    till = await _till_key(db, sale.location)
    here = to_global_id("Location", sale.location)
    there = to_global_id("Location", elsewhere)
    own = await graphql(client, WORK, {"loc": here}, headers=till)
    assert "errors" not in own, own
    other = await graphql(client, WORK, {"loc": there}, headers=till)
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN"]
    before = await counts(db)
    variables = {
        "loc": there,
        "lines": [{"sku": sale.sku, "quantity": 1}],
        "tenders": [{"kind": "CASH", "amountMinor": 5000}],
        "key": "bound-1",
    }
    refused = (await graphql(client, SALE, variables, headers=till))["data"]["posSaleComplete"]
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("FORBIDDEN", ["locationId"])
    ]
    assert await counts(db) == before
    sold = await graphql(client, SALE, {**variables, "loc": here, "key": "bound-2"}, headers=till)
    assert sold["data"]["posSaleComplete"]["userErrors"] == []


def _create(env: TestEnv, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "apikey", "create", "--name", "till", *args],
        env=env.environ(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_apikey_create_binds_a_key_to_a_store_by_code(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    store = await make_location(db, kind="STORE")
    code = await db.fetchval("SELECT code FROM locations WHERE id = $1", store)
    unknown = _create(env, "--role", "POS", "--store", "NOPE-404")
    assert unknown.returncode == 1 and "no location with code NOPE-404" in unknown.stderr
    made = _create(env, "--role", "POS", "--channel", "POS", "--store", code)
    assert made.returncode == 0, made.stderr
    assert await db.fetchval("SELECT location_id FROM api_keys") == store
