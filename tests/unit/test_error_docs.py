"""docs/ERRORS.md documents every user error code the API can return."""

from __future__ import annotations

import re
from pathlib import Path

from domain.errors import ErrorCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "ERRORS.md"


def test_every_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", DOC.read_text(), flags=re.M))
    assert documented == {code.value for code in ErrorCode}
