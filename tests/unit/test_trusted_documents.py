"""Trusted documents: the manifest formats and the `ucg trusted-documents` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.settings import SettingsError, load_settings
from entrypoints.cli import main
from resolvers.trusted_documents import ManifestError, parse_manifest, sha256

PRODUCTS = "query Products { products(first: 2) { edges { node { title } } } }"


def test_an_apollo_manifest_registers_each_body_by_its_hash() -> None:
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": sha256(PRODUCTS), "name": "Products", "body": PRODUCTS}],
    }
    documents = parse_manifest(manifest)
    assert documents.document(sha256(PRODUCTS)) == PRODUCTS
    assert documents.trusts(PRODUCTS)
    assert not documents.trusts(PRODUCTS + " ")  # the exact text, not a look-alike
    assert not documents.trusts(None)


def test_a_relay_map_registers_by_its_ids_and_by_hash() -> None:
    documents = parse_manifest({"a1b2": PRODUCTS})
    assert documents.document("a1b2") == PRODUCTS
    assert documents.document(sha256(PRODUCTS)) == PRODUCTS
    assert documents.document("other") is None


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        ([], "JSON object"),
        ({}, "no documents"),
        ({"x": 5}, "not a GraphQL text"),
        ({"format": "apollo-persisted-query-manifest", "version": 2}, "version 1"),
        ({"format": "apollo-persisted-query-manifest", "version": 1}, '"operations"'),
        (
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "0" * 64, "body": PRODUCTS}],
            },
            "not the SHA-256",
        ),
    ],
)
def test_a_bad_manifest_is_refused_in_plain_words(manifest: object, says: str) -> None:
    with pytest.raises(ManifestError, match=says):
        parse_manifest(manifest)


def test_a_server_with_an_unreadable_manifest_does_not_start(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text("{not json")
    with pytest.raises(SettingsError, match="UCG_TRUSTED_DOCUMENTS"):
        load_settings(trusted_documents=str(bad))


def test_build_then_check_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UCG_TRUSTED_DOCUMENTS", raising=False)
    (tmp_path / "products.graphql").write_text(PRODUCTS)
    manifest = tmp_path / "manifest.json"
    assert (
        main(
            ["trusted-documents", "build", str(tmp_path / "products.graphql"), "-o", str(manifest)]
        )
        == 0
    )
    written = json.loads(manifest.read_text())
    assert written["operations"][0] == {
        "id": sha256(PRODUCTS),
        "name": "Products",
        "type": "query",
        "body": PRODUCTS,
    }
    assert main(["trusted-documents", "check", str(manifest)]) == 0
    assert "1 documents, all valid" in capsys.readouterr().out

    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"q1": "{ products(first: 1) { nope } }"}))
    assert main(["trusted-documents", "check", str(stale)]) == 2
    assert "Cannot query field 'nope'" in capsys.readouterr().err

    (tmp_path / "two.graphql").write_text("query A { __typename } query B { __typename }")
    code = main(["trusted-documents", "build", str(tmp_path / "two.graphql"), "-o", str(stale)])
    assert code == 2
    assert "exactly one operation" in capsys.readouterr().err
