"""The HTTP and WebSocket input boundary: what a request body may be before GraphQL sees it.

A body is UTF-8 JSON whose top level is an object, no larger than MAX_BODY_BYTES and
nested no deeper than MAX_NESTING; numbers beyond a double's range are refused by the
parser (orjson), so no 100,000-digit integer reaches Python's int parsing. Each refusal
is a `BadInput` with a stable code from docs/ERRORS.md.
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_BODY_BYTES = 1_048_576
# Far below Python's recursion limit, far above any real variables object.
MAX_NESTING = 32


class BadInput(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def nesting_depth(value: Any) -> int:
    """Depth of nested lists/objects, computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            return depth
        stack.extend((child, depth + 1) for child in children)
    return deepest


def decode_json(data: str | bytes) -> Any:
    """Any JSON value within the limits (the caller checks the shape it needs)."""
    if len(data) > MAX_BODY_BYTES:
        raise BadInput(
            "PAYLOAD_TOO_LARGE", f"The request body exceeds {MAX_BODY_BYTES} bytes.", 413
        )
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BadInput(
            "BAD_REQUEST", "The request body is not valid UTF-8 JSON within the limits."
        ) from None
    if nesting_depth(value) > MAX_NESTING:
        raise BadInput("BAD_REQUEST", f"The request nests deeper than {MAX_NESTING} levels.")
    return value


def decode_request_object(data: str | bytes) -> dict[str, Any]:
    value = decode_json(data)
    if not isinstance(value, dict):
        raise BadInput("BAD_REQUEST", "The request body must be a JSON object.")
    return value


def bad_string(value: Any) -> str | None:
    """The reason a string somewhere in `value` is refused: NUL or a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "Strings must not contain the NUL character (\\u0000)."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "Strings must not contain lone surrogates."
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
