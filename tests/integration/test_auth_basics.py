"""Bearer tokens become the request's principal; bad ones are refused with 401."""

from __future__ import annotations

import uuid

import httpx
import jwt

from api.auth import issue_access_token, principal_from_token
from domain.auth import Principal, PrincipalKind, Role
from tests.conftest import TestEnv


async def test_valid_token_round_trips(env: TestEnv) -> None:
    settings = env.settings()
    staff = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.ADMIN}), "POS")
    assert principal_from_token(settings, issue_access_token(settings, staff)) == staff


async def test_bad_tokens_get_401(client: httpx.AsyncClient, env: TestEnv) -> None:
    settings = env.settings()
    staff = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.ADMIN}))
    expired = issue_access_token(settings, staff, ttl_seconds=-10)
    tampered = issue_access_token(settings, staff)[:-2] + "xx"
    foreign = jwt.encode({"sub": str(staff.id), "aud": "other", "iss": "ucg"}, "x" * 32)
    for token in (expired, tampered, foreign, "garbage"):
        response = await client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401, token
    good = issue_access_token(settings, staff)
    ok = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": f"Bearer {good}"}
    )
    assert ok.status_code == 200
