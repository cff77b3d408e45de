"""Merge and erase touch every table they must, and repeating them changes nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from domain.auth import Role
from domain.customer import points
from tests.conftest import TestEnv
from tests.customer_helpers import gql, local_id, register, staff_token

ADDRESS = {"line1": "9 Quay St", "city": "Dublin", "countryCode": "IE", "defaultShipping": True}
MERGE = """mutation($s: ID!, $m: ID!) { customerMerge(survivorId: $s, mergedId: $m) {
  merged survivor { id identities { kind value } addresses { line1 isDefaultShipping }
  loyalty { balance } carts { id } orders { edges { node { id } } } } userErrors { code field } } }"""
ERASE = """mutation($c: ID) { customerErase(customerId: $c) { customerId erased userErrors { code } } }"""


async def _add_address(client: httpx.AsyncClient, token: str, line1: str) -> None:
    body = await gql(
        client,
        "mutation($i: CustomerAddressInput!) { customerAddressAdd(input: $i) { userErrors { code } } }",
        {"i": {**ADDRESS, "line1": line1}},
        token=token,
    )
    assert body["data"]["customerAddressAdd"]["userErrors"] == []


async def _cart_and_order(
    db: asyncpg.Connection[Any], customer_id: uuid.UUID, total: int
) -> tuple[uuid.UUID, uuid.UUID]:
    channel = await db.fetchval(
        """INSERT INTO channels (code, name, currency_code) VALUES ('WEB', 'Web', 'EUR')
           ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id"""
    )
    cart = await db.fetchval(
        "INSERT INTO carts (channel_id, currency_code, customer_id) VALUES ($1, 'EUR', $2) RETURNING id",
        channel,
        customer_id,
    )
    order = await db.fetchval(
        "INSERT INTO orders (customer_id, channel_id, currency_code, total_minor) VALUES ($1, $2, 'EUR', $3) RETURNING id",
        customer_id,
        channel,
        total,
    )
    return cart, order


async def _earn(env: TestEnv, customer_id: uuid.UUID, order_id: uuid.UUID, amount: int) -> int:
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        async with UnitOfWork(pool) as uow:
            return await points.earn_points(uow, customer_id, order_id, amount, "EUR")
    finally:
        await pool.close()


async def test_merge_moves_everything_once(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    survivor = await register(client, firstName="Sam")
    merged = await register(client, phone="+61 2 9374 4000")
    s_id, m_id = local_id(survivor["customer"]["id"]), local_id(merged["customer"]["id"])
    await _add_address(client, survivor["accessToken"], "1 Survivor Rd")
    await _add_address(client, merged["accessToken"], "2 Merged Rd")
    s_cart, s_order = await _cart_and_order(db, s_id, 1000)
    m_cart, m_order = await _cart_and_order(db, m_id, 2550)
    assert await _earn(env, m_id, m_order, 2550) == 25
    assert await _earn(env, m_id, m_order, 2550) == 0  # an order earns once
    staff = staff_token(env.settings(), Role.SUPPORT)
    variables = {"s": survivor["customer"]["id"], "m": merged["customer"]["id"]}

    body = (await gql(client, MERGE, variables, token=staff))["data"]["customerMerge"]
    assert body["merged"] is True and body["userErrors"] == []
    result = body["survivor"]
    assert {i["kind"] for i in result["identities"]} == {"EMAIL", "PHONE"}
    assert len(result["identities"]) == 3
    assert result["addresses"] == [
        {"line1": "1 Survivor Rd", "isDefaultShipping": True},
        {"line1": "2 Merged Rd", "isDefaultShipping": False},
    ]
    assert result["loyalty"] == {"balance": 25}
    assert {c["id"] for c in result["carts"]} == {f"gid://ucg/Cart/{c}" for c in (s_cart, m_cart)}
    assert {e["node"]["id"] for e in result["orders"]["edges"]} == {
        f"gid://ucg/Order/{o}" for o in (s_order, m_order)
    }
    for table in ("customer_identities", "customer_addresses", "carts", "orders", "loyalty_ledger"):
        assert (
            await db.fetchval(f"SELECT count(*) FROM {table} WHERE customer_id = $1", m_id) == 0
        ), table
    row = await db.fetchrow(
        "SELECT merged_into, merged_at, password_hash FROM customers WHERE id = $1", m_id
    )
    assert row["merged_into"] == s_id and row["merged_at"] and row["password_hash"] is None
    events = await db.fetch(
        "SELECT type, payload FROM outbox WHERE type = 'ucg.customer.merged.v1'"
    )
    assert len(events) == 1
    assert events[0]["payload"] == {"customerId": str(m_id), "survivorId": str(s_id)}
    # The merged record's sessions end; node(id) of it answers the survivor, for staff.
    response = await client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"authorization": f"Bearer {merged['accessToken']}"},
    )
    assert response.status_code == 401
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": merged["customer"]["id"]},
        token=staff,
    )
    assert node["data"]["node"]["id"] == survivor["customer"]["id"]
    # Points of orders of the merged record now go to the survivor.
    late_cart, late_order = await _cart_and_order(db, s_id, 500)
    assert await _earn(env, m_id, late_order, 500) == 5
    assert (
        await db.fetchval("SELECT sum(points) FROM loyalty_ledger WHERE customer_id = $1", s_id)
        == 30
    )

    before = [
        await db.fetch(f"SELECT * FROM {t} ORDER BY 1")
        for t in (
            "customers",
            "customer_identities",
            "customer_addresses",
            "loyalty_ledger",
            "outbox",
        )
    ]
    again = (await gql(client, MERGE, variables, token=staff))["data"]["customerMerge"]
    assert again["merged"] is False and again["userErrors"] == []
    after = [
        await db.fetch(f"SELECT * FROM {t} ORDER BY 1")
        for t in (
            "customers",
            "customer_identities",
            "customer_addresses",
            "loyalty_ledger",
            "outbox",
        )
    ]
    assert before == after
    # The other way round is refused, and so is merging into oneself.
    swapped = (await gql(client, MERGE, {"s": variables["m"], "m": variables["s"]}, token=staff))[
        "data"
    ]["customerMerge"]
    assert swapped["userErrors"][0]["code"] == "INVALID"
    self_merge = (
        await gql(client, MERGE, {"s": variables["s"], "m": variables["s"]}, token=staff)
    )["data"]["customerMerge"]
    assert self_merge["userErrors"] == [{"code": "INVALID", "field": ["mergedId"]}]


async def test_erase_anonymizes_everywhere_and_keeps_financials(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    # Other areas' personal columns (orders, returns): erasure finds them through
    # domain/personal_data.py, not by their names.
    person = await register(
        client, phone="+49 151 23456789", firstName="Erin", marketingConsent=True
    )
    other = await register(client, firstName="Keep")
    c_id = local_id(person["customer"]["id"])
    await _add_address(client, person["accessToken"], "7 Private Way")
    cart, order = await _cart_and_order(db, c_id, 9999)
    other_cart, other_order = await _cart_and_order(db, local_id(other["customer"]["id"]), 100)
    for order_id, name, line1, city, country in (
        (order, "Erin E", "7 Private Way", "Munich", "DE"),
        (other_order, "Keep K", "1 Kept St", "Paris", "FR"),
    ):
        await db.execute(
            """UPDATE orders SET shipping_address = $2, address_key = $3,
                   card_fingerprint = $4 WHERE id = $1""",
            order_id,
            {"name": name, "line1": line1, "city": city, "countryCode": country},
            f"{line1.lower()}|{city.lower()}",
            f"fp-{name}",
        )
        await db.execute(
            """INSERT INTO returns (order_id, reason, note, currency_code, refund_minor,
                   idempotency_key, request_hash)
               VALUES ($1, 'DAMAGED', $2, 'EUR', 0, $3, 'h')""",
            order_id,
            f"{name} says: ring {city} first",
            f"return-{order_id}",
        )
    await _earn(env, c_id, order, 9999)
    refresh = person["refreshToken"]

    exported = await gql(
        client,
        "mutation { customerDataExport { data userErrors { code } } }",
        token=person["accessToken"],
    )
    document = exported["data"]["customerDataExport"]["data"]
    flat = json.dumps(document)
    for datum in (
        person["email"],
        "+4915123456789",
        "7 Private Way",
        "Erin",
        "Erin E says",
        "Munich",
    ):
        assert datum in flat, datum
    assert "argon2" not in flat and "Keep" not in flat and "1 Kept St" not in flat
    assert document["orders"][0]["total_minor"] == 9999 and len(document["loyaltyLedger"]) == 1

    erased = (await gql(client, ERASE, {}, token=person["accessToken"]))["data"]["customerErase"]
    assert erased == {"customerId": person["customer"]["id"], "erased": True, "userErrors": []}
    row = await db.fetchrow("SELECT * FROM customers WHERE id = $1", c_id)
    assert row["display_name"] == "" and row["first_name"] is None and row["password_hash"] is None
    assert row["marketing_consent"] is False and row["erased_at"] is not None
    assert (
        await db.fetchval("SELECT count(*) FROM customer_identities WHERE customer_id = $1", c_id)
        == 0
    )
    assert (
        await db.fetchval("SELECT count(*) FROM customer_addresses WHERE customer_id = $1", c_id)
        == 0
    )
    kept = await db.fetchrow(
        """SELECT customer_id, total_minor, currency_code, shipping_address, address_key,
                  card_fingerprint FROM orders WHERE id = $1""",
        order,
    )
    assert tuple(kept.values()) == (c_id, 9999, "EUR", None, None, None)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM carts WHERE id = $1 AND customer_id = $2", cart, c_id
        )
        == 1
    )
    returned = await db.fetchrow("SELECT note, reason FROM returns WHERE order_id = $1", order)
    assert tuple(returned.values()) == (None, "DAMAGED")
    untouched = await db.fetchrow(
        """SELECT o.shipping_address, o.address_key, r.note FROM orders o
           JOIN returns r ON r.order_id = o.id WHERE o.id = $1""",
        other_order,
    )
    assert tuple(untouched.values()) == (
        {"name": "Keep K", "line1": "1 Kept St", "city": "Paris", "countryCode": "FR"},
        "1 kept st|paris",
        "Keep K says: ring Paris first",
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM refresh_tokens WHERE subject_id = $1 AND revoked_at IS NULL", c_id
        )
        == 0
    )
    events = await db.fetch(
        "SELECT topic, payload FROM outbox WHERE type = 'ucg.customer.erased.v1'"
    )
    assert [(e["topic"], e["payload"]) for e in events] == [
        ("ucg.customers.v1", {"customerId": str(c_id)})
    ]
    every_payload = json.dumps([r[0] for r in await db.fetch("SELECT payload FROM outbox")])
    assert person["email"] not in every_payload and "+4915123456789" not in every_payload

    # Signed out everywhere; the email is free for a new account.
    response = await client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"authorization": f"Bearer {person['accessToken']}"},
    )
    assert response.status_code == 401
    refreshed = await gql(
        client,
        "mutation($t: String!) { tokenRefresh(refreshToken: $t) { accessToken } }",
        {"t": refresh},
    )
    assert refreshed["data"]["tokenRefresh"]["accessToken"] is None

    before = [
        await db.fetch(f"SELECT * FROM {t} ORDER BY 1")
        for t in ("customers", "orders", "returns", "outbox")
    ]
    staff = staff_token(env.settings(), Role.SUPPORT)
    again = (await gql(client, ERASE, {"c": person["customer"]["id"]}, token=staff))["data"][
        "customerErase"
    ]
    assert again == {"customerId": person["customer"]["id"], "erased": False, "userErrors": []}
    assert before == [
        await db.fetch(f"SELECT * FROM {t} ORDER BY 1")
        for t in ("customers", "orders", "returns", "outbox")
    ]
    fresh = await register(client, email=person["email"])
    assert fresh["userErrors"] == []
    seen = await gql(
        client,
        "query($id: ID!) { customer(id: $id) { erased displayName identities { kind } } }",
        {"id": person["customer"]["id"]},
        token=staff,
    )
    assert seen["data"]["customer"] == {"erased": True, "displayName": "", "identities": []}
    # An associate may read customers but not erase them.
    associate = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    denied = (await gql(client, ERASE, {"c": other["customer"]["id"]}, token=associate))["data"][
        "customerErase"
    ]
    assert denied["userErrors"][0]["code"] == "FORBIDDEN"


async def test_inactive_points_expire_once(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    from datetime import UTC, datetime, timedelta

    person = await register(client)
    c_id = local_id(person["customer"]["id"])
    _, order = await _cart_and_order(db, c_id, 12_000)
    assert await _earn(env, c_id, order, 12_000) == 120
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        soon = datetime.now(UTC) + timedelta(days=30)
        later = datetime.now(UTC) + timedelta(days=800)
        async with UnitOfWork(pool) as uow:
            assert await points.expire_inactive_points(uow, c_id, soon) == 0
        async with UnitOfWork(pool) as uow:
            assert await points.expire_inactive_points(uow, c_id, later) == 120
        async with UnitOfWork(pool) as uow:
            assert await points.expire_inactive_points(uow, c_id, later) == 0
    finally:
        await pool.close()
    rows = await db.fetch(
        "SELECT kind, points FROM loyalty_ledger WHERE customer_id = $1 ORDER BY id", c_id
    )
    assert [(r["kind"], r["points"]) for r in rows] == [("EARN", 120), ("EXPIRE", -120)]
    view = await gql(
        client,
        "{ me { loyalty { balance lifetimeEarned tier entries { kind points } } } }",
        token=person["accessToken"],
    )
    assert view["data"]["me"]["loyalty"] == {
        "balance": 0,
        "lifetimeEarned": 120,
        "tier": "BASE",
        "entries": [{"kind": "EXPIRE", "points": -120}, {"kind": "EARN", "points": 120}],
    }
