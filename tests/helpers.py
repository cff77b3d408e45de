"""Small helpers shared by tests."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.auth import issue_access_token
from api.settings import Settings
from domain.auth import Principal, PrincipalKind, Role
from domain.authz import cart_token


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    path: str = "/graphql",
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    headers = {**({"authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    response = await client.post(
        path, json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@asynccontextmanager
async def app_client(
    settings: Settings, *, lifespan: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """The ASGI app with these settings, in process, spoken to over httpx.

    With `lifespan`, the app's whole lifespan runs too (outbox relay, event hub, background
    tasks), as under `ucg serve`; otherwise only its resources are opened. The lifespan holds
    an anyio task group, so enter and leave it in one task (the test, not a fixture)."""
    from api.app import create_app

    app = create_app(settings)
    async with contextlib.AsyncExitStack() as stack:
        if lifespan:
            await stack.enter_async_context(app.router.lifespan_context(app))
        else:
            await app.state.services.start()
            stack.push_async_callback(app.state.services.close)
        transport = httpx.ASGITransport(app=app)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://ucg.test")
        )
        keep_cart_tokens(client, settings.jwt_secret)
        yield client


_CART_GID = re.compile(rb"gid://ucg/Cart/([0-9a-fA-F-]{36})")
_ORDER_GID = re.compile(rb"gid://ucg/Order/[0-9a-fA-F-]{36}")


def keep_cart_tokens(client: httpx.AsyncClient, secret: str) -> None:
    """Make the client stand in for the storefront that created the carts it names
    (some tests insert carts directly): each request presents the token of every cart
    id in its body (X-Cart-Token), unless it sets its own header (empty for none). Like a
    storefront, it keeps a cart's token for the orders placed from it (guest orders are
    held by that token) and presents it when the order is named again."""
    order_tokens: dict[bytes, str] = {}

    async def send_tokens(request: httpx.Request) -> None:
        if "x-cart-token" in request.headers:
            return
        body = request.content if request.method == "POST" else request.url.query
        ids = dict.fromkeys(m.group(1).decode() for m in _CART_GID.finditer(body))
        tokens = [cart_token(secret, uuid.UUID(i)) for i in list(ids)[:20]]
        tokens += [
            order_tokens[m.group(0)]
            for m in _ORDER_GID.finditer(body)
            if m.group(0) in order_tokens
        ]
        if tokens:
            request.headers["x-cart-token"] = ",".join(dict.fromkeys(tokens))
            request.extensions["ucg_cart_tokens"] = tokens

    async def keep_order_tokens(response: httpx.Response) -> None:
        tokens = response.request.extensions.get("ucg_cart_tokens")
        if not tokens or b"checkoutComplete" not in response.request.content:
            return
        await response.aread()
        for order in _ORDER_GID.findall(response.content):
            order_tokens.setdefault(order, tokens[0])

    client.event_hooks["request"].append(send_tokens)
    client.event_hooks["response"].append(keep_order_tokens)


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def staff_token(settings: Settings, *roles: Role) -> str:
    """An access token for a staff member with these roles (ADMIN when none given)."""
    principal = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset(roles or {Role.ADMIN}))
    return issue_access_token(settings, principal)


def customer_token(settings: Settings, customer_id: uuid.UUID) -> str:
    """An access token for this customer."""
    return issue_access_token(settings, Principal(PrincipalKind.CUSTOMER, customer_id))
