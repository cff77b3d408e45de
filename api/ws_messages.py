"""Shape checks of WebSocket messages, both protocols, before a handler indexes into them.

A message that is not the protocol's shape closes the socket with 4400 (what
graphql-transport-ws prescribes for invalid messages; the legacy protocol has no code
of its own, so it gets the same), never an exception that aborts the socket (1006).
"""

from __future__ import annotations

from typing import Any

from api.input_limits import bad_string

INVALID_MESSAGE = 4400
MAX_ID_LENGTH = 128

_OPTIONAL_OBJECT = (dict, type(None))


def _optional(value: Any, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, kinds)


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and bad_string(value) is None


def _operation_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "The payload must be an object."
    if not isinstance(payload.get("query"), str):
        return "The payload's query must be a string."
    if not _optional(payload.get("variables"), _OPTIONAL_OBJECT):
        return "The payload's variables must be an object or null."
    if not _optional(payload.get("operationName"), (str, type(None))):
        return "The payload's operationName must be a string or null."
    if not _optional(payload.get("extensions"), _OPTIONAL_OBJECT):
        return "The payload's extensions must be an object or null."
    return None


def transport_ws_problem(message: Any) -> str | None:
    """What is wrong with a graphql-transport-ws message, or None."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be an object with a string type."
    kind = message["type"]
    if kind in ("connection_init", "ping", "pong"):
        payload = message.get("payload")
        if not _optional(payload, _OPTIONAL_OBJECT):
            return "The payload must be an object."
        return bad_string(payload)
    if kind in ("subscribe", "complete"):
        if not _valid_id(message.get("id")):
            return f"The id must be a non-empty string of at most {MAX_ID_LENGTH} characters."
        if kind == "subscribe":
            return _operation_problem(message.get("payload"))
        return None
    return None  # unknown types: the handler's own answer (4400)


def legacy_ws_problem(message: Any) -> str | None:
    """What is wrong with a legacy graphql-ws (subscriptions-transport-ws) message, or None."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be an object with a string type."
    kind = message["type"]
    if kind == "connection_init":
        payload = message.get("payload")
        if not _optional(payload, _OPTIONAL_OBJECT):
            return "The payload must be an object."
        return bad_string(payload)
    if kind in ("start", "stop"):
        if not _valid_id(message.get("id")):
            return f"The id must be a non-empty string of at most {MAX_ID_LENGTH} characters."
        if kind == "start":
            return _operation_problem(message.get("payload"))
    return None
