"""What every MCP tool group shares: the runner that executes a tool's GraphQL operation
as the caller, and the tool annotations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from api.bootstrap import Services
from domain.auth import Principal
from resolvers.supergraph import supergraph_schema

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


class UcgTools:
    """Runs tool operations as the given principal."""

    def __init__(
        self,
        services: Services,
        principal_for: Callable[[Context | None], Awaitable[Principal | None]],
    ) -> None:
        self.services = services
        self.principal_for = principal_for

    async def run(
        self,
        ctx: Context | None,
        document: str,
        variables: dict[str, Any],
        cart_token: str | None = None,
    ) -> dict[str, Any]:
        context = self.services.context(
            principal=await self.principal_for(ctx),
            # The HTTP request: anonymous callers are rate-limited by client address,
            # as over GraphQL, rather than sharing one bucket.
            request=_http_request(ctx),
            cart_tokens=[cart_token] if cart_token else None,
            internal=True,
        )
        result = await supergraph_schema().execute(
            document, variable_values=variables, context_value=context
        )
        if result.errors:
            error = result.errors[0]
            original = getattr(error, "original_error", None)
            code = getattr(getattr(original, "code", None), "value", None)
            code = code or (error.extensions or {}).get("code")  # e.g. THROTTLED
            if code is None and original is not None:
                raise ToolError(f"INTERNAL_SERVER_ERROR: request id {context.request_id}")
            raise ToolError(f"{code or 'INVALID'}: {getattr(original, 'message', error.message)}")
        assert result.data is not None
        return result.data


def _http_request(ctx: Context | None) -> Any:
    """The Starlette request of a streamable-HTTP tool call; None on stdio."""
    if ctx is None:
        return None
    try:
        return getattr(ctx.request_context, "request", None)
    except ValueError:  # outside a request
        return None
