"""The MCP server for AI shopping agents: `ucg mcp` (stdio) and `/mcp` (streamable HTTP),
built from its tool groups (catalog, cart, checkout, orders) and resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from api.auth import AuthenticationFailed, authenticate
from api.bootstrap import Services
from domain.auth import Principal
from entrypoints.mcp import cart_tools, catalog_tools, checkout_tools, documents, order_tools
from entrypoints.mcp.tools import UcgTools

INSTRUCTIONS = """\
Tools of a retail store's commerce API. Search the catalog, check stock near a
place, build a cart, get a checkout quote, buy with that quote and an
idempotency key (a retry with the same key never buys twice), and cancel what
was not yet handed over. Prices are
decimal strings with an ISO 4217 currency. Errors carry a stable code (see the
resource ucg://docs/errors)."""


def principal_from_http(
    services: Services,
) -> Callable[[Context | None], Awaitable[Principal | None]]:
    """The caller of an HTTP tool call: its bearer token or API key, checked as for GraphQL."""

    async def principal_for(ctx: Context | None) -> Principal | None:
        headers = ctx.headers if ctx is not None else None
        if not headers:
            return None
        try:
            return await authenticate(services.settings, headers, services.pool, services.redis)
        except AuthenticationFailed as exc:
            raise ToolError("UNAUTHENTICATED: invalid or expired credentials") from exc

    return principal_for


class UcgMCPServer(MCPServer):
    """Bad tool arguments answer one short, typed line per field, not a pydantic dump."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if not isinstance(cause, ValidationError):
                raise
            raise ToolError(bad_arguments_text(name, cause)) from None


def bad_arguments_text(tool: str, error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
        for e in error.errors(include_url=False, include_input=False)[:5]
    ]
    return f"BAD_USER_INPUT: invalid arguments for {tool}: " + "; ".join(problems)


def build_mcp_server(tools: UcgTools) -> MCPServer:
    server = UcgMCPServer(name="ucg", instructions=INSTRUCTIONS, version="0.1.0")
    for group in (catalog_tools, documents, cart_tools, checkout_tools, order_tools):
        group.register(server, tools)
    return server
