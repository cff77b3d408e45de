"""Trusted documents mode on a running server: only the manifest's operations run, over
HTTP (by id, by hash, by full text) and over both WebSocket protocols; MCP tools still work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from mcp import Client

from resolvers.trusted_documents import sha256
from tests.live import LEGACY_WS, TRANSPORT_WS, GraphQLSocket

PRODUCTS = "query Products { products(first: 2) { edges { node { title } } } }"
STOCK = 'subscription Stock { stockChanged(skus: ["RJ-M"]) { sku available } }'
OTHER = "{ products(first: 1) { edges { node { handle } } } }"
OTHER_STOCK = 'subscription { stockChanged(skus: ["RJ-L"]) { sku } }'


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_only_registered_operations_run(serve: Any, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"relay-products": PRODUCTS, "relay-stock": STOCK}))
    server = serve(UCG_TRUSTED_DOCUMENTS=str(manifest))
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:

        async def post(body: dict[str, Any]) -> httpx.Response:
            return await client.post("/graphql", json=body)

        by_text = await post({"query": PRODUCTS})
        assert by_text.status_code == 200 and by_text.json()["data"]["products"]["edges"] == []
        hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha256(PRODUCTS)}}
        by_hash = await client.get(
            "/graphql",
            params={"extensions": json.dumps(hashed)},
            headers={"accept": "application/json"},
        )
        assert by_hash.json()["data"]["products"] == {"edges": []}
        by_id = await post({"documentId": "relay-products"})
        assert "errors" not in by_id.json() and by_id.json()["data"]["products"] == {"edges": []}

        unknown = await post({"query": OTHER})
        assert _codes(unknown.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        assert unknown.json().get("data") is None
        # An APQ registration of a new document is refused too, as is an unknown id.
        other_hash = {"persistedQuery": {"version": 1, "sha256Hash": sha256(OTHER)}}
        register = await post({"query": OTHER, "extensions": other_hash})
        assert register.status_code == 400
        assert _codes(register.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        missing = await post({"documentId": "nope"})
        assert (missing.status_code, _codes(missing.json())) == (
            400,
            ["PERSISTED_QUERY_NOT_IN_LIST"],
        )

    for protocol in (TRANSPORT_WS, LEGACY_WS):
        socket = await GraphQLSocket.open(server.url, protocol=protocol)
        try:
            await socket.subscribe(PRODUCTS)
            assert (await socket.next_data())["products"] == {"edges": []}
            assert (await socket.receive())["type"] == "complete"
            for refused in (OTHER, OTHER_STOCK):  # the shared stockChanged path included
                await socket.subscribe(refused)
                message = await socket.receive()
                payload = message["payload"]
                # graphql-transport-ws: a list of errors; legacy graphql-ws: one error.
                errors = payload if isinstance(payload, list) else [payload]
                assert [e["extensions"]["code"] for e in errors] == [
                    "PERSISTED_QUERY_NOT_IN_LIST"
                ], message
            await socket.subscribe(STOCK)
            await socket.nothing_within(0.5)  # accepted: it waits for stock changes
        finally:
            await socket.close()

    # MCP tools run fixed documents from code: not subject to the manifest.
    async with Client(f"{server.url}/mcp/") as mcp:
        result = await mcp.call_tool("search_products", {"first": 2})
        assert not result.is_error, result.content
