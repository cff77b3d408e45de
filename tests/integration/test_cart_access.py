"""Cart guards, ownership, merge on sign-in, expiry and cleanup, through GraphQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from api.auth import issue_access_token
from datasources.postgres.cart_cleanup import (
    CART_CLEANUP_LOCK_KEY,
    delete_expired_carts,
    run_cart_cleanup,
)
from datasources.postgres.pool import create_pool
from domain.auth import Principal, PrincipalKind, Role
from tests.conftest import TestEnv
from tests.helpers import keep_cart_tokens
from tests.integration.cart_support import (
    BUYER_UPDATE,
    CART_CREATE,
    CART_QUERY,
    CODES_UPDATE,
    LINES_ADD,
    LINES_REMOVE,
    LINES_UPDATE,
    NOTE_UPDATE,
    add_customer,
    customer_token,
    error_codes,
    gid,
    gql,
    lines_of,
    make_shop,
    mutate,
    ok,
    staff_token,
)

CUSTOMER_CARTS = """query($id: ID!) { node(id: $id) { ... on Customer {
  carts { id status } activeCart { id lines { edges { node { sku quantity } } } } } } }"""


async def _snapshot(db: asyncpg.Connection[Any]) -> tuple[Any, ...]:
    carts = await db.fetch("SELECT * FROM carts ORDER BY id")
    lines = await db.fetch("SELECT * FROM cart_lines ORDER BY id")
    outbox = await db.fetchval("SELECT count(*) FROM outbox")
    return [dict(r) for r in carts], [dict(r) for r in lines], outbox


async def _cart_state(db: asyncpg.Connection[Any], cart_gid: str) -> tuple[Any, ...]:
    local = cart_gid.rsplit("/", 1)[1]
    cart = await db.fetchrow("SELECT * FROM carts WHERE id = $1::uuid", local)
    lines = await db.fetch("SELECT * FROM cart_lines WHERE cart_id = $1::uuid ORDER BY id", local)
    return dict(cart or {}), [dict(r) for r in lines]


async def test_every_guard_is_a_user_error_and_changes_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    shop = await make_shop(db)
    web = gid("Channel", shop.web)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": web,
                    "lines": [
                        shop.line("MUG-1", 2),
                        shop.line("MUG-1", 1, attributes=[{"key": "gift", "value": "yes"}]),
                    ],
                }
            },
        )
    )
    cart_id, line_id = cart["id"], lines_of(cart)[0]["id"]
    gift_line_id = lines_of(cart)[1]["id"]
    before = await _snapshot(db)
    missing_variant = gid("ProductVariant", shop.web)
    create_cases: list[tuple[dict[str, Any], str, list[str]]] = [
        (
            {"lines": [shop.line("MUG-1", 0)]},
            "INVALID_QUANTITY",
            ["input", "lines", "0", "quantity"],
        ),
        (
            {"lines": [shop.line("MUG-1", 1), shop.line("MUG-1", 1000)]},
            "INVALID_QUANTITY",
            ["input", "lines", "1", "quantity"],
        ),
        (
            {"lines": [{"merchandiseId": missing_variant, "quantity": 1}]},
            "NOT_FOUND",
            ["input", "lines", "0", "merchandiseId"],
        ),
        (
            {"lines": [{"merchandiseId": "nope", "quantity": 1}]},
            "INVALID_ID",
            ["input", "lines", "0", "merchandiseId"],
        ),
        (
            {"lines": [shop.line("OLD-1")]},
            "VARIANT_UNAVAILABLE",
            ["input", "lines", "0", "merchandiseId"],
        ),
        ({"currency": "GBP"}, "CURRENCY_NOT_SUPPORTED", ["input", "currency"]),
        ({"channel": gid("Channel", shop.variants["MUG-1"])}, "NOT_FOUND", ["input", "channel"]),
        ({"channel": "gid://ucg/Product/x"}, "INVALID_ID", ["input", "channel"]),
        ({"note": "x" * 5001}, "INVALID", ["input", "note"]),
        ({"discountCodes": ["A", "B", "C", "D", "E", "F"]}, "INVALID", ["input", "discountCodes"]),
        (
            {"buyerIdentity": {"email": "not-an-email"}},
            "INVALID",
            ["input", "buyerIdentity", "email"],
        ),
        (
            {"buyerIdentity": {"countryCode": "nld"}},
            "INVALID",
            ["input", "buyerIdentity", "countryCode"],
        ),
        (
            {"buyerIdentity": {"customerId": gid("Customer", shop.web)}},
            "UNAUTHENTICATED",
            None,  # type: ignore[list-item]
        ),
    ]
    for values, code, field in create_cases:
        payload = await mutate(client, CART_CREATE, {"input": {"channel": web} | values})
        assert error_codes(payload) == [(code, field)], values
    # A variant without a price on APP is not sold there.
    payload = await mutate(
        client,
        CART_CREATE,
        {"input": {"channel": gid("Channel", shop.app), "lines": [shop.line("NOPRICE-1")]}},
    )
    assert error_codes(payload) == [
        ("VARIANT_UNAVAILABLE", ["input", "lines", "0", "merchandiseId"])
    ]

    change_cases: list[tuple[str, dict[str, Any], str, list[str] | None]] = [
        (
            LINES_ADD,
            {"lines": [shop.line("MUG-1", 998)]},
            "INVALID_QUANTITY",
            ["lines", "0", "quantity"],
        ),
        (LINES_ADD, {"lines": []}, "INVALID", ["lines"]),
        (
            LINES_ADD,
            {"lines": [shop.line("OLD-1")]},
            "VARIANT_UNAVAILABLE",
            ["lines", "0", "merchandiseId"],
        ),
        (
            LINES_ADD,
            {"lines": [shop.line("MUG-1", attributes=[{"key": "", "value": "x"}])]},
            "INVALID",
            ["lines", "0", "attributes"],
        ),
        (
            LINES_ADD,
            {
                "lines": [
                    shop.line(
                        "MUG-1", attributes=[{"key": f"k{i}", "value": "v"} for i in range(21)]
                    )
                ]
            },
            "INVALID",
            ["lines", "0", "attributes"],
        ),
        (
            LINES_ADD,
            {
                "lines": [
                    shop.line(
                        "MUG-1", attributes=[{"key": "k", "value": "1"}, {"key": "k", "value": "2"}]
                    )
                ]
            },
            "INVALID",
            ["lines", "0", "attributes"],
        ),
        (
            LINES_UPDATE,
            {"lines": [{"id": gift_line_id, "attributes": []}]},
            "INVALID",
            ["lines", "0", "attributes"],
        ),
        (
            BUYER_UPDATE,
            {"buyer": {"provinceCode": "toolong"}},
            "INVALID",
            ["buyerIdentity", "provinceCode"],
        ),
        (
            LINES_UPDATE,
            {"lines": [{"id": line_id, "quantity": 0}]},
            "INVALID_QUANTITY",
            ["lines", "0", "quantity"],
        ),
        (
            LINES_UPDATE,
            {"lines": [{"id": gid("CartLine", shop.web), "quantity": 1}]},
            "NOT_FOUND",
            ["lines", "0", "id"],
        ),
        (LINES_REMOVE, {"lineIds": [gid("CartLine", shop.web)]}, "NOT_FOUND", ["lineIds", "0"]),
        (LINES_REMOVE, {"lineIds": ["bad"]}, "INVALID_ID", ["lineIds", "0"]),
        (CODES_UPDATE, {"codes": ["x" * 65]}, "INVALID", ["discountCodes"]),
        (NOTE_UPDATE, {"note": "x" * 5001}, "INVALID", ["note"]),
        (BUYER_UPDATE, {"buyer": {"phone": "12345"}}, "INVALID", ["buyerIdentity", "phone"]),
        (
            BUYER_UPDATE,
            {"buyer": {"customerId": gid("Customer", shop.web)}},
            "UNAUTHENTICATED",
            None,
        ),
    ]
    for query, values, code, field in change_cases:
        payload = await mutate(client, query, {"cartId": cart_id} | values)
        assert error_codes(payload) == [(code, field)], values
    unknown = await mutate(client, NOTE_UPDATE, {"cartId": gid("Cart", shop.web), "note": "x"})
    assert error_codes(unknown) == [("NOT_FOUND", ["cartId"])]
    bad = await mutate(client, NOTE_UPDATE, {"cartId": "gid://ucg/Cart/zzz", "note": "x"})
    assert error_codes(bad) == [("INVALID_ID", ["cartId"])]
    assert await _snapshot(db) == before


async def test_another_customers_cart_is_off_limits(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shop = await make_shop(db)
    ann, bob = await add_customer(db, "Ann"), await add_customer(db, "Bob")
    settings = env.settings()
    ann_token, bob_token = customer_token(settings, ann), customer_token(settings, bob)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {"input": {"channel": gid("Channel", shop.web), "lines": [shop.line("MUG-1")]}},
            ann_token,
        )
    )
    assert cart["buyerIdentity"]["customer"] == {"id": gid("Customer", ann)}
    before = await _cart_state(db, cart["id"])

    # Someone else's cart reads exactly like a cart that does not exist (no existence leak).
    missing = gid("Cart", uuid.uuid4())
    body = await gql(client, CART_QUERY, {"id": cart["id"]}, bob_token)
    assert body["data"]["cart"] is None and "errors" not in body
    assert body["data"] == (await gql(client, CART_QUERY, {"id": missing}, bob_token))["data"]
    body = await gql(client, CART_QUERY, {"id": cart["id"]})
    assert body["data"]["cart"] is None and "errors" not in body
    for query, values in [
        (LINES_ADD, {"lines": [shop.line("MUG-1")]}),
        (NOTE_UPDATE, {"note": "mine now"}),
        (BUYER_UPDATE, {"buyer": {"customerId": gid("Customer", bob)}}),
    ]:
        payload = await mutate(client, query, {"cartId": cart["id"]} | values, bob_token)
        unknown = await mutate(client, query, {"cartId": missing} | values, bob_token)
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
        assert payload["userErrors"] == unknown["userErrors"]
    # A customer cannot attach someone else, even to a guest cart.
    guest = ok(await mutate(client, CART_CREATE, {"input": {"channel": gid("Channel", shop.web)}}))
    payload = await mutate(
        client,
        BUYER_UPDATE,
        {"cartId": guest["id"], "buyer": {"customerId": gid("Customer", ann)}},
        bob_token,
    )
    assert error_codes(payload) == [("FORBIDDEN", ["buyerIdentity", "customerId"])]
    payload = await mutate(
        client,
        CART_CREATE,
        {
            "input": {
                "channel": gid("Channel", shop.web),
                "buyerIdentity": {"customerId": gid("Customer", ann)},
            }
        },
        bob_token,
    )
    assert error_codes(payload) == [("FORBIDDEN", ["input", "buyerIdentity", "customerId"])]
    assert await _cart_state(db, cart["id"]) == before

    # Staff may read and change it; the owner too.
    staff = staff_token(settings, Role.SUPPORT)
    assert (await gql(client, CART_QUERY, {"id": cart["id"]}, staff))["data"]["cart"]["id"] == cart[
        "id"
    ]
    ok(await mutate(client, NOTE_UPDATE, {"cartId": cart["id"], "note": "by staff"}, staff))
    owner = await gql(client, CART_QUERY, {"id": cart["id"]}, ann_token)
    assert owner["data"]["cart"]["note"] == "by staff"
    # Credentials bound to a channel (a till signed in to one channel) create carts there only.
    # (API_KEY principals come from real keys only; a token claiming to be one is refused.)
    pos = issue_access_token(
        settings, Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.POS}), "APP")
    )
    payload = await mutate(
        client, CART_CREATE, {"input": {"channel": gid("Channel", shop.web)}}, pos
    )
    assert error_codes(payload) == [("FORBIDDEN", ["input", "channel"])]
    ok(await mutate(client, CART_CREATE, {"input": {"channel": gid("Channel", shop.app)}}, pos))
    # Not even staff can hand a customer's cart to someone else.
    payload = await mutate(
        client,
        BUYER_UPDATE,
        {"cartId": cart["id"], "buyer": {"customerId": gid("Customer", bob)}},
        staff,
    )
    assert error_codes(payload) == [("FORBIDDEN", ["buyerIdentity", "customerId"])]
    # Staff attaching an unknown customer: NOT_FOUND.
    payload = await mutate(
        client,
        BUYER_UPDATE,
        {"cartId": guest["id"], "buyer": {"customerId": gid("Customer", shop.web)}},
        staff,
    )
    assert error_codes(payload) == [("NOT_FOUND", ["buyerIdentity", "customerId"])]


async def test_sign_in_merges_the_customers_cart_across_channels(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shop = await make_shop(db)
    ann = await add_customer(db)
    token = customer_token(env.settings(), ann)
    await db.execute(
        "INSERT INTO discounts (code, kind, value, combinable) VALUES ('TEN', 'PERCENTAGE', 1000, true)"
    )
    # Yesterday, signed in on the web: 2 mugs, a tee, a code and a country.
    web_cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": gid("Channel", shop.web),
                    "lines": [shop.line("MUG-1", 2), shop.line("TEE-1", 1)],
                    "discountCodes": ["TEN"],
                    "buyerIdentity": {"countryCode": "DE"},
                }
            },
            token,
        )
    )
    # Today, as a guest in the app: 998 mugs and a cap.
    app_cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": gid("Channel", shop.app),
                    "lines": [shop.line("MUG-1", 998), shop.line("CAP-1", 1)],
                }
            },
        )
    )
    merged = ok(
        await mutate(
            client,
            BUYER_UPDATE,
            {
                "cartId": app_cart["id"],
                "buyer": {"customerId": gid("Customer", ann), "email": "ann@example.com"},
            },
            token,
        )
    )
    assert merged["id"] == app_cart["id"]
    assert merged["channel"]["id"] == gid("Channel", shop.app)
    assert merged["buyerIdentity"] == {
        "email": "ann@example.com",
        "countryCode": "DE",
        "customer": {"id": gid("Customer", ann)},
    }
    # Summed, capped at the maximum per line (999); the web cart's tee is added.
    assert [(line["sku"], line["quantity"]) for line in lines_of(merged)] == [
        ("MUG-1", 999),
        ("CAP-1", 1),
        ("TEE-1", 1),
    ]
    # Re-priced on the app channel; the code followed the shopper.
    assert [(c["code"], c["applicable"]) for c in merged["discountCodes"]] == [("TEN", True)]
    assert merged["cost"]["subtotal"]["amount"] == "10022.50"

    old = await gql(client, CART_QUERY, {"id": web_cart["id"]}, token)
    assert old["data"]["cart"]["status"] == "MERGED"
    assert old["data"]["cart"]["mergedInto"] == {"id": app_cart["id"]}
    payload = await mutate(client, NOTE_UPDATE, {"cartId": web_cart["id"], "note": "x"}, token)
    assert error_codes(payload) == [("CART_NOT_ACTIVE", ["cartId"])]

    body = await gql(client, CUSTOMER_CARTS, {"id": gid("Customer", ann)}, token)
    customer = body["data"]["node"]
    assert {(c["id"], c["status"]) for c in customer["carts"]} == {
        (web_cart["id"], "MERGED"),
        (app_cart["id"], "ACTIVE"),
    }
    assert customer["activeCart"]["id"] == app_cart["id"]

    events = await db.fetch("SELECT aggregate_id, payload FROM outbox ORDER BY id")
    merged_events = [e["payload"] for e in events if e["payload"]["reason"] == "MERGED"]
    assert merged_events[0]["cartId"] == web_cart["id"].rsplit("/", 1)[1]
    last = events[-1]["payload"]
    assert last["reason"] == "BUYER_IDENTITY_UPDATED" and last["signedIn"] is True
    assert last["mergedCartIds"] == [web_cart["id"].rsplit("/", 1)[1]]
    assert "ann@example.com" not in str([e["payload"] for e in events])

    # A new cart by the signed-in customer (another channel) takes the active one along.
    newest = ok(
        await mutate(client, CART_CREATE, {"input": {"channel": gid("Channel", shop.web)}}, token)
    )
    assert sorted((line["sku"], line["quantity"]) for line in lines_of(newest)) == [
        ("CAP-1", 1),
        ("MUG-1", 999),
        ("TEE-1", 1),
    ]
    body = await gql(client, CUSTOMER_CARTS, {"id": gid("Customer", ann)}, token)
    assert body["data"]["node"]["activeCart"]["id"] == newest["id"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM carts WHERE customer_id = $1 AND status = 'ACTIVE'", ann
        )
        == 1
    )
    # An expired cart is not the active one any more.
    await db.execute("UPDATE carts SET expires_at = now() - interval '1 minute'")
    body = await gql(client, CUSTOMER_CARTS, {"id": gid("Customer", ann)}, token)
    assert body["data"]["node"]["activeCart"] is None


async def test_expired_cart_is_a_typed_error_and_cleanup_removes_it(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shop = await make_shop(db)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {"input": {"channel": gid("Channel", shop.web), "lines": [shop.line("MUG-1")]}},
        )
    )
    expires = datetime.fromisoformat(cart["expiresAt"])
    assert timedelta(hours=239) < expires - datetime.now(UTC) <= timedelta(hours=240)
    local = cart["id"].rsplit("/", 1)[1]
    await db.execute(
        "UPDATE carts SET expires_at = now() - interval '1 hour' WHERE id = $1::uuid", local
    )
    body = await gql(client, CART_QUERY, {"id": cart["id"]})
    assert body["data"]["cart"] is None
    assert body["errors"][0]["extensions"]["code"] == "CART_EXPIRED"
    payload = await mutate(client, LINES_ADD, {"cartId": cart["id"], "lines": [shop.line("MUG-1")]})
    assert error_codes(payload) == [("CART_EXPIRED", ["cartId"])]

    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        now = datetime.now(UTC)
        # Within the grace period it stays, so a returning shopper reads CART_EXPIRED.
        assert await delete_expired_carts(pool, now=now, grace=timedelta(hours=24)) == 0
        # Another instance holds the lock: this one skips.
        holder = await asyncpg.connect(env.database_url)
        try:
            await holder.execute("SELECT pg_advisory_lock($1)", CART_CLEANUP_LOCK_KEY)
            assert await delete_expired_carts(pool, now=now, grace=timedelta(0)) is None
        finally:
            await holder.close()
        assert await db.fetchval("SELECT count(*) FROM carts") == 1
        # The task, started as the API starts it, removes the cart and its lines.
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_cart_cleanup(pool, interval_seconds=0.05, grace=timedelta(0), stop=stop)
        )
        deadline = time.monotonic() + 10
        for _ in iter(lambda: time.monotonic() < deadline, False):  # poll, with a timeout
            if not await db.fetchval("SELECT count(*) FROM carts"):
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)
        assert await db.fetchval("SELECT count(*) FROM carts") == 0
        assert await db.fetchval("SELECT count(*) FROM cart_lines") == 0
    finally:
        await pool.close()
    body = await gql(client, CART_QUERY, {"id": cart["id"]})
    assert body["data"]["cart"] is None and "errors" not in body


async def test_two_devices_signing_in_at_once_leave_one_active_cart(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shop = await make_shop(db)
    ann = await add_customer(db)
    token = customer_token(env.settings(), ann)
    ok(
        await mutate(
            client,
            CART_CREATE,
            {"input": {"channel": gid("Channel", shop.web), "lines": [shop.line("MUG-1")]}},
            token,
        )
    )
    guests = [
        ok(
            await mutate(
                client,
                CART_CREATE,
                {"input": {"channel": gid("Channel", shop.app), "lines": [shop.line(sku)]}},
            )
        )
        for sku in ("TEE-1", "CAP-1")
    ]
    results = await asyncio.gather(
        *(
            mutate(
                client,
                BUYER_UPDATE,
                {"cartId": g["id"], "buyer": {"customerId": gid("Customer", ann)}},
                token,
            )
            for g in guests
        )
    )
    assert all(r["userErrors"] == [] for r in results)
    active = await db.fetch(
        "SELECT id FROM carts WHERE customer_id = $1 AND status = 'ACTIVE'", ann
    )
    assert len(active) == 1
    # Every unit the shopper put in any cart is in the one active cart.
    quantities = await db.fetch(
        "SELECT v.sku, l.quantity FROM cart_lines l JOIN variants v ON v.id = l.variant_id "
        "WHERE l.cart_id = $1 ORDER BY v.sku",
        active[0]["id"],
    )
    assert [(r["sku"], r["quantity"]) for r in quantities] == [
        ("CAP-1", 1),
        ("MUG-1", 1),
        ("TEE-1", 1),
    ]


async def test_a_cart_has_at_most_the_configured_number_of_lines(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    from api.app import create_app

    shop = await make_shop(db)
    app = create_app(env.settings(cart_max_lines=2, cart_cleanup_interval_seconds=0))
    await app.state.services.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ucg.test") as client:
            keep_cart_tokens(client, env.settings().jwt_secret)
            cart = ok(
                await mutate(
                    client,
                    CART_CREATE,
                    {"input": {"channel": gid("Channel", shop.web), "lines": [shop.line("MUG-1")]}},
                )
            )
            payload = await mutate(
                client,
                LINES_ADD,
                {"cartId": cart["id"], "lines": [shop.line("TEE-1"), shop.line("CAP-1")]},
            )
            assert error_codes(payload) == [("INVALID", ["lines"])]
            # Adding to an existing line is not a new line.
            ok(
                await mutate(
                    client, LINES_ADD, {"cartId": cart["id"], "lines": [shop.line("MUG-1")]}
                )
            )
    finally:
        await app.state.services.close()
    assert await db.fetchval("SELECT array_agg(quantity) FROM cart_lines") == [2]
