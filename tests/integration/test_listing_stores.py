"""Availability at a store and near a point on the demo catalog: filters, the store facet's
counts, constant SQL, typed errors."""

from __future__ import annotations

import json
from typing import Any

import httpx

from datasources.postgres.pool import log_statements
from datasources.postgres.seed import seed_demo
from tests.conftest import TestEnv
from tests.helpers import graphql

LISTING = """query($f: [ProductFilter!], $n: Int!) {
  collection(handle: "jackets") { products(first: $n, filters: $f) {
    filters { id values { label count input } } edges { node { handle } } } } }"""
COUNT = """query($f: [ProductFilter!]) { products(first: 250, filters: $f) { edges { cursor } } }"""
DAM = {"lat": 52.3731, "lon": 4.8926}


async def _products(client: httpx.AsyncClient, filters: list[Any]) -> int:
    body = await graphql(client, COUNT, {"f": filters})
    assert "errors" not in body, body
    return len(body["data"]["products"]["edges"])


async def test_in_stock_at_a_store_or_near_a_point(env: TestEnv, client: httpx.AsyncClient) -> None:
    await seed_demo(env.database_url)
    locations = (await graphql(client, "{ locations { id code } }"))["data"]["locations"]
    dam = next(loc["id"] for loc in locations if loc["code"] == "ST-DAM")
    zuid = next(loc["id"] for loc in locations if loc["code"] == "ST-ZUID")
    body = await graphql(client, LISTING, {"n": 4})
    assert "errors" not in body, body
    facets = {f["id"]: f for f in body["data"]["collection"]["products"]["filters"]}
    stores = {v["label"]: v for v in facets["filter.v.availability.store"]["values"]}
    assert set(stores) == {"Dam Square store", "Zuidas store", "Oost store"}  # pickup stores
    at_dam = stores["Dam Square store"]
    assert json.loads(at_dam["input"]) == {"availableAt": dam}
    narrowed = await graphql(client, LISTING, {"n": 100, "f": [json.loads(at_dam["input"])]})
    page = narrowed["data"]["collection"]["products"]
    assert len(page["edges"]) == at_dam["count"] > 0
    # The facet ignores its own kind: the other stores still show their counts.
    again = {f["id"]: f for f in page["filters"]}["filter.v.availability.store"]["values"]
    assert {v["label"]: v["count"] for v in again} == {k: v["count"] for k, v in stores.items()}

    everywhere = await _products(client, [])
    only_dam = await _products(client, [{"availableAt": dam}])
    dam_or_zuid = await _products(client, [{"availableAt": dam}, {"availableAt": zuid}])
    assert 0 < only_dam <= dam_or_zuid <= everywhere
    # 1.5 km around Dam Square reaches the Dam store only (the dark store is not for pickup).
    near = await _products(client, [{"availableNear": {**DAM, "radiusKm": 1.5}}])
    assert near == only_dam
    wide = await _products(client, [{"availableNear": {**DAM, "radiusKm": 50}}])
    assert wide >= dam_or_zuid
    for n in (2, 20):
        with log_statements() as seen:
            await graphql(client, LISTING, {"n": n, "f": [{"availableAt": dam}]})
        kept = [
            q
            for q in seen
            if not any(m in q for m in ("pg_advisory_unlock_all", "typeinfo", "jit"))
        ]
        assert len(kept) == 3  # collection, page, facets


async def test_bad_store_filters_are_typed_errors(env: TestEnv, client: httpx.AsyncClient) -> None:
    for filters, code, field in [
        ([{"availableAt": "gid://ucg/Order/1"}], "INVALID_ID", ["filters", "0", "availableAt"]),
        (
            [{"availableNear": {"lat": 95, "lon": 0, "radiusKm": 1}}],
            "INVALID",
            ["filters", "0", "availableNear", "lat"],
        ),
        (
            [{"availableNear": {**DAM, "radiusKm": 0}}],
            "INVALID",
            ["filters", "0", "availableNear", "radiusKm"],
        ),
    ]:
        body = await graphql(client, COUNT, {"f": filters})
        assert body["data"] is None or body["data"]["products"] is None, body
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
            (code, field)
        ]
