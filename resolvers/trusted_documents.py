"""Trusted documents: a production mode that runs only the operations a manifest lists.

With `UCG_TRUSTED_DOCUMENTS=<path to a manifest>` the API executes an operation only
when its document is one the manifest registers; anything else is refused before it
is validated or run, with `extensions.code = PERSISTED_QUERY_NOT_IN_LIST` (Apollo's
name for the same refusal). Two manifest formats are read:

- Apollo's persisted query manifest (`generate-persisted-query-manifest`):
  `{"format": "apollo-persisted-query-manifest", "version": 1,
    "operations": [{"id": "<sha256>", "name": ..., "type": ..., "body": "<document>"}]}`
- Relay's persisted queries map (`relay-compiler --persist-output`):
  `{"<document id>": "<document>", ...}`

A client names a registered document by its id (`extensions.persistedQuery.sha256Hash`
as APQ clients send it, or a top-level `documentId` / Relay's `doc_id` over HTTP), or
sends the document's full text (WebSocket clients do), which passes when its SHA-256 is
a registered document's. MCP tools run fixed documents from code and are not checked.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
APOLLO_FORMAT = "apollo-persisted-query-manifest"


class ManifestError(ValueError):
    """The manifest cannot be read; the message says why in plain words."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class TrustedDocuments:
    by_id: Mapping[str, str]  # a client's document id -> the document
    hashes: frozenset[str]  # SHA-256 of every registered document

    def document(self, document_id: str) -> str | None:
        return self.by_id.get(document_id)

    def trusts(self, query: str | None) -> bool:
        return query is not None and sha256(query) in self.hashes


def parse_manifest(raw: object) -> TrustedDocuments:
    """The documents of an Apollo or Relay manifest (already JSON-decoded)."""
    by_id: dict[str, str] = {}
    if isinstance(raw, dict) and raw.get("format") == APOLLO_FORMAT:
        if raw.get("version") != 1:
            raise ManifestError("only version 1 of the Apollo manifest format is supported")
        operations = raw.get("operations")
        if not isinstance(operations, list):
            raise ManifestError('an Apollo manifest needs an "operations" list')
        for index, operation in enumerate(operations):
            body = operation.get("body") if isinstance(operation, dict) else None
            if not isinstance(body, str) or not body.strip():
                raise ManifestError(f'operation {index} has no "body" text')
            digest = sha256(body)
            if operation.get("id") not in (None, digest):
                raise ManifestError(f"operation {index}: its id is not the SHA-256 of its body")
            by_id[digest] = body
    elif isinstance(raw, dict):
        for document_id, body in raw.items():
            if not isinstance(body, str) or not body.strip():
                raise ManifestError(f"document {document_id!r} is not a GraphQL text")
            by_id[document_id] = body
    else:
        raise ManifestError("a manifest is a JSON object (Apollo's format or Relay's id map)")
    if not by_id:
        raise ManifestError("the manifest registers no documents")
    # A document is also reachable by its SHA-256, as APQ clients name it.
    by_hash = {sha256(body): body for body in set(by_id.values())}
    return TrustedDocuments({**by_hash, **by_id}, frozenset(by_hash))


@functools.lru_cache(maxsize=4)
def load_manifest(path: str) -> TrustedDocuments:
    try:
        raw = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise ManifestError(f"cannot read {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise ManifestError(f"{path} is not JSON: {exc}") from None
    return parse_manifest(raw)


def trusted_documents(settings: Any) -> TrustedDocuments | None:
    """The settings' manifest, or None when every document may run."""
    path = getattr(settings, "trusted_documents", None)
    return load_manifest(path) if path else None


def not_in_list() -> GraphQLError:
    return GraphQLError(
        "This server runs only registered operations (trusted documents); this document "
        "is not in its manifest.",
        extensions={"code": NOT_IN_LIST},
    )


class TrustedDocumentsOnly(SchemaExtension):
    """Refuses a document the manifest does not register, in place of its validation
    result (runs right after the validation cache, before anything is executed)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        request_context = context.context
        documents = trusted_documents(getattr(request_context, "settings", None))
        if (
            documents is not None
            and not getattr(request_context, "internal", False)
            and not documents.trusts(context.query)
        ):
            context.pre_execution_errors = [not_in_list()]
        yield
