"""docs/ERRORS.md lists every ErrorCode, once in the code table and once by area."""

from __future__ import annotations

import re
from pathlib import Path

from domain.errors import ErrorCode

ERRORS_MD = Path(__file__).resolve().parents[2] / "docs" / "ERRORS.md"
AREAS = {"catalog", "cart", "checkout/order", "customer", "inventory", "store"}
ROW = re.compile(r"^\| `([A-Z_]+)` \| ([^|]+) \|", re.MULTILINE)


def _section(title: str) -> str:
    text = ERRORS_MD.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_code_table_lists_every_code_once() -> None:
    codes = [code for code, _ in ROW.findall(_section("Codes"))]
    assert sorted(codes) == sorted(c.value for c in ErrorCode)


def test_the_area_table_lists_every_code_once_with_known_areas() -> None:
    rows = ROW.findall(_section("Codes by area"))
    assert sorted(code for code, _ in rows) == sorted(c.value for c in ErrorCode)
    for code, cell in rows:
        areas = {a.strip() for a in cell.split(",")}
        assert areas == {"all"} or (areas and areas <= AREAS), (code, areas)
