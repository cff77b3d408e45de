"""Accounts and credentials: register, login, refresh, logout, bad tokens, API keys, throttling."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import issue_access_token, principal_from_token
from domain.auth import Principal, PrincipalKind, Role
from tests.conftest import ROOT, TestEnv
from tests.customer_helpers import PASSWORD, gql, login, register, staff_token
from tests.helpers import unique

ME = "{ me { id displayName identities { kind value } } }"


async def test_register_login_and_me(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    email = f"{unique('Ada.')}@Example.COM"
    registered = await register(client, email=email, phone="+44 (0)20 7946 0958", firstName="Ada")
    assert registered["userErrors"] == []
    assert registered["customer"]["displayName"] == "Ada"
    me = await gql(client, ME, token=registered["accessToken"])
    kinds = {i["kind"]: i["value"] for i in me["data"]["me"]["identities"]}
    assert kinds == {"EMAIL": email.lower(), "PHONE": "+442079460958"}
    stored = await db.fetchval("SELECT password_hash FROM customers")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    # Login by email in any case, and by phone written differently.
    for login_ in (email.upper(), "0044 20 7946 0958"):
        signed_in = await login(client, login_)
        assert signed_in["userErrors"] == [] and signed_in["accessToken"], login_
    wrong = await login(client, email, "wrong password!!")
    assert wrong["accessToken"] is None and wrong["userErrors"][0]["code"] == "UNAUTHENTICATED"
    unknown = await login(client, "nobody@example.com", "wrong password!!")
    assert unknown["userErrors"][0]["message"] == wrong["userErrors"][0]["message"]


async def test_register_rejects_duplicates_and_bad_input(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    first = await register(client)
    again = await register(client, email=first["email"].upper())
    assert again["userErrors"][0]["code"] == "TAKEN"
    assert again["userErrors"][0]["field"] == ["input", "email"]
    short = await register(client, password="short")
    assert short["userErrors"][0]["field"] == ["input", "password"]
    bad_phone = await register(client, phone="020 7946 0958")
    assert bad_phone["userErrors"][0]["field"] == ["input", "phone"]
    assert await db.fetchval("SELECT count(*) FROM customers") == 1
    assert await db.fetchval("SELECT count(*) FROM customer_identities") == 1


REFRESH = """mutation($t: String!) { tokenRefresh(refreshToken: $t) {
  accessToken refreshToken userErrors { code } } }"""
LOGOUT = """mutation($t: String) { logout(refreshToken: $t) { revoked userErrors { code } } }"""


async def test_refresh_rotates_and_reuse_ends_the_session(client: httpx.AsyncClient) -> None:
    session = await register(client)
    first = (await gql(client, REFRESH, {"t": session["refreshToken"]}))["data"]["tokenRefresh"]
    assert first["userErrors"] == [] and first["accessToken"] and first["refreshToken"]
    assert (await gql(client, ME, token=first["accessToken"]))["data"]["me"] is not None
    # The old refresh token was used: presenting it again is theft; the family dies.
    replay = (await gql(client, REFRESH, {"t": session["refreshToken"]}))["data"]["tokenRefresh"]
    assert replay["accessToken"] is None and replay["userErrors"][0]["code"] == "UNAUTHENTICATED"
    after = (await gql(client, REFRESH, {"t": first["refreshToken"]}))["data"]["tokenRefresh"]
    assert after["accessToken"] is None
    # An access token is not a refresh token, and vice versa.
    wrong = (await gql(client, REFRESH, {"t": first["accessToken"]}))["data"]["tokenRefresh"]
    assert wrong["userErrors"][0]["code"] == "UNAUTHENTICATED"
    response = await client.post(
        "/graphql",
        json={"query": ME},
        headers={"authorization": f"Bearer {first['refreshToken']}"},
    )
    assert response.status_code == 401


async def test_a_refresh_that_fails_to_store_the_new_token_leaves_the_old_one_usable(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    session = await register(client)
    # A real failure between "old token used" and "new token stored": the insert is refused.
    await db.execute(
        """CREATE FUNCTION refuse_token() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
           CREATE TRIGGER refuse_token BEFORE INSERT ON refresh_tokens
           FOR EACH ROW EXECUTE FUNCTION refuse_token()"""
    )
    failed = await gql(client, REFRESH, {"t": session["refreshToken"]})
    assert failed["data"] is None or failed["data"]["tokenRefresh"] is None
    assert failed["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    await db.execute("DROP TRIGGER refuse_token ON refresh_tokens")
    # Nothing was half-done: the old token still works once, and is not taken for a theft.
    retried = (await gql(client, REFRESH, {"t": session["refreshToken"]}))["data"]["tokenRefresh"]
    assert retried["userErrors"] == [] and retried["refreshToken"]
    assert (await gql(client, ME, token=retried["accessToken"]))["data"]["me"] is not None


async def test_logout_revokes_access_and_refresh(client: httpx.AsyncClient) -> None:
    session = await register(client)
    other = await login(client, session["email"])
    token = session["accessToken"]
    out = await gql(client, LOGOUT, {"t": session["refreshToken"]}, token=token)
    assert out["data"]["logout"] == {"revoked": True, "userErrors": []}
    response = await client.post(
        "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    refreshed = (await gql(client, REFRESH, {"t": session["refreshToken"]}))["data"]
    assert refreshed["tokenRefresh"]["accessToken"] is None
    # Another session (another device) is not affected.
    assert (await gql(client, ME, token=other["accessToken"]))["data"]["me"] is not None


async def test_expired_tampered_and_foreign_tokens_get_401(
    client: httpx.AsyncClient, env: TestEnv
) -> None:
    settings = env.settings()
    session = await register(client)
    sub = session["customer"]["id"].rsplit("/", 1)[-1]
    me = Principal(PrincipalKind.CUSTOMER, uuid.UUID(sub))
    expired = issue_access_token(settings, me, ttl_seconds=-10)
    good = session["accessToken"]
    head, payload, signature = good.split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}AAAA"
    claims = jwt.decode(good, options={"verify_signature": False})
    wrong_audience = jwt.encode({**claims, "aud": "someone-else"}, settings.jwt_secret)
    wrong_issuer = jwt.encode({**claims, "iss": "evil"}, settings.jwt_secret)
    wrong_key = jwt.encode(claims, "k" * 40)
    none_alg = jwt.encode(claims, None, algorithm="none")
    for token in (expired, tampered, wrong_audience, wrong_issuer, wrong_key, none_alg):
        response = await client.post(
            "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, token
    assert (await gql(client, ME, token=good))["data"]["me"]["id"] == session["customer"]["id"]


async def test_rs256_with_a_key_pair(env: TestEnv) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings = env.settings(jwt_algorithm="RS256", jwt_private_key=private, jwt_public_key=public)
    staff = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.SUPPORT}))
    token = issue_access_token(settings, staff)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert principal_from_token(settings, token) == staff
    # An HS256 token signed with the shared secret is refused when RS256 is configured.
    from api.auth import AuthenticationFailed

    with pytest.raises(AuthenticationFailed):
        principal_from_token(settings, issue_access_token(env.settings(), staff))


async def test_login_is_throttled_per_account(client: httpx.AsyncClient, env: TestEnv) -> None:
    session = await register(client)
    limit = env.settings().login_failures_per_account
    for _ in range(limit):
        failed = await login(client, session["email"], "wrong password!!")
        assert failed["userErrors"][0]["code"] == "UNAUTHENTICATED"
    # Locked now, even with the right password, until the window passes.
    locked = await login(client, session["email"])
    assert locked["accessToken"] is None and locked["userErrors"][0]["code"] == "THROTTLED"
    # Another account from the same address is not locked by these.
    other = await register(client)
    assert (await login(client, other["email"]))["accessToken"]


async def test_login_is_throttled_per_address(env: TestEnv) -> None:
    from api.app import create_app

    app = create_app(env.settings(login_failures_per_address=3))
    await app.state.services.start()
    try:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://ucg.test") as c:
            victim = await register(c)
            for i in range(3):
                await login(c, f"nobody{i}@example.com", "wrong password!!")
            locked = await login(c, victim["email"])
            assert locked["userErrors"][0]["code"] == "THROTTLED"
        other = httpx.ASGITransport(app=app, client=("198.51.100.9", 5555))
        async with httpx.AsyncClient(transport=other, base_url="http://ucg.test") as c:
            assert (await login(c, victim["email"]))["accessToken"]
    finally:
        await app.state.services.close()


async def _ucg(env: TestEnv, *args: str, **environ: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "entrypoints.cli",
        *args,
        env=env.environ(**environ),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _in_process(
    env: TestEnv, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str]:
    """The CLI command's own coroutine, in this process (the subprocess start costs seconds)."""
    from entrypoints import cli, cli_auth

    args = cli.build_parser().parse_args(list(argv))
    run = cli_auth._apikey if args.command == "apikey" else cli_auth._staff
    capsys.readouterr()
    code = await run(env.settings(), args)
    return code, capsys.readouterr().out


