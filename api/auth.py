"""Bearer tokens (JWT) to principals. HS256 with UCG_JWT_SECRET by default."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from api.settings import Settings
from domain.auth import Principal, PrincipalKind, Role

ISSUER = "ucg"
AUDIENCE = "ucg-api"


class AuthenticationFailed(Exception):
    """The request carried credentials, and they are not valid."""


def issue_access_token(settings: Settings, principal: Principal, ttl_seconds: int = 900) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(principal.id),
        "kind": principal.kind.value,
        "roles": sorted(r.value for r in principal.roles),
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    if principal.channel:
        claims["channel"] = principal.channel
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def principal_from_token(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        return Principal(
            kind=PrincipalKind(claims.get("kind", "CUSTOMER")),
            id=uuid.UUID(claims["sub"]),
            roles=frozenset(Role(r) for r in claims.get("roles", [])),
            channel=claims.get("channel"),
        )
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise AuthenticationFailed(str(exc)) from None


def principal_from_headers(settings: Settings, headers: Any) -> Principal | None:
    """None for an anonymous request; AuthenticationFailed for bad credentials."""
    authorization = headers.get("authorization")
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("Authorization must be 'Bearer <token>'")
    return principal_from_token(settings, token.strip())
