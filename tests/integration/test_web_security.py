"""CORS for the configured origins only, and security headers on every HTTP answer."""

from __future__ import annotations

from tests.conftest import TestEnv
from tests.helpers import app_client

QUERY = {"query": "{ __typename }"}
SHOP = "https://shop.example"


async def test_by_default_no_cross_origin_access_and_security_headers(env: TestEnv) -> None:
    async with app_client(env.settings()) as client:
        response = await client.post("/graphql", json=QUERY, headers={"origin": SHOP})
        health = await client.get("/healthz")
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    for answer in (response, health):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in answer.headers


async def test_configured_origins_may_call_and_read_the_cart_token(env: TestEnv) -> None:
    settings = env.settings(cors_allowed_origins=[SHOP], hsts_seconds=31536000)
    async with app_client(settings) as client:
        preflight = await client.options(
            "/graphql",
            headers={
                "origin": SHOP,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type, x-cart-token",
            },
        )
        other = await client.options(
            "/graphql",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        response = await client.post("/graphql", json=QUERY, headers={"origin": SHOP})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "x-cart-token" in preflight.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "x-cart-token" in response.headers["access-control-expose-headers"].lower()
    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_security_headers_can_be_left_to_a_proxy(env: TestEnv) -> None:
    async with app_client(env.settings(security_headers=False)) as client:
        response = await client.post("/graphql", json=QUERY)
    assert "x-frame-options" not in response.headers
