"""Idempotency keys of the order mutations (checkoutComplete, orderCancel,
orderReturnCreate): one length rule and one request fingerprint, so a key
re-used with other input is recognised the same way everywhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from domain.errors import DomainError, ErrorCode

MAX_KEY_LENGTH = 200


def check_key(key: str | None) -> None:
    """A key, when given, is 1-200 characters."""
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID,
            f"idempotencyKey must be 1-{MAX_KEY_LENGTH} characters.",
            ["idempotency_key"],
        )


def fingerprint(body: Mapping[str, object]) -> str:
    """sha256 of the request as canonical JSON (sorted keys): stored with the key."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
