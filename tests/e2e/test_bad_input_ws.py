"""Malformed WebSocket messages get the protocol's own refusal (4400), never an abort (1006)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.ws_messages import legacy_ws_problem, transport_ws_problem
from tests.live import LEGACY_WS, TRANSPORT_WS, GraphQLSocket

INIT = {"type": "connection_init", "payload": {}}
QUERY = {"query": "{ __typename }"}

TRANSPORT_CASES: list[tuple[str, list[Any]]] = [
    ("json but not an object", [INIT, 5]),
    ("a list", [INIT, [1, 2]]),
    ("null", [None]),
    ("id is a list", [INIT, {"type": "subscribe", "id": [1], "payload": QUERY}]),
    ("id is an object", [INIT, {"type": "subscribe", "id": {"a": 1}, "payload": QUERY}]),
    ("payload is a string", [INIT, {"type": "subscribe", "id": "1", "payload": "x"}]),
    ("payload is a list", [INIT, {"type": "subscribe", "id": "1", "payload": []}]),
    ("payload is null", [INIT, {"type": "subscribe", "id": "1", "payload": None}]),
    ("query is a number", [INIT, {"type": "subscribe", "id": "1", "payload": {"query": 5}}]),
    ("type is a number", [{"type": 1}]),
    ("NUL in the api key", [{"type": "connection_init", "payload": {"apiKey": "k\u0000"}}]),
]
LEGACY_CASES: list[tuple[str, list[Any]]] = [
    ("json but not an object", [INIT, 5]),
    ("a string", ["start"]),
    ("start without an id", [INIT, {"type": "start", "payload": QUERY}]),
    ("start with a list id", [INIT, {"type": "start", "id": [], "payload": QUERY}]),
    ("payload is a string", [INIT, {"type": "start", "id": "1", "payload": "x"}]),
    ("query is a number", [INIT, {"type": "start", "id": "1", "payload": {"query": 1}}]),
    ("NUL in the api key", [{"type": "connection_init", "payload": {"apiKey": "k\u0000"}}]),
]


async def _close_code(url: str, protocol: str, messages: list[Any]) -> int | None:
    async with connect(
        url.replace("http", "ws") + "/graphql", subprotocols=[protocol], open_timeout=5
    ) as socket:  # type: ignore[list-item]
        try:
            for message in messages:
                await socket.send(orjson.dumps(message).decode())
            while True:
                frame = await socket.recv(decode=True)
                if orjson.loads(frame).get("type") in ("connection_ack", "ka"):
                    continue
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    return None


@pytest.mark.slow
async def test_malformed_messages_close_with_4400_on_both_protocols(serve: Any) -> None:
    server = serve()
    results = {}
    for name, messages in TRANSPORT_CASES:
        results[f"transport: {name}"] = await _close_code(server.url, TRANSPORT_WS, messages)
    for name, messages in LEGACY_CASES:
        results[f"legacy: {name}"] = await _close_code(server.url, LEGACY_WS, messages)
    assert results == dict.fromkeys(results, 4400)
    # The server is still healthy and still serves a well-formed subscription socket.
    async with connect(
        server.url.replace("http", "ws") + "/graphql", subprotocols=[TRANSPORT_WS]
    ) as socket:  # type: ignore[list-item]
        await socket.send(orjson.dumps(INIT).decode())
        assert orjson.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(orjson.dumps({"type": "subscribe", "id": "q", "payload": QUERY}).decode())
        assert orjson.loads(await socket.recv())["payload"]["data"] == {"__typename": "Query"}


def test_shape_checks() -> None:
    assert transport_ws_problem({"type": "subscribe", "id": "1", "payload": QUERY}) is None
    assert transport_ws_problem({"type": "complete", "id": ""}) is not None
    assert transport_ws_problem({"type": "ping", "payload": 3}) is not None
    assert legacy_ws_problem({"type": "stop", "id": "x" * 200}) is not None
    assert legacy_ws_problem({"type": "connection_terminate"}) is None
    assert legacy_ws_problem({"type": "connection_init", "payload": []}) is not None


@pytest.mark.slow
async def test_errors_over_both_protocols_carry_codes(serve: Any) -> None:
    server = serve()
    seen = {}
    for protocol in (TRANSPORT_WS, LEGACY_WS):
        socket = await GraphQLSocket.open(server.url, protocol=protocol)
        try:
            await socket.subscribe('{ node(id: "not-a-global-id") { id } }')
            message = await socket.receive()
        finally:
            await socket.close()
        seen[protocol] = [e.get("extensions", {}).get("code") for e in message["payload"]["errors"]]
    assert seen == {TRANSPORT_WS: ["INVALID_ID"], LEGACY_WS: ["INVALID_ID"]}
