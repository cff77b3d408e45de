"""docs/ERRORS.md documents every user error code the API can return."""

from __future__ import annotations

import re
from pathlib import Path

from api.error_codes import REQUEST_ERROR_CODES
from domain.errors import ErrorCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "ERRORS.md"


def test_every_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", DOC.read_text(), flags=re.M))
    assert documented == {code.value for code in ErrorCode} | REQUEST_ERROR_CODES


def test_every_request_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", DOC.read_text(), flags=re.M))
    assert REQUEST_ERROR_CODES <= documented
    assert not REQUEST_ERROR_CODES & {code.value for code in ErrorCode}
