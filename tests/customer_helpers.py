"""Helpers of the customer tests: register, sign in, call as someone."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.helpers import staff_token as staff_token  # re-exported for the customer tests
from tests.helpers import unique

PASSWORD = "correct horse battery"
AUTH_FIELDS = "accessToken refreshToken accessTokenExpiresAt customer { id displayName } userErrors { code field message }"


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = dict(headers or {})
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def register(
    client: httpx.AsyncClient,
    email: str | None = None,
    phone: str | None = None,
    password: str = PASSWORD,
    **extra: Any,
) -> dict[str, Any]:
    email = email if email is not None else f"{unique('c')}@example.com"
    body = await gql(
        client,
        f"mutation($input: CustomerRegisterInput!) {{ customerRegister(input: $input) {{ {AUTH_FIELDS} }} }}",
        {"input": {"email": email, "phone": phone, "password": password, **extra}},
    )
    payload: dict[str, Any] = body["data"]["customerRegister"]
    payload["email"] = email
    return payload


async def login(
    client: httpx.AsyncClient, login_: str, password: str = PASSWORD, **headers: str
) -> dict[str, Any]:
    body = await gql(
        client,
        f"mutation($input: CustomerLoginInput!) {{ customerLogin(input: $input) {{ {AUTH_FIELDS} }} }}",
        {"input": {"login": login_, "password": password}},
        headers=headers,
    )
    return body["data"]["customerLogin"]  # type: ignore[no-any-return]


def local_id(gid: str) -> uuid.UUID:
    return uuid.UUID(gid.rsplit("/", 1)[-1])
