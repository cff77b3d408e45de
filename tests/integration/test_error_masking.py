"""An unexpected exception is masked for the client and logged once with its traceback."""

from __future__ import annotations

import logging

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route

from api.bootstrap import Services
from api.graphql_view import GraphQLView
from tests.conftest import TestEnv


@strawberry.type
class Query:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret database password is hunter2")

    @strawberry.field
    def fine(self) -> str:
        return "ok"


async def test_unexpected_exception_is_masked(
    env: TestEnv, caplog: pytest.LogCaptureFixture
) -> None:
    resources = Services(env.settings())
    await resources.start()
    view = GraphQLView(resources, strawberry.Schema(query=Query))
    app = Starlette(routes=[Route("/graphql", view, methods=["GET", "POST"])])
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            with caplog.at_level(logging.ERROR, logger="ucg.graphql"):
                response = await client.post(
                    "/graphql",
                    json={"query": "{ fine boom }"},
                    headers={"x-request-id": "req-123"},
                )
    finally:
        await resources.close()
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None or body["data"].get("fine") in (None, "ok")
    [error] = body["errors"]
    assert "hunter2" not in response.text
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"}
    assert error["path"] == ["boom"]
    assert response.headers["x-request-id"] == "req-123"
    logged = [r for r in caplog.records if r.name == "ucg.graphql"]
    assert len(logged) == 1
    assert logged[0].exc_info is not None and "hunter2" in str(logged[0].exc_info[1])
