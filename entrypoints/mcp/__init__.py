"""The MCP server for AI shopping agents: `ucg mcp` (stdio) and `/mcp` (streamable HTTP).

Every tool runs a fixed GraphQL operation against the in-process supergraph,
with the caller's principal in the context. So a tool is the very resolver and
use-case a GraphQL client gets — same validation, ownership checks and typed
errors — with no second implementation and no HTTP call to ourselves.

One module per tool group (catalog_tools, cart_tools, checkout_tools, order_tools),
documents (the resources), tools (the shared runner), server (assembly).
"""

from entrypoints.mcp.checkout_tools import check_quote_token, issue_quote_token
from entrypoints.mcp.server import build_mcp_server, principal_from_http
from entrypoints.mcp.tools import UcgTools

__all__ = [
    "UcgTools",
    "build_mcp_server",
    "check_quote_token",
    "issue_quote_token",
    "principal_from_http",
]
