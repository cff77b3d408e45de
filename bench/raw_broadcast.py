"""Baseline for bench/propagation.py: the same stack (uvicorn + websockets, uvloop, httptools)
broadcasting ONE pre-serialized graphql-transport-ws `next` message to every socket.

No GraphQL, no Kafka, no Postgres: the floor of what any WebSocket fan-out costs here.
POST /fire?seq=N sends the message for sequence N; run: python bench/raw_broadcast.py PORT
"""

from __future__ import annotations

import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

sockets: dict[WebSocket, str] = {}


async def graphql_ws(ws: WebSocket) -> None:
    await ws.accept(subprotocol="graphql-transport-ws")
    try:
        while True:
            message = orjson.loads(await ws.receive_text())
            if message["type"] == "connection_init":
                await ws.send_text('{"type":"connection_ack"}')
            elif message["type"] == "subscribe":
                sockets[ws] = message["id"]
    except WebSocketDisconnect:
        sockets.pop(ws, None)


async def fire(request: Request) -> PlainTextResponse:
    seq = int(request.query_params["seq"])
    change = {"sku": "BENCH", "available": seq, "sequence": seq}
    # One serialization for everyone (every client subscribed with id "1").
    text = orjson.dumps(
        {"id": "1", "type": "next", "payload": {"data": {"stockChanged": change}}}
    ).decode()
    for ws in list(sockets):
        try:
            await ws.send_text(text)
        except Exception:  # noqa: BLE001 - a gone client is not the benchmark's concern
            sockets.pop(ws, None)
    return PlainTextResponse(str(len(sockets)))


app = Starlette(
    routes=[WebSocketRoute("/graphql", graphql_ws), Route("/fire", fire, methods=["POST"])]
)

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="uvloop",
        http="httptools",
        ws="websockets",
        log_level="warning",
    )
