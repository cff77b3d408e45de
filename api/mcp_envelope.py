"""The JSON-RPC envelope of an MCP request, checked before the SDK sees it.

The MCP SDK validates a POSTed message against a pydantic union and, when the body is
JSON but not a JSON-RPC message (`123`, `[]`, `{}`, `"jsonrpc": "1.0"`, a numeric
`method`, string `params`), answers with the whole validation dump: eleven errors, input
values and links to pydantic's site. This guard answers those with one short JSON-RPC
error instead (-32700 parse error, -32600 invalid request, -32602 invalid params), HTTP
400, and hands every well-formed message on unchanged. What a message means (an unknown
method, a tool's arguments) stays the SDK's and the tools' to answer.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.input_limits import MAX_BODY_BYTES, BadInput, decode_json

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


def envelope_error(body: bytes) -> tuple[int, str, Any] | None:
    """(code, message, id) when the body is not one well-formed JSON-RPC 2.0 message."""
    try:
        # The same body boundary as /graphql: UTF-8 JSON, size and nesting limits.
        message = decode_json(body)
    except BadInput as refused:
        return PARSE_ERROR, f"Parse error: {refused.message}", None
    if not isinstance(message, dict):
        return INVALID_REQUEST, "Invalid Request: send one JSON-RPC 2.0 object.", None
    ident = message.get("id")
    if "id" in message and (isinstance(ident, bool) or not isinstance(ident, str | int)):
        return INVALID_REQUEST, 'Invalid Request: "id" must be a string or an integer.', None
    if message.get("jsonrpc") != "2.0":
        return INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0".', ident
    if "method" in message:
        if not isinstance(message["method"], str):
            return INVALID_REQUEST, 'Invalid Request: "method" must be a string.', ident
        if "params" in message and not isinstance(message["params"], dict):
            return INVALID_PARAMS, 'Invalid params: "params" must be an object.', ident
        return None
    if "id" in message and ("result" in message or "error" in message):
        return None  # a response to a request the server sent
    return INVALID_REQUEST, 'Invalid Request: a request needs a "method".', ident


class JsonRpcEnvelopeGuard:
    """ASGI wrapper: a POST whose body is not a JSON-RPC message is answered here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY_BYTES:
                too_large = f"Invalid Request: the body exceeds {MAX_BODY_BYTES} bytes."
                await _answer(send, 413, INVALID_REQUEST, too_large, None)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        refused = envelope_error(body)
        if refused is not None:
            await _answer(send, 400, *refused)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, code: int, text: str, ident: Any) -> None:
    answer = orjson.dumps({"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": text}})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})
