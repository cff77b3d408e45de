"""Malformed JSON-RPC to the MCP endpoint gets a short JSON-RPC error, never a pydantic dump."""

from __future__ import annotations

import json
from typing import Any

import httpx
from mcp import Client

from api.input_limits import MAX_BODY_BYTES

HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}

# (body, JSON-RPC error code, the id echoed back)
MALFORMED: list[tuple[bytes, int, Any]] = [
    (b"not json", -32700, None),
    (b"[1, 2", -32700, None),
    (b'\xff\xfe{"jsonrpc": "2.0"}', -32700, None),
    (
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"a": '
        + b"[" * 40
        + b"]" * 40
        + b"}}",
        -32700,
        None,
    ),
    (b"123", -32600, None),
    (b'"str"', -32600, None),
    (b"null", -32600, None),
    (b"[]", -32600, None),
    (b'[{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]', -32600, None),
    (b"{}", -32600, None),
    (b'{"jsonrpc": "2.0"}', -32600, None),
    (b'{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}', -32600, 1),
    (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}', -32600, None),
    (b'{"jsonrpc": "2.0", "id": true, "method": "tools/list"}', -32600, None),
    (b'{"jsonrpc": "2.0", "id": 7, "method": 5}', -32600, 7),
    (b'{"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": "x"}', -32602, "a"),
    (b'{"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": [1]}', -32602, 2),
]


def _short(text: str) -> None:
    for leak in ("validation error", "pydantic", "input_value", "Traceback", "union["):
        assert leak not in text, text


async def test_malformed_messages_get_one_short_jsonrpc_error(serve: Any) -> None:
    server = serve()
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        for body, code, ident in MALFORMED:
            answer = await client.post("/mcp/", content=body, headers=HEADERS)
            assert answer.status_code == 400, body
            _short(answer.text)
            error = answer.json()
            assert error["jsonrpc"] == "2.0"
            assert error["id"] == ident, body
            assert error["error"]["code"] == code, (body, error)
            assert len(error["error"]["message"]) < 80, error

        oversized = json.dumps({**INIT, "pad": "x" * MAX_BODY_BYTES}).encode()
        answer = await client.post("/mcp/", content=oversized, headers=HEADERS)
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == -32600

        # Well-formed messages still reach the SDK: a session starts and an unknown method or
        # bad params inside it get the SDK's own short errors.
        started = await client.post("/mcp/", json=INIT, headers=HEADERS)
        assert started.status_code == 200
        session = {
            **HEADERS,
            "mcp-session-id": started.headers["mcp-session-id"],
            "mcp-protocol-version": "2025-06-18",
        }
        for message, code in [
            ({"jsonrpc": "2.0", "id": 2, "method": "no/such"}, -32601),
            ({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": 5}}, -32602),
        ]:
            answer = await client.post("/mcp/", json=message, headers=session)
            assert answer.status_code == 200
            _short(answer.text)
            event = json.loads(answer.text.split("data: ", 1)[1].splitlines()[0])
            assert event["error"]["code"] == code


async def test_the_server_still_serves_a_real_client_after(serve: Any) -> None:
    server = serve()
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        for probe in (b"{}", b"[]", b"not json"):
            assert (await client.post("/mcp/", content=probe, headers=HEADERS)).status_code == 400
    async with Client(f"{server.url}/mcp/") as mcp:
        tools = (await mcp.list_tools()).tools
        assert "search_products" in {tool.name for tool in tools}
