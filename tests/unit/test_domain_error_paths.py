"""The domain names the input at fault in its own terms; the API's names live at the edge.

Error paths in `domain/` are snake_case domain terms (`["product_id"]`,
`["lines", "0", "quantity"]`), never the API's camelCase names or its `input`
argument: resolvers/field_paths.py maps them to what clients see.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
CAMEL = re.compile(r"[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*")
ERRORS = {"DomainError", "NotFound", "InvalidId"}


def _offences(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every camelCase string in a list literal (the shape of an error
    path) or given straight to a domain error, and of every path that starts with the
    API's `input` argument."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.List):
            strings = [
                e for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            found += [(e.lineno, e.value) for e in strings if CAMEL.fullmatch(e.value)]
            if node.elts and strings and node.elts[0] is strings[0] and strings[0].value == "input":
                found.append((node.lineno, "input"))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS:
            values = [*node.args, *(k.value for k in node.keywords)]
            found += [
                (v.lineno, v.value)
                for v in values
                if isinstance(v, ast.Constant)
                and isinstance(v.value, str)
                and CAMEL.fullmatch(v.value)
            ]
    return sorted(found)


def test_no_domain_error_path_uses_an_api_name() -> None:
    offences = [
        f"{path.relative_to(DOMAIN.parent)}:{line}: {literal!r}"
        for path in sorted(DOMAIN.rglob("*.py"))
        for line, literal in _offences(path.read_text(encoding="utf-8"))
    ]
    assert offences == [], "use the snake_case domain term; map it in resolvers/field_paths.py"


def test_the_check_catches_api_names_and_the_input_prefix() -> None:
    source = """
raise DomainError(ErrorCode.INVALID, "No.", ["pickupLocationId"])
raise NotFound("Cart", field=["cart", "lines", "0", "merchandiseId"])
check(value, ["input", "handle"])
raise DomainError(ErrorCode.INVALID, "No.", "productId")
raise DomainError(ErrorCode.INVALID, "No.", ["pickup_location_id"])
data = {"orderId": str(order_id)}
"""
    assert sorted(_offences(source)) == [
        (2, "pickupLocationId"),
        (3, "merchandiseId"),
        (4, "input"),
        (5, "productId"),
    ]
