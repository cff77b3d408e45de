"""Small helpers shared by tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.auth import issue_access_token
from api.settings import Settings
from domain.auth import Principal, PrincipalKind, Role


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    path: str = "/graphql",
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        path, json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The ASGI app with these settings, in process, spoken to over httpx."""
    from api.app import create_app

    app = create_app(settings)
    await app.state.resources.open()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ucg.test") as client:
            yield client
    finally:
        await app.state.resources.close()


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def staff_token(settings: Settings, *roles: Role) -> str:
    """An access token for a staff member with these roles (ADMIN when none given)."""
    principal = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset(roles or {Role.ADMIN}))
    return issue_access_token(settings, principal)


def customer_token(settings: Settings, customer_id: uuid.UUID) -> str:
    """An access token for this customer."""
    return issue_access_token(settings, Principal(PrincipalKind.CUSTOMER, customer_id))
