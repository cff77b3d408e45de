"""The cart subgraph composes with the other four under Apollo Federation 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from resolvers.subgraphs import SUBGRAPH_NAMES, subgraph_schema
from tests.conftest import TestEnv
from tests.integration.cart_support import (
    CART_CREATE,
    add_customer,
    customer_token,
    gid,
    make_shop,
    mutate,
)

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


async def test_cart_subgraph_serves_carts_and_entities(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shop = await make_shop(db)
    ann = await add_customer(db)
    token = customer_token(env.settings(), ann)
    payload = await mutate(
        client,
        CART_CREATE,
        {"input": {"channel": gid("Channel", shop.web), "lines": [shop.line("MUG-1", 2)]}},
        token,
    )
    cart_id = payload["cart"]["id"]
    query = """query($id: ID!, $reps: [_Any!]!) {
      cart(id: $id) { channel { id } buyerIdentity { customer { id } }
        lines { edges { node { merchandise { id } quantity } } } cost { total { amount } } }
      _entities(representations: $reps) { ... on Cart { totalQuantity } } }"""
    response = await client.post(
        "/subgraphs/cart/graphql",
        json={
            "query": query,
            "variables": {"id": cart_id, "reps": [{"__typename": "Cart", "id": cart_id}]},
        },
        headers={"authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    cart = body["data"]["cart"]
    assert cart["channel"] == {"id": gid("Channel", shop.web)}
    assert cart["buyerIdentity"]["customer"] == {"id": gid("Customer", ann)}
    assert cart["lines"]["edges"][0]["node"] == {
        "merchandise": {"id": gid("ProductVariant", shop.variants["MUG-1"])},
        "quantity": 2,
    }
    assert body["data"]["_entities"] == [{"totalQuantity": 2}]
