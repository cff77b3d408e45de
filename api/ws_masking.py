"""Error masking for both WebSocket protocols, as the HTTP view masks.

Strawberry's handlers send `error.formatted` as is: a Postgres message or a Python repr
would reach the client. `MaskingSchema` wraps the schema the handlers stream from, so
every execution result's errors pass through `format_error` (a domain error shows its
code, graphql's own errors get a code, anything else is INTERNAL_SERVER_ERROR with a
request id, logged once). Pre-execution errors (parse, validation) are left to the
handlers, which decide the protocol's close code from their type.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult, PreExecutionError

from api.logging import request_id_var


class FormattedError(GraphQLError):
    """A GraphQL error whose wire form is already decided."""

    def __init__(self, formatted: dict[str, Any]) -> None:
        super().__init__(str(formatted.get("message", "")), extensions=formatted.get("extensions"))
        self.wire_form = formatted

    @property
    def formatted(self) -> Any:
        return self.wire_form


def masked_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    from api.graphql_view import format_error  # the view imports the handlers

    request_id = request_id_var.get() or uuid.uuid4().hex
    return [
        e if isinstance(e, FormattedError) else FormattedError(format_error(e, request_id))
        for e in errors
    ]


def mask(result: Any) -> Any:
    if isinstance(result, ExecutionResult) and not isinstance(result, PreExecutionError):
        if result.errors:
            result.errors = masked_errors(list(result.errors))
    return result


async def _masked_stream(source: Any) -> AsyncIterator[Any]:
    async with aclosing(source):
        async for result in source:
            yield mask(result)


class MaskingSchema:
    """The schema as the WebSocket handlers see it: the same, with masked results."""

    def __init__(self, schema: Any) -> None:
        self.inner = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        source = await self.inner.stream(*args, **kwargs)
        if isinstance(source, ExecutionResult):
            return mask(source)
        return _masked_stream(source)

    async def subscribe(self, *args: Any, **kwargs: Any) -> Any:
        source = await self.inner.subscribe(*args, **kwargs)
        if isinstance(source, ExecutionResult):
            return mask(source)
        return _masked_stream(source)
