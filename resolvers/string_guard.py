"""Strings with NUL or a lone surrogate never reach Postgres or Redis (both refuse them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from api.input_limits import bad_string


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        self.values.append(node.value)


# The literals' verdict by query text: the document's string literals depend on its text
# only, so a storefront's few dozen operations are walked once, not on every request.
_LITERAL_PROBLEMS: dict[str, str | None] = {}
MAX_CACHED = 1000


def _literal_problem(document: Any, query: object) -> str | None:
    if isinstance(query, str) and query in _LITERAL_PROBLEMS:
        return _LITERAL_PROBLEMS[query]
    literals = _Literals()
    visit(document, literals)
    problem = bad_string(literals.values)
    if isinstance(query, str):
        if len(_LITERAL_PROBLEMS) >= MAX_CACHED:
            del _LITERAL_PROBLEMS[next(iter(_LITERAL_PROBLEMS))]
        _LITERAL_PROBLEMS[query] = problem
    return problem


class StringGuard(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.pre_execution_errors:
            problem = bad_string(context.variables or {}) or _literal_problem(
                document, context.query
            )
            if problem is not None:
                context.pre_execution_errors = [
                    GraphQLError(problem, extensions={"code": "BAD_USER_INPUT"})
                ]
        yield
