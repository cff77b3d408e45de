"""`ucg apikey create|revoke|list` and `ucg staff create`: machine and staff credentials."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

import asyncpg

from api.settings import Settings
from domain.auth import Role

_ROLES = [r.value for r in Role]


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    apikey = sub.add_parser("apikey", help="create, revoke or list API keys of machine clients")
    actions = apikey.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key; it is printed once")
    create.add_argument("--name", required=True, help="who uses it, e.g. 'POS store 12 till 3'")
    create.add_argument("--channel", help="channel code the key is bound to, e.g. POS")
    create.add_argument(
        "--store", help="code of the one store (location) the key works at, e.g. AMS-01"
    )
    create.add_argument("--role", action="append", choices=_ROLES, required=True, dest="roles")
    revoke = actions.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix", help="the part between ucg_ and the next _")
    actions.add_parser("list", help="list keys (never their secrets)")
    staff = sub.add_parser("staff", help="manage staff users")
    staff_actions = staff.add_subparsers(dest="action", required=True)
    staff_create = staff_actions.add_parser(
        "create", help="create a staff user; the password is read from UCG_STAFF_PASSWORD or asked"
    )
    staff_create.add_argument("--email", required=True)
    staff_create.add_argument("--name", default="")
    staff_create.add_argument(
        "--role", action="append", choices=_ROLES, required=True, dest="roles"
    )


async def _apikey(settings: Settings, args: argparse.Namespace) -> int:
    from api.auth import new_api_key
    from datasources.postgres import auth_store

    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url)
    try:
        if args.action == "create":
            store = None
            if args.store is not None:
                store = await conn.fetchval("SELECT id FROM locations WHERE code = $1", args.store)
                if store is None:
                    print(f"ucg: no location with code {args.store}", file=sys.stderr)
                    return 1
            key, prefix, secret_hash = new_api_key()
            await auth_store.create_api_key(
                conn,
                prefix,
                secret_hash,
                args.name,
                args.channel,
                sorted(set(args.roles)),
                location_id=store,
            )
            print(key)
            print(f"prefix {prefix}: store the key now, it is not shown again", file=sys.stderr)
        elif args.action == "revoke":
            if not await auth_store.revoke_api_key(conn, args.prefix):
                print(f"ucg: no active API key with prefix {args.prefix}", file=sys.stderr)
                return 1
            print(f"revoked {args.prefix}")
        else:
            for k in await auth_store.list_api_keys(conn):
                state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
                print(
                    f"{k.prefix}\t{k.name}\t{k.channel_code or '-'}\t{','.join(k.roles)}\t{state}"
                )
    finally:
        await conn.close()
    return 0


async def _staff(settings: Settings, args: argparse.Namespace) -> int:
    from datasources.postgres import auth_store
    from domain.customer.identity import normalize_email
    from domain.customer.passwords import check_password_policy, hash_password
    from domain.errors import DomainError

    password = os.environ.get("UCG_STAFF_PASSWORD") or getpass.getpass("password: ")
    try:
        email = normalize_email(args.email)
        check_password_policy(password)
    except DomainError as error:
        print(f"ucg: {error.message}", file=sys.stderr)
        return 2
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url)
    try:
        staff = await auth_store.create_staff_user(
            conn, email, args.name, hash_password(password), sorted(set(args.roles))
        )
    except asyncpg.UniqueViolationError:
        print("ucg: a staff user with that email exists", file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print(f"staff user {staff.id}")
    return 0


def cmd_apikey(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.database_url:
        print("ucg: UCG_DATABASE_URL not set", file=sys.stderr)
        return 2
    return asyncio.run(_apikey(settings, args))


def cmd_staff(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.database_url:
        print("ucg: UCG_DATABASE_URL not set", file=sys.stderr)
        return 2
    return asyncio.run(_staff(settings, args))