async def test_api_keys_create_use_list_revoke(
    client: httpx.AsyncClient, env: TestEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await _ucg(
        env, "apikey", "create", "--name", "till 3", "--channel", "POS", "--role", "POS"
    )
    assert code == 0, err
    key = out.strip()
    prefix = key.split("_")[1]
    session = await register(client, phone="+49 30 1234567")
    lookup = """query($v: String!) { customerLookup(kind: PHONE, value: $v) { id } }"""
    for headers in ({"x-api-key": key}, {"authorization": f"ApiKey {key}"}):
        found = await gql(client, lookup, {"v": "+49 (30) 123-4567"}, headers=headers)
        assert found["data"]["customerLookup"]["id"] == session["customer"]["id"]
    # A customer cannot look anyone up.
    denied = await gql(client, lookup, {"v": "+49301234567"}, token=session["accessToken"])
    assert denied["data"] is None or denied["data"]["customerLookup"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _in_process(env, capsys, "apikey", "revoke", prefix) == (0, f"revoked {prefix}\n")
    for headers in ({"x-api-key": key}, {"x-api-key": key[:-3] + "abc"}, {"x-api-key": "junk"}):
        response = await client.post(
            "/graphql", json={"query": lookup, "variables": {"v": "1"}}, headers=headers
        )
        assert response.status_code == 401
    both = await client.post(
        "/graphql",
        json={"query": ME},
        headers={"x-api-key": key, "authorization": f"Bearer {staff_token(env.settings())}"},
    )
    assert both.status_code == 401
    code, listed = await _in_process(env, capsys, "apikey", "list")
    assert code == 0 and prefix in listed and "till 3" in listed and "revoked" in listed
    assert key.split("_", 2)[2] not in listed  # never the secret


async def test_staff_login_carries_roles(
    client: httpx.AsyncClient,
    env: TestEnv,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    email = f"{unique('s')}@shop.example"
    monkeypatch.setenv("UCG_STAFF_PASSWORD", "staff password 1")
    code, out = await _in_process(
        env, capsys, "staff", "create", "--email", email, "--role", "SUPPORT"
    )
    assert code == 0 and out.startswith("staff user "), out
    body = await gql(
        client,
        "mutation($i: StaffLoginInput!) { staffLogin(input: $i) { accessToken refreshToken userErrors { code } } }",
        {"i": {"email": email.upper(), "password": "staff password 1"}},
    )
    token = body["data"]["staffLogin"]["accessToken"]
    principal = principal_from_token(env.settings(), token)
    assert principal.kind is PrincipalKind.STAFF and principal.roles == {Role.SUPPORT}
    refreshed = await gql(client, REFRESH, {"t": body["data"]["staffLogin"]["refreshToken"]})
    assert principal_from_token(
        env.settings(), refreshed["data"]["tokenRefresh"]["accessToken"]
    ).roles == {Role.SUPPORT}


def _rsa_pem() -> tuple[Any, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key, pem


async def test_rs256_with_a_jwks_url(env: TestEnv) -> None:
    """Tokens of an outside identity provider, verified with keys from its JWKS URL."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from api.app import create_app

    key, private = _rsa_pem()
    _, foreign_private = _rsa_pem()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = env.settings(
        jwt_algorithm="RS256", jwt_jwks_url=f"http://127.0.0.1:{server.server_port}/jwks.json"
    )
    app = create_app(settings)
    await app.state.services.start()
    try:
        claims = {
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "sub": str(uuid.uuid4()),
            "kind": "STAFF",
            "roles": ["SUPPORT"],
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        }
        good = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "idp-1"})
        forged = jwt.encode(claims, foreign_private, algorithm="RS256", headers={"kid": "idp-1"})
        hs = jwt.encode(claims, settings.jwt_secret, algorithm="HS256", headers={"kid": "idp-1"})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ucg.test") as c:
            for token, status in ((good, 200), (forged, 401), (hs, 401)):
                response = await c.post(
                    "/graphql",
                    json={"query": "{ __typename }"},
                    headers={"authorization": f"Bearer {token}"},
                )
                assert response.status_code == status, token
    finally:
        await app.state.services.close()
        server.shutdown()
        server.server_close()


async def test_concurrent_registrations_of_one_email(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    email = f"{unique('race')}@example.com"
    results = await asyncio.gather(*(register(client, email=email) for _ in range(4)))
    winners = [r for r in results if r["userErrors"] == []]
    losers = [r for r in results if r["userErrors"]]
    assert len(winners) == 1
    assert {r["userErrors"][0]["code"] for r in losers} == {"TAKEN"}
    assert await db.fetchval("SELECT count(*) FROM customer_identities") == 1
    assert await db.fetchval("SELECT count(*) FROM customers") == 1
    bad = await register(client, channel="web shop")
    assert bad["userErrors"][0]["field"] == ["input", "channel"]


async def test_websocket_connection_params_use_the_same_checks(
    client: httpx.AsyncClient, env: TestEnv
) -> None:
    from api.auth import AuthenticationFailed, authenticate_connection_params
    from datasources.postgres.pool import create_pool
    from datasources.redis.client import create_redis

    session = await register(client)
    settings = env.settings()
    pool = await create_pool(env.database_url, min_size=1, max_size=1)
    redis_client = create_redis(env.servers.redis_url)
    try:
        bearer = {"Authorization": f"Bearer {session['accessToken']}"}
        principal = await authenticate_connection_params(settings, bearer, pool, redis_client)
        assert principal is not None and str(principal.id) in session["customer"]["id"]
        assert await authenticate_connection_params(settings, {}, pool, redis_client) is None
        assert await authenticate_connection_params(settings, None, pool, redis_client) is None
        await gql(client, LOGOUT, {"t": None}, token=session["accessToken"])
        with pytest.raises(AuthenticationFailed):
            await authenticate_connection_params(settings, bearer, pool, redis_client)
        with pytest.raises(AuthenticationFailed):
            await authenticate_connection_params(
                settings, {"apiKey": "ucg_x_y"}, pool, redis_client
            )
    finally:
        await redis_client.aclose()
        await pool.close()
