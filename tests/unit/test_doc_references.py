"""The docs name only modules, files and functions that exist.

Every backticked path-like reference in docs/*.md and README.md (`domain/...py`,
`api/...py`, `entrypoints/...`, `datasources/...`, `resolvers/...`, `migrations/...`, `bench/...`,
`scripts/...`, `tests/...`, `schemas/...`) must name an existing file or folder;
`module.py:name`, `module.py::name` and `package/module.name` forms must name
something defined in that file (a def, a class or a module-level assignment).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]

PREFIXES = (
    "domain/",
    "api/",
    "entrypoints/",
    "datasources/",
    "resolvers/",
    "migrations/",
    "bench/",
    "scripts/",
    "tests/",
    "schemas/",
)
# A backticked span that is only a path (optionally followed by a name).
REFERENCE = re.compile(r"^[A-Za-z0-9_./*-]+(?:(?:::|:)[A-Za-z_][A-Za-z0-9_.]*)?$")
SPAN = re.compile(r"`([^`\n]+)`")
# A module named without its folder: `checkout_plan.py` (some file of that name must exist).
BARE_MODULE = re.compile(r"^[a-z_][a-z0-9_]*\.py$")
# `module.name` with a short module name (`settlement.give_back`, `inventory.services.reserve`):
# checked when some module or package of the code has that name, else not a reference.
SHORT_DOTTED = re.compile(r"^[a-z_][a-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?:\(\))?$")
CODE_PACKAGES = ("api", "entrypoints", "domain", "datasources", "resolvers")
# A dotted Python name: `domain.ports.PaymentGateway`, `datasources.postgres.pool.log_statements()`.
DOTTED = re.compile(
    r"^(?:domain|api|entrypoints|datasources|resolvers|tests)(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?:\(\))?$"
)

# References in docs owned by other areas that are known to be broken; each is
# to be fixed in that doc (and removed from here). Keys: (doc file name, reference).
KNOWN_BROKEN: set[tuple[str, str]] = set()


def _references() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for doc in DOCS:
        for span in SPAN.findall(doc.read_text()):
            span = span.strip()
            if span.startswith(PREFIXES) and REFERENCE.match(span):
                found.append((doc.name, span))
            elif DOTTED.match(span) or BARE_MODULE.match(span):
                found.append((doc.name, span))
            elif SHORT_DOTTED.match(span) and _pythonic(span) and _short_bases(span.split(".")[0]):
                found.append((doc.name, span))
    return found


def _defines(path: Path, name: str) -> bool:
    text = path.read_text()
    for part in name.split("."):
        pattern = (
            rf"^\s*(?:async\s+)?def {re.escape(part)}\b"
            rf"|^\s*class {re.escape(part)}\b"
            rf"|^\s*{re.escape(part)}\s*(?::[^=\n]*)?="
            rf"|^from \S+ import .*\b{re.escape(part)}\b"
        )
        if not re.search(pattern, text, flags=re.M):
            return False
    return True


def _problem(reference: str) -> str | None:
    """None when the reference resolves, else what is wrong with it."""
    if BARE_MODULE.match(reference):
        packages = ("api", "domain", "datasources", "resolvers", "tests", "bench", "scripts")
        if any(next((ROOT / p).rglob(reference), None) for p in packages):
            return None
        return "no module of that name"
    if DOTTED.match(reference):
        return _dotted_problem(reference.removesuffix("()"))
    if SHORT_DOTTED.match(reference):
        return _short_problem(reference.removesuffix("()"))
    path_part, name = reference, ""
    for separator in ("::", ":"):
        if separator in reference:
            path_part, name = reference.split(separator, 1)
            break
    path_part = path_part.rstrip("/")
    if "*" in path_part:
        return None if list(ROOT.glob(path_part)) else "matches no file"
    target = ROOT / path_part
    if not name and not target.exists():
        # `package/module.name`: a name defined in package/module.py
        head, dot, tail = path_part.partition(".")
        module = ROOT / f"{head}.py"
        if dot and tail != "py" and module.is_file():
            target, name = module, tail
        else:
            return "no such file or folder"
    if not target.exists():
        return "no such file or folder"
    if name:
        if not target.is_file() or not _defines(target, name):
            return f"{name!r} is not defined in {target.relative_to(ROOT)}"
    return None


def _dotted_problem(reference: str) -> str | None:
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        rest = ".".join(parts[cut:])
        for module in (base.with_suffix(".py"), base / "__init__.py"):
            if module.is_file():
                if not rest or _defines(module, rest):
                    return None
                return f"{rest!r} is not defined in {module.relative_to(ROOT)}"
    return "no such module"


def _pythonic(span: str) -> bool:
    """`settlement.give_back`, `model.Order`: a Python name, not a GraphQL path (`cart.id`)."""
    last = span.removesuffix("()").rsplit(".", 1)[1]
    return "_" in last.strip("_") or last[:1].isupper()


def _short_bases(head: str) -> list[Path]:
    """Modules (`head.py`) and packages (`head/`) of that name in the code."""
    if head in CODE_PACKAGES:
        return []
    bases: list[Path] = []
    for package in CODE_PACKAGES:
        bases += [p for p in (ROOT / package).rglob(f"{head}.py")]
        bases += [p for p in (ROOT / package).rglob(head) if (p / "__init__.py").is_file()]
    return bases


def _short_problem(reference: str) -> str | None:
    head, rest = reference.split(".", 1)
    for base in _short_bases(head):
        if base.is_file():
            if _defines(base, rest):
                return None
            continue
        parts = rest.split(".")
        for cut in range(len(parts), -1, -1):
            module = base.joinpath(*parts[:cut]) if cut else base / "__init__"
            tail = ".".join(parts[cut:])
            for candidate in (module.with_suffix(".py"), module / "__init__.py"):
                if candidate.is_file() and (not tail or _defines(candidate, tail)):
                    return None
    return f"no module named {head!r} defines {rest!r}"


def test_the_docs_have_references_to_check() -> None:
    references = _references()
    assert len(references) > 100
    assert ("ORDERS.md", "domain/order/model.py") in references


def test_every_doc_reference_exists() -> None:
    broken = {
        (doc, ref): problem for doc, ref in _references() if (problem := _problem(ref)) is not None
    }
    unexpected = {key: why for key, why in broken.items() if key not in KNOWN_BROKEN}
    assert not unexpected, "\n".join(
        f"{d}: `{r}`: {why}" for (d, r), why in sorted(unexpected.items())
    )


def test_the_known_broken_list_holds_only_broken_references() -> None:
    present = set(_references())
    for key in KNOWN_BROKEN:
        assert key in present, f"{key} no longer appears in the docs: drop it from KNOWN_BROKEN"
        assert _problem(key[1]) is not None, f"{key} resolves now: drop it from KNOWN_BROKEN"


def test_the_checker_sees_a_moved_module_and_a_missing_name() -> None:
    assert _problem("domain/order/model.py") is None
    assert _problem("domain/order/no_such_module.py") == "no such file or folder"
    assert _problem("domain/order/model.py:Order") is None
    assert _problem("domain/order/model.py:no_such_function") is not None
    assert _problem("domain/order/fulfillment.transition") is None
    assert _problem("domain/order/fulfillment.no_such_function") is not None
    assert _problem("domain.ports.PaymentGateway") is None
    assert _problem("datasources.postgres.pool.log_statements()") is None
    assert _problem("datasources.postgres.pool.observe_queries") is not None
    assert _problem("domain.order.no_such_module") is not None
    assert _problem("domain.no_such_package.x") is not None
    assert _problem("hours_text.py") is None
    assert _problem("no_such_module.py") == "no module of that name"
    assert _problem("settlement.give_back") is None
    assert _problem("inventory.services.reserve_allocations") is None
    assert _problem("settlement.no_such_function") is not None
