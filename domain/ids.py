"""Opaque global ids: `gid://ucg/<Type>/<uuid>`."""

from __future__ import annotations

import uuid

from domain.errors import InvalidId

PREFIX = "gid://ucg/"


def to_global_id(type_name: str, local_id: uuid.UUID) -> str:
    return f"{PREFIX}{type_name}/{local_id}"


def from_global_id(global_id: str, expected_type: str | None = None) -> tuple[str, uuid.UUID]:
    """Split a global id into (type name, uuid); raise InvalidId when it is not one of ours."""
    if not global_id.startswith(PREFIX):
        raise InvalidId(global_id)
    type_name, _, raw = global_id[len(PREFIX) :].partition("/")
    if not type_name or not raw:
        raise InvalidId(global_id)
    if expected_type is not None and type_name != expected_type:
        raise InvalidId(global_id)
    try:
        return type_name, uuid.UUID(raw)
    except ValueError:
        raise InvalidId(global_id) from None


def local_id(global_id: str, expected_type: str, field: list[str]) -> uuid.UUID:
    """The uuid of a global id of `expected_type`; InvalidId naming the input `field` if not."""
    try:
        return from_global_id(global_id, expected_type)[1]
    except InvalidId:
        raise InvalidId(global_id, field) from None
