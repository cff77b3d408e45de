"""Introspection switch: with UCG_INTROSPECTION=false, `__schema` and `__type` are refused.

`__typename` stays allowed (clients need it), and the federation `_service { sdl }`
field is not introspection: gateways still compose. The schema stays published in
the repository (schema.graphql) and to agents through MCP.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import NoSchemaIntrospectionCustomRule, validate
from strawberry.extensions import SchemaExtension


class IntrospectionSwitch(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        settings = getattr(context.context, "settings", None)
        document = context.graphql_document
        if (
            settings is not None
            and not settings.introspection
            and document is not None
            and not context.pre_execution_errors
        ):
            errors = validate(context.schema._schema, document, [NoSchemaIntrospectionCustomRule])
            for error in errors:
                error.extensions = {"code": "INTROSPECTION_DISABLED"}
            if errors:
                context.pre_execution_errors = errors
        yield
