"""Turning a shopper's search box text into a safe Postgres tsquery."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 8


def prefix_tsquery(text: str) -> str | None:
    """`"lin shi"` -> `"lin:* & shi:*"`: every word must match, as a prefix.

    Only word characters survive, so the result is always a valid tsquery
    whatever the input; None when nothing searchable is left.
    """
    words = [w.lower() for w in _WORD.findall(text)][:MAX_TERMS]
    words = [w.replace("_", "") for w in words]
    words = [w for w in words if w]
    if not words:
        return None
    return " & ".join(f"{w}:*" for w in words)
