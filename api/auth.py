"""Credentials to principals: JWT bearer tokens (access and refresh) and API keys.

HS256 with UCG_JWT_SECRET by default; RS256 with a PEM key pair or a JWKS URL as an
option. Expiry, issuer and audience are always checked; revoked token ids and
subjects (logout, erase, merge) are checked in Redis on every request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt

from api.settings import Settings
from domain.auth import Principal, PrincipalKind, Role

ISSUER = "ucg"
AUDIENCE = "ucg-api"
API_KEY_PREFIX = "ucg"


class AuthenticationFailed(Exception):
    """The request carried credentials, and they are not valid."""


# --- signing --------------------------------------------------------------------------


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300)


def _signing_key(settings: Settings) -> Any:
    if settings.jwt_algorithm == "HS256":
        return settings.jwt_secret
    if not settings.jwt_private_key:
        raise RuntimeError("UCG_JWT_PRIVATE_KEY is needed to issue RS256 tokens")
    return settings.jwt_private_key


def _verification_key(settings: Settings, token: str) -> Any:
    if settings.jwt_algorithm == "HS256":
        return settings.jwt_secret
    if settings.jwt_public_key:
        return settings.jwt_public_key
    if settings.jwt_jwks_url:
        return _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
    raise AuthenticationFailed("no RS256 verification key configured")


def _encode(settings: Settings, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, _signing_key(settings), algorithm=settings.jwt_algorithm)


def _decode(settings: Settings, token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _verification_key(settings, token),
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise AuthenticationFailed(str(exc)) from None
    return claims


# --- access tokens --------------------------------------------------------------------


def issue_access_token(
    settings: Settings, principal: Principal, ttl_seconds: int | None = None
) -> str:
    now = int(time.time())
    ttl = settings.access_token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(principal.id),
        "typ": "access",
        "kind": principal.kind.value,
        "roles": sorted(r.value for r in principal.roles),
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    if principal.channel:
        claims["channel"] = principal.channel
    return _encode(settings, claims)


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        if claims.get("typ", "access") != "access":
            raise AuthenticationFailed("not an access token")
        kind = PrincipalKind(claims.get("kind", "CUSTOMER"))
        if kind is PrincipalKind.API_KEY:
            raise AuthenticationFailed("API keys are not bearer tokens")
        return Principal(
            kind=kind,
            id=uuid.UUID(claims["sub"]),
            roles=frozenset(Role(r) for r in claims.get("roles", [])),
            channel=claims.get("channel"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthenticationFailed(str(exc)) from None


def principal_from_token(settings: Settings, token: str) -> Principal:
    """Signature, expiry, issuer and audience; not revocation (see `authenticate`)."""
    return _principal(_decode(settings, token))


def principal_from_headers(settings: Settings, headers: Any) -> Principal | None:
    """None for an anonymous request; AuthenticationFailed for bad credentials (JWT only)."""
    authorization = headers.get("authorization")
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("Authorization must be 'Bearer <token>'")
    return principal_from_token(settings, token.strip())


@dataclass(frozen=True)
class AccessClaims:
    """What logout needs about the token a request carried."""

    jti: str
    expires_at: int


def access_claims(settings: Settings, headers: Any) -> AccessClaims | None:
    authorization = headers.get("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = _decode(settings, token.strip())
    except AuthenticationFailed:
        return None
    return AccessClaims(str(claims.get("jti", "")), int(claims["exp"]))


# --- refresh tokens -------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshClaims:
    token_id: uuid.UUID
    family_id: uuid.UUID
    subject_kind: PrincipalKind
    subject_id: uuid.UUID
    expires_at: int


def issue_refresh_token(
    settings: Settings, kind: PrincipalKind, subject_id: uuid.UUID, family_id: uuid.UUID
) -> tuple[str, RefreshClaims]:
    now = int(time.time())
    claims = RefreshClaims(
        uuid.uuid4(), family_id, kind, subject_id, now + settings.refresh_token_ttl_seconds
    )
    token = _encode(
        settings,
        {
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "sub": str(subject_id),
            "typ": "refresh",
            "kind": kind.value,
            "fam": str(family_id),
            "jti": str(claims.token_id),
            "iat": now,
            "exp": claims.expires_at,
        },
    )
    return token, claims


def refresh_claims(settings: Settings, token: str) -> RefreshClaims:
    claims = _decode(settings, token)
    try:
        if claims.get("typ") != "refresh":
            raise AuthenticationFailed("not a refresh token")
        return RefreshClaims(
            uuid.UUID(claims["jti"]),
            uuid.UUID(claims["fam"]),
            PrincipalKind(claims["kind"]),
            uuid.UUID(claims["sub"]),
            int(claims["exp"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthenticationFailed(str(exc)) from None


# --- API keys -------------------------------------------------------------------------


def new_api_key() -> tuple[str, str, str]:
    """(full key shown once, lookup prefix, SHA-256 of the secret to store)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}_{prefix}_{secret}", prefix, hash_api_secret(secret)


def hash_api_secret(secret: str) -> str:
    # A 256-bit random secret needs no slow hash: nobody can guess it, only steal it.
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(key: str) -> tuple[str, str]:
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        raise AuthenticationFailed("malformed API key")
    return parts[1], parts[2]


# --- the request's principal ----------------------------------------------------------


async def authenticate(
    settings: Settings, headers: Any, pool: Any, redis_client: Any
) -> Principal | None:
    """The one principal of a request: a bearer token or an API key, never both."""
    from datasources.postgres.auth_store import api_key_by_prefix
    from datasources.redis.auth import AuthStore

    authorization = headers.get("authorization") or ""
    header_key = headers.get("x-api-key")
    scheme, _, value = authorization.partition(" ")
    if authorization and header_key:
        raise AuthenticationFailed("send one credential, not two")
    if header_key or scheme.lower() == "apikey":
        prefix, secret = split_api_key(header_key or value)
        key = await api_key_by_prefix(pool, prefix)
        if (
            key is None
            or key.revoked_at is not None
            or not hmac.compare_digest(key.secret_hash, hash_api_secret(secret))
        ):
            raise AuthenticationFailed("unknown or revoked API key")
        try:
            roles = frozenset(Role(r) for r in key.roles)
        except ValueError:
            raise AuthenticationFailed("API key has an unknown role") from None
        return Principal(
            PrincipalKind.API_KEY, key.id, roles, key.channel_code, location_id=key.location_id
        )
    if not authorization:
        return None
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthenticationFailed("Authorization must be 'Bearer <token>' or 'ApiKey <key>'")
    token = value.strip()
    if settings.jwt_algorithm == "RS256" and settings.jwt_jwks_url:
        claims = await asyncio.to_thread(_decode, settings, token)  # JWKS fetch may block
    else:
        claims = _decode(settings, token)
    principal = _principal(claims)
    store = AuthStore(redis_client, settings.kafka_topic_prefix)
    if await store.is_revoked(str(claims.get("jti", "")), str(principal.id), float(claims["iat"])):
        raise AuthenticationFailed("token revoked")
    return principal


async def authenticate_connection_params(
    settings: Settings, params: Any, pool: Any, redis_client: Any
) -> Principal | None:
    """The principal of a WebSocket from its connection_init payload: `{"authorization":
    "Bearer <token>"}` (or "ApiKey <key>") or `{"apiKey": "<key>"}`; same checks as HTTP."""
    if not isinstance(params, dict):
        return None
    headers: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        if name.lower() == "authorization":
            headers["authorization"] = value
        elif name.lower() in ("apikey", "x-api-key"):
            headers["x-api-key"] = value
    return await authenticate(settings, headers, pool, redis_client)
