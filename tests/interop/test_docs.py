"""docs/CLIENTS.md quotes the very snippet files the interop tests run."""

from __future__ import annotations

from tests.conftest import ROOT

SNIPPETS = ROOT / "tests" / "interop" / "snippets"


def test_clients_doc_quotes_every_snippet_verbatim() -> None:
    doc = (ROOT / "docs" / "CLIENTS.md").read_text()
    snippets = sorted(p for p in SNIPPETS.iterdir() if p.suffix in (".mjs", ".py"))
    snippets = [p for p in snippets if p.name != "__init__.py"]
    assert {p.name for p in snippets} == {
        "apollo-client.mjs",
        "graphql-ws.mjs",
        "gql_client.py",
        "urql.mjs",
    }
    for path in snippets:
        assert f"\n{path.read_text()}```\n" in doc, f"docs/CLIENTS.md is out of date: {path.name}"
