"""The browser-facing edge: CORS for the origins a retailer allows, and security headers.

`UCG_CORS_ALLOWED_ORIGINS` (comma-separated, e.g. `https://shop.example,https://m.shop.example`;
`*` for any origin, without credentials) lets browser storefronts on other origins call the
API; empty (the default) sends no CORS headers, so browsers keep cross-origin pages out.
Every HTTP answer carries the security headers unless `UCG_SECURITY_HEADERS=false`;
`UCG_HSTS_SECONDS` adds Strict-Transport-Security (only behind TLS).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# What a storefront sends and reads: auth, the cart token, the request id, retry hints.
CORS_REQUEST_HEADERS = ["authorization", "content-type", "x-cart-token", "x-request-id"]
CORS_EXPOSED_HEADERS = ["x-cart-token", "x-request-id", "retry-after"]
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
}


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, hsts_seconds: int = 0) -> None:
        self.app = app
        self.headers = dict(SECURITY_HEADERS)
        if hsts_seconds > 0:
            self.headers["strict-transport-security"] = f"max-age={hsts_seconds}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def edge_middleware(settings: Any) -> list[Middleware]:
    """CORS (when origins are configured) and the security headers, outermost first."""
    middleware: list[Middleware] = []
    origins = list(settings.cors_allowed_origins)
    if origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_credentials="*" not in origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=CORS_REQUEST_HEADERS,
                expose_headers=CORS_EXPOSED_HEADERS,
                max_age=600,
            )
        )
    if settings.security_headers:
        middleware.append(Middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds))
    return middleware
