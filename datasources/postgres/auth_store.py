"""Staff users, API keys and refresh tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"


@dataclass(frozen=True)
class StaffUser:
    id: uuid.UUID
    email: str
    display_name: str
    password_hash: str
    roles: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class ApiKey:
    id: uuid.UUID
    prefix: str
    secret_hash: str
    name: str
    channel_code: str | None
    roles: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    location_id: uuid.UUID | None = None  # the one store the key works at, if bound


@dataclass(frozen=True)
class RefreshToken:
    id: uuid.UUID
    family_id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


def _staff(r: asyncpg.Record) -> StaffUser:
    return StaffUser(
        r["id"], r["email"], r["display_name"], r["password_hash"], tuple(r["roles"]), r["active"]
    )


def _api_key(r: asyncpg.Record) -> ApiKey:
    return ApiKey(
        r["id"],
        r["prefix"],
        r["secret_hash"],
        r["name"],
        r["channel_code"],
        tuple(r["roles"]),
        r["created_at"],
        r["revoked_at"],
        r["location_id"],
    )


async def create_staff_user(
    db: Executor, email: str, display_name: str, password_hash: str, roles: list[str]
) -> StaffUser:
    row = await db.fetchrow(
        """INSERT INTO staff_users (email, display_name, password_hash, roles)
           VALUES ($1, $2, $3, $4) RETURNING *""",
        email,
        display_name,
        password_hash,
        roles,
    )
    assert row is not None
    return _staff(row)


async def staff_user_by_email(db: Executor, email: str) -> StaffUser | None:
    row = await db.fetchrow("SELECT * FROM staff_users WHERE email = $1", email)
    return _staff(row) if row else None


async def staff_user_by_id(db: Executor, staff_id: uuid.UUID) -> StaffUser | None:
    row = await db.fetchrow("SELECT * FROM staff_users WHERE id = $1", staff_id)
    return _staff(row) if row else None


async def create_api_key(
    db: Executor,
    prefix: str,
    secret_hash: str,
    name: str,
    channel_code: str | None,
    roles: list[str],
    location_id: uuid.UUID | None = None,
) -> ApiKey:
    row = await db.fetchrow(
        """INSERT INTO api_keys (prefix, secret_hash, name, channel_code, roles, location_id)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        prefix,
        secret_hash,
        name,
        channel_code,
        roles,
        location_id,
    )
    assert row is not None
    return _api_key(row)


async def api_key_by_prefix(db: Executor, prefix: str) -> ApiKey | None:
    row = await db.fetchrow("SELECT * FROM api_keys WHERE prefix = $1", prefix)
    return _api_key(row) if row else None


async def list_api_keys(db: Executor) -> list[ApiKey]:
    return [_api_key(r) for r in await db.fetch("SELECT * FROM api_keys ORDER BY created_at")]


async def revoke_api_key(db: Executor, prefix: str) -> bool:
    status: str = await db.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL", prefix
    )
    return status.endswith(" 1")


async def insert_refresh_token(
    db: Executor,
    token_id: uuid.UUID,
    family_id: uuid.UUID,
    subject_kind: str,
    subject_id: uuid.UUID,
    expires_at: datetime,
) -> None:
    await db.execute(
        """INSERT INTO refresh_tokens (id, family_id, subject_kind, subject_id, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        token_id,
        family_id,
        subject_kind,
        subject_id,
        expires_at,
    )


async def use_refresh_token(db: Executor, token_id: uuid.UUID) -> tuple[RefreshToken | None, bool]:
    """Mark the token used; return it and whether this call was the first use."""
    row = await db.fetchrow(
        """UPDATE refresh_tokens SET used_at = now()
           WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
           RETURNING *""",
        token_id,
    )
    if row is not None:
        return _refresh(row), True
    existing = await db.fetchrow("SELECT * FROM refresh_tokens WHERE id = $1", token_id)
    return (_refresh(existing) if existing else None), False


def _refresh(r: asyncpg.Record) -> RefreshToken:
    return RefreshToken(
        r["id"],
        r["family_id"],
        r["subject_kind"],
        r["subject_id"],
        r["expires_at"],
        r["used_at"],
        r["revoked_at"],
    )


async def revoke_refresh_family(db: Executor, family_id: uuid.UUID) -> int:
    status: str = await db.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        family_id,
    )
    return int(status.rsplit(" ", 1)[-1])


async def refresh_token_family(db: Executor, token_id: uuid.UUID) -> uuid.UUID | None:
    family: uuid.UUID | None = await db.fetchval(
        "SELECT family_id FROM refresh_tokens WHERE id = $1", token_id
    )
    return family
