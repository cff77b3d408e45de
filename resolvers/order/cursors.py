"""Cursors of order lists: the position (created_at, id) of an order, newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from domain.errors import DomainError, ErrorCode
from resolvers.common import decode_cursor, encode_cursor, parse_uuid


def encode_order_cursor(order: Any) -> str:
    return encode_cursor(order.created_at.isoformat(), str(order.id))


def decode_order_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    text, raw_id = decode_cursor(cursor, 2)
    try:
        created_at = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID, "The cursor is not valid for this list.", ["after"]
        ) from None
    if created_at.tzinfo is None:
        raise DomainError(ErrorCode.INVALID, "The cursor is not valid for this list.", ["after"])
    return created_at, parse_uuid(raw_id, ["after"])
