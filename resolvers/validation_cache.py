"""Validation results shared across requests, keyed by the query text.

Strawberry's `ValidationCache` keys its LRU on the parsed document, and graphql-core's AST
nodes are frozen dataclasses whose hash walks the whole tree on every request; with rule
classes made per request the key never matched either, so every checkout mutation was
validated again (a quarter of the API's CPU in the issue 23 profile). The text, the schema
and the (stable) rule classes decide the result, so they are the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

_RESULTS: dict[tuple[Any, ...], list[Any]] = {}


class QueryTextValidationCache(SchemaExtension):
    """Validate each distinct (schema, query text, rules) once; at most `maxsize` kept
    (the oldest entry goes first)."""

    def __init__(self, maxsize: int = 1000) -> None:
        super().__init__()
        self.maxsize = maxsize

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema = context.schema._schema
        document = context.graphql_document
        assert document is not None
        if not isinstance(context.query, str):
            context.pre_execution_errors = validate_document(
                schema, document, context.validation_rules
            )
            yield
            return
        key = (schema, context.query, context.validation_rules)
        errors = _RESULTS.get(key)
        if errors is None:
            errors = validate_document(schema, document, context.validation_rules)
            if len(_RESULTS) >= self.maxsize:
                del _RESULTS[next(iter(_RESULTS))]
            _RESULTS[key] = errors
        context.pre_execution_errors = errors
        yield
