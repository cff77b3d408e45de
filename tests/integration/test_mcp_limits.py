"""MCP tools in process: anonymous callers are rate-limited per client address, and
check_availability asks GraphQL once for all its SKUs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest
from mcp.server.mcpserver.exceptions import ToolError
from starlette.requests import Request

from api.app import create_app
from entrypoints.mcp import UcgTools, build_mcp_server, principal_from_http
from tests.conftest import TestEnv
from tests.order_helpers import make_sale


class HttpCall:
    """What a streamable-HTTP tool call carries: its Starlette request (no credentials)."""

    def __init__(self, host: str) -> None:
        scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": [],
                 "client": (host, 40000)}  # fmt: skip
        self.request_context = SimpleNamespace(request=Request(scope))
        self.headers: dict[str, str] = {}


class CountingTools(UcgTools):
    operations = 0

    async def run(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.operations += 1
        return await super().run(*args, **kwargs)


async def test_anonymous_mcp_callers_each_get_their_own_bucket(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    for n in range(5):  # a query's actual cost is what it returns
        await make_sale(db, n + 1)
    settings = env.settings(max_query_cost=20, rate_limit_capacity=20, rate_limit_restore_rate=0.01)
    app = create_app(settings)
    resources = app.state.services
    await resources.start()
    try:
        tools = UcgTools(resources, principal_from_http(resources))
        first, second = HttpCall("203.0.113.7"), HttpCall("203.0.113.8")
        query = "{ channels { id code } }"
        with pytest.raises(ToolError, match="(?i)throttled"):
            for _ in range(30):
                await tools.run(first, query, {})  # type: ignore[arg-type]
        # Another address is not throttled by the first one's calls.
        assert "channels" in await tools.run(second, query, {})  # type: ignore[arg-type]
    finally:
        await resources.close()


async def test_check_availability_is_one_graphql_operation(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    sales = [await make_sale(db, n + 1) for n in range(3)]
    app = create_app(env.settings())
    resources = app.state.services
    await resources.start()
    try:
        tools = CountingTools(resources, principal_from_http(resources))
        server = build_mcp_server(tools)
        skus = [s.sku for s in sales] + ["NOPE"]
        call = HttpCall("203.0.113.9")
        result = await server.call_tool("check_availability", {"skus": skus}, call)  # type: ignore[arg-type]
        assert tools.operations == 1
        data = result.structured_content
        assert data is not None
        availability = data["availability"]
        assert [a["sku"] for a in availability] == skus
        assert [a["variant"]["stockLevels"][0]["available"] for a in availability[:3]] == [1, 2, 3]
        assert availability[3]["variant"] is None
    finally:
        await resources.close()


@pytest.mark.parametrize(
    "arguments",
    [{"skus": "ABC"}, {"skus": [1, {"a": 2}]}, {}, {"skus": None}],
)
async def test_bad_tool_arguments_answer_a_short_typed_text(
    env: TestEnv, arguments: dict[str, Any]
) -> None:
    resources = create_app(env.settings()).state.services
    server = build_mcp_server(UcgTools(resources, principal_from_http(resources)))
    with pytest.raises(ToolError) as raised:
        await server.call_tool("check_availability", arguments, HttpCall("203.0.113.10"))  # type: ignore[arg-type]
    text = str(raised.value)
    assert text.startswith("BAD_USER_INPUT: invalid arguments for check_availability: skus")
    assert "pydantic" not in text and "validation error" not in text and len(text) < 300
