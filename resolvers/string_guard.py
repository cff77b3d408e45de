"""Strings with NUL or a lone surrogate never reach Postgres or Redis (both refuse them)."""

from __future__ import annotations

from collections.abc import Iterator

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


class StringGuard(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.pre_execution_errors:
            literals = _Literals()
            visit(document, literals)
            problem = bad_string(context.variables or {}) or bad_string(literals.values)
            if problem is not None:
                context.pre_execution_errors = [
                    GraphQLError(problem, extensions={"code": "BAD_USER_INPUT"})
                ]
        yield
