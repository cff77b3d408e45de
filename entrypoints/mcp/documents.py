"""MCP resources: the schema, the store's policies and the error codes."""

from __future__ import annotations

from pathlib import Path

from mcp.server.mcpserver import MCPServer

from entrypoints.mcp.tools import UcgTools
from resolvers.supergraph import supergraph_sdl

ERRORS_DOC = Path(__file__).resolve().parents[2] / "docs" / "ERRORS.md"


def register(server: MCPServer, tools: UcgTools) -> None:
    @server.resource(
        "ucg://schema",
        name="schema",
        description="The public GraphQL schema (SDL) of the store's API.",
        mime_type="text/plain",
    )
    def schema_sdl() -> str:
        return supergraph_sdl()

    @server.resource(
        "ucg://policies",
        name="policies",
        description="The store's shipping and returns policies.",
        mime_type="text/markdown",
    )
    def policies() -> str:
        s = tools.services.settings
        return f"# Shipping\n\n{s.shipping_policy}\n\n# Returns\n\n{s.returns_policy}\n"

    @server.resource(
        "ucg://docs/errors",
        name="errors",
        description="Every error code the API returns, when it happens, and what to do.",
        mime_type="text/markdown",
    )
    def error_docs() -> str:
        return ERRORS_DOC.read_text()
