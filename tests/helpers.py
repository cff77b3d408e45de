"""Small helpers shared by tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    path: str = "/graphql",
) -> dict[str, Any]:
    response = await client.post(path, json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"
