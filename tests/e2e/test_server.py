"""`ucg serve` as a real process: HTTP, both WebSocket protocols, a single subgraph."""

from __future__ import annotations

import json
from typing import Any

import httpx
import websockets


async def test_serves_graphql_and_health(serve: Any) -> None:
    server = serve()
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"})
        assert response.json()["data"] == {"__typename": "Query"}
        assert (await http.get("/readyz")).status_code == 200
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert (await http.get("/metrics-or-anything")).status_code == 404


async def _handshake(url: str, protocol: str) -> dict[str, Any]:
    async with websockets.connect(url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == protocol
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        ack: dict[str, Any] = json.loads(await ws.recv())
        return ack


async def test_websocket_handshake_on_both_protocols(serve: Any) -> None:
    server = serve()
    url = server.url.replace("http://", "ws://") + "/graphql"
    assert (await _handshake(url, "graphql-transport-ws"))["type"] == "connection_ack"
    assert (await _handshake(url, "graphql-ws"))["type"] == "connection_ack"


async def test_single_subgraph_mode(serve: Any) -> None:
    server = serve(["--subgraph", "inventory"])
    async with httpx.AsyncClient(base_url=server.url) as http:
        sdl = (await http.post("/graphql", json={"query": "{ _service { sdl } }"})).json()
        text = sdl["data"]["_service"]["sdl"]
        assert "type Location" in text and "type Product " not in text
        assert (await http.get("/subgraphs/catalog/graphql")).status_code == 404


def test_host_and_port_options_win_over_the_environment(env: Any) -> None:
    from datasources.embedded import free_port
    from tests.conftest import ServerProcess

    port = free_port()
    process = ServerProcess(env.environ(), ["--host", "127.0.0.1", "--port", str(port)])
    env_url, process.url = process.url, f"http://127.0.0.1:{port}"  # UCG_PORT is the other
    try:
        process.wait_ready()
        assert httpx.get(f"{process.url}/healthz").status_code == 200
        try:
            httpx.get(f"{env_url}/healthz", timeout=0.5)
        except httpx.ConnectError:
            pass
        else:
            raise AssertionError("also listening on UCG_PORT")
    finally:
        process.stop()
