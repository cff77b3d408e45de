"""Segments on real Postgres: definitions over GraphQL, batch and real-time membership with
their events, segment-limited discount codes (cart and checkout), GDPR."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson

from datasources.postgres.interactions import apply_to_profile
from datasources.postgres.pool import create_pool
from datasources.postgres.segments import (
    _SWEEP_LOCK,
    reevaluate_customer,
    sweep_segments,
    trigger_of,
)
from datasources.postgres.uow import UnitOfWork
from domain.auth import Role
from domain.customer.interactions import Interaction, InteractionType
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, staff_token
from tests.integration.cart_support import CART_QUERY, CODES_UPDATE, gid, mutate
from tests.integration.interaction_support import make_store
from tests.order_helpers import COMPLETE, SHIP, VISA, make_sale

CREATE = """mutation($input: SegmentCreateInput!) { segmentCreate(input: $input) {
  segment { id name description memberCount
            rule { match conditions { field operator values } groups { match } } }
  evaluatedCustomers membershipChanges userErrors { code field message } } }"""
UPDATE = """mutation($id: ID!, $input: SegmentUpdateInput!) { segmentUpdate(id: $id, input: $input) {
  segment { name memberCount } evaluatedCustomers membershipChanges
  userErrors { code field } } }"""
DELETE = """mutation($id: ID!) { segmentDelete(id: $id) { deletedSegmentId userErrors { code field } } }"""
SEGMENTS = "{ segments { id name memberCount } }"
CUSTOMER_SEGMENTS = "query($id: ID!) { customer(id: $id) { segments { name } } }"
DISCOUNT = """mutation($input: DiscountCodeCreateInput!) { discountCodeCreate(input: $input) {
  discountCode { code } userErrors { code field } } }"""
VIP_RULE = {
    "match": "ANY",
    "conditions": [
        {"field": "RFM_SEGMENT", "operator": "EQ", "values": ["CHAMPION"]},
        {"field": "LIFETIME_VALUE", "operator": "GTE", "values": ["500.00"]},
    ],
}
IN_STORE_RULE = {"conditions": [{"field": "STORE_VISITS", "operator": "GTE", "values": ["1"]}]}


async def _customer(db: asyncpg.Connection[Any], spent_minor: int = 0) -> uuid.UUID:
    customer: uuid.UUID = await db.fetchval(
        "INSERT INTO customers (display_name, marketing_consent) VALUES ('Ann', true) RETURNING id"
    )
    if spent_minor:
        await db.execute(
            """INSERT INTO orders (customer_id, currency_code, total_minor, created_at)
               VALUES ($1, 'EUR', $2, now() - interval '100 days')""",
            customer,
            spent_minor,
        )
    return customer


async def _events(db: asyncpg.Connection[Any]) -> list[tuple[str, str, str | None]]:
    rows = await db.fetch(
        """SELECT payload FROM outbox WHERE type = 'ucg.customer.segment_changed.v1'
           ORDER BY id"""
    )
    out = []
    for r in rows:
        data = orjson.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"]
        assert set(data) == {
            "customerId",
            "segmentId",
            "change",
            "storeId",
            "channel",
            "occurredAt",
        }
        out.append((data["customerId"], data["change"], data["storeId"]))
    return out


async def _create(client: httpx.AsyncClient, token: str, name: str, rule: Any) -> dict[str, Any]:
    return await mutate(client, CREATE, {"input": {"name": name, "rule": rule}}, token)


async def test_segments_are_defined_evaluated_and_followed_in_real_time(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    support = staff_token(env.settings(), Role.SUPPORT)
    big, small = await _customer(db, 60_000), await _customer(db, 1_000)
    # Bad rules and callers: typed userErrors naming the input, nothing stored.
    bad = await _create(client, support, "VIP", {"conditions": [
        {"field": "RFM_SEGMENT", "operator": "GT", "values": ["CHAMPION"]}]})  # fmt: skip
    assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [
        ("INVALID", ["input", "rule", "conditions", "0"])
    ]
    pos = staff_token(env.settings(), Role.POS)
    assert (await _create(client, pos, "VIP", VIP_RULE))["userErrors"][0]["code"] == "FORBIDDEN"
    assert await db.fetchval("SELECT count(*) FROM segments") == 0

    # A new segment evaluates the existing customers: the big spender enters.
    created = await _create(client, support, " VIP ", VIP_RULE)
    assert created["userErrors"] == []
    vip = created["segment"]
    assert vip["name"] == "VIP" and vip["memberCount"] == 1
    assert vip["rule"]["conditions"][1] == {
        "field": "LIFETIME_VALUE", "operator": "GTE", "values": ["500.00"]}  # fmt: skip
    assert (created["evaluatedCustomers"], created["membershipChanges"]) == (2, 1)
    assert await _events(db) == [(str(big), "ENTERED", None)]
    taken = await _create(client, support, "VIP", IN_STORE_RULE)
    assert [(e["code"], e["field"]) for e in taken["userErrors"]] == [("TAKEN", ["input", "name"])]
    in_store = (await _create(client, support, "In store", IN_STORE_RULE))["segment"]
    assert in_store["memberCount"] == 0

    listed = (await graphql(client, SEGMENTS, token=pos))["data"]["segments"]
    assert [(s["name"], s["memberCount"]) for s in listed] == [("In store", 0), ("VIP", 1)]
    anonymous = await graphql(client, SEGMENTS)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # Real time: a store visit, folded into the profile and evaluated in one transaction.
    store = await make_store(db)
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        visit = Interaction(
            uuid.uuid4(), InteractionType.STORE_VISITED, "POS", datetime.now(UTC),
            customer_id=big, location_id=store,
        )  # fmt: skip
        async with UnitOfWork(pool) as uow:
            conn: Any = uow.conn
            await conn.execute(
                """INSERT INTO interactions (id, customer_id, type, channel, location_id,
                       occurred_at) VALUES ($1, $2, 'STORE_VISITED', 'POS', $3, $4)""",
                visit.id, big, store, visit.occurred_at,
            )  # fmt: skip
            await apply_to_profile(conn, visit)
            changes = await reevaluate_customer(
                conn, uow.add_event, big, trigger_of(visit), datetime.now(UTC)
            )
        assert sorted(c.change.value for c in changes) == ["ENTERED", "VISITED_STORE"]
        events = await _events(db)
        assert events[0] == (str(big), "ENTERED", None)
        assert sorted(events[1:]) == [
            (str(big), "ENTERED", str(store)),  # into "In store"
            (str(big), "VISITED_STORE", str(store)),  # a VIP walked in
        ]
        # The same profile evaluated again changes nothing and writes nothing.
        async with UnitOfWork(pool) as uow:
            again = await reevaluate_customer(
                uow.conn,  # type: ignore[arg-type]
                uow.add_event,
                big,
                trigger_of(Interaction(uuid.uuid4(), InteractionType.PRODUCT_VIEWED, "WEB",
                                       datetime.now(UTC), customer_id=big)),
                datetime.now(UTC),
            )  # fmt: skip
        assert again == [] and len(await _events(db)) == 3
    finally:
        await pool.close()

    staff = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    seen = await graphql(client, CUSTOMER_SEGMENTS, {"id": gid("Customer", big)}, token=staff)
    assert seen["data"]["customer"]["segments"] == [{"name": "In store"}, {"name": "VIP"}]
    mine = await graphql(
        client, "{ me { segments { name } } }", token=customer_token(env.settings(), small)
    )
    assert mine["data"]["me"]["segments"] == []

    # A stricter rule: re-evaluated at once, the member exits (an EXITED event).
    stricter = {"conditions": [{"field": "LIFETIME_VALUE", "operator": "GTE", "values": ["1000"]}]}
    updated = await mutate(client, UPDATE, {"id": vip["id"], "input": {"rule": stricter}}, support)
    assert (updated["segment"]["memberCount"], updated["membershipChanges"]) == (0, 1)
    assert (await _events(db))[-1] == (str(big), "EXITED", None)
    renamed = await mutate(client, UPDATE, {"id": vip["id"], "input": {"name": "Top"}}, support)
    assert renamed["segment"]["name"] == "Top" and renamed["evaluatedCustomers"] == 0
    missing = await mutate(
        client, UPDATE, {"id": gid("Segment", uuid.uuid4()), "input": {"name": "X"}}, support
    )
    assert missing["userErrors"] == [{"code": "NOT_FOUND", "field": ["id"]}]

    # GDPR: memberships are exported, and erased with the customer.
    exported = await db.fetchval(
        "SELECT count(*) FROM segment_memberships WHERE customer_id = $1", big
    )
    assert exported == 1
    admin = staff_token(env.settings(), Role.ADMIN)
    export = await graphql(
        client,
        "mutation($id: ID!) { customerDataExport(customerId: $id) { data userErrors { code } } }",
        {"id": gid("Customer", big)},
        token=admin,
    )
    document = export["data"]["customerDataExport"]["data"]
    document = orjson.loads(document) if isinstance(document, str) else document
    assert [m["segment"] for m in document["segments"]] == ["In store"]
    erased = await graphql(
        client,
        "mutation($id: ID!) { customerErase(customerId: $id) { erased userErrors { code } } }",
        {"id": gid("Customer", big)},
        token=admin,
    )
    assert erased["data"]["customerErase"]["erased"] is True
    assert await db.fetchval("SELECT count(*) FROM segment_memberships") == 0

    deleted = await mutate(client, DELETE, {"id": in_store["id"]}, support)
    assert deleted == {"deletedSegmentId": in_store["id"], "userErrors": []}
    again_deleted = await mutate(client, DELETE, {"id": in_store["id"]}, support)
    assert again_deleted["userErrors"] == [{"code": "NOT_FOUND", "field": ["id"]}]


async def test_a_segment_limited_code_is_for_members_only_in_cart_and_checkout(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    support, merch = staff_token(settings, Role.SUPPORT), staff_token(settings, Role.MERCHANDISER)
    member, outsider = await _customer(db, 60_000), await _customer(db)
    vip = (await _create(client, support, "VIP", VIP_RULE))["segment"]
    unknown = gid("Segment", uuid.uuid4())
    refused = await mutate(client, DISCOUNT, {"input": {
        "code": "VIP10", "kind": "PERCENTAGE", "percentage": "10", "segments": [unknown]}}, merch)  # fmt: skip
    assert refused["userErrors"] == [{"code": "NOT_FOUND", "field": ["input", "segments", "0"]}]
    made = await mutate(client, DISCOUNT, {"input": {
        "code": "VIP10", "kind": "PERCENTAGE", "percentage": "10", "segments": [vip["id"]]}}, merch)  # fmt: skip
    assert made["userErrors"] == []
    in_use = await mutate(client, DELETE, {"id": vip["id"]}, support)
    assert in_use["userErrors"] == [{"code": "INVALID", "field": ["id"]}]

    sale = await make_sale(db, 10, price=2000)

    async def cart_of(customer: uuid.UUID | None) -> str:
        cart = await db.fetchval(
            "INSERT INTO carts (channel_id, currency_code, customer_id) VALUES ($1, 'EUR', $2) "
            "RETURNING id",
            sale.channel,
            customer,
        )
        await db.execute(
            "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, 1)",
            cart,
            sale.variant,
        )
        return gid("Cart", cart)

    outsider_token = customer_token(settings, outsider)
    outsider_cart = await cart_of(outsider)
    no = await mutate(
        client, CODES_UPDATE, {"cartId": outsider_cart, "codes": ["vip10"]}, outsider_token
    )
    assert no["cart"] is None
    assert [(e["code"], e["field"]) for e in no["userErrors"]] == [
        ("DISCOUNT_NOT_ELIGIBLE", ["discountCodes", "0"])
    ]
    assert await db.fetchval("SELECT discount_codes FROM carts WHERE id = $1",
                             uuid.UUID(outsider_cart.rsplit("/", 1)[1])) == []  # fmt: skip

    member_token = customer_token(settings, member)
    member_cart = await cart_of(member)
    yes = await mutate(
        client, CODES_UPDATE, {"cartId": member_cart, "codes": ["VIP10"]}, member_token
    )
    assert yes["userErrors"] == []
    assert yes["cart"]["discountCodes"][0]["applicable"] is True
    assert yes["cart"]["cost"]["total"]["amount"] != yes["cart"]["cost"]["subtotal"]["amount"]

    # The member leaves the segment after applying the code: the cart and checkout re-check.
    second_cart = await cart_of(member)
    await mutate(client, CODES_UPDATE, {"cartId": second_cart, "codes": ["VIP10"]}, member_token)
    first = await graphql(client, COMPLETE, {"cartId": member_cart, "f": SHIP, "p": VISA,
                                             "key": "k1"}, token=member_token)  # fmt: skip
    assert first["data"]["checkoutComplete"]["userErrors"] == [], first
    discounted = first["data"]["checkoutComplete"]["order"]["total"]["amount"]
    await db.execute("DELETE FROM segment_memberships WHERE customer_id = $1", member)
    view = await graphql(client, CART_QUERY, {"id": second_cart}, token=member_token)
    assert view["data"]["cart"]["discountCodes"][0]["rejection"] == "SEGMENT_NOT_ELIGIBLE"
    later = await graphql(client, COMPLETE, {"cartId": second_cart, "f": SHIP, "p": VISA,
                                             "key": "k2"}, token=member_token)  # fmt: skip
    assert later["data"]["checkoutComplete"]["userErrors"] == [], later
    full = later["data"]["checkoutComplete"]["order"]["total"]["amount"]
    assert float(full) - float(discounted) == 2.0  # 10% of 20.00 no longer taken off
    redeemed = await db.fetchval("SELECT count(*) FROM discount_redemptions")
    assert redeemed == 1


async def test_the_sweep_follows_what_time_and_new_orders_change(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    support = staff_token(env.settings(), Role.SUPPORT)
    lapsing_rule = {"conditions": [{"field": "CHURN_RISK", "operator": "GTE", "values": ["0.6"]}]}
    customer = await _customer(db)
    created = await _create(client, support, "Lapsing", lapsing_rule)
    assert created["membershipChanges"] == 0
    # No interaction: an order long ago (seen by nobody until the sweep) makes them lapsing.
    await db.execute(
        """INSERT INTO orders (customer_id, currency_code, total_minor, created_at)
           VALUES ($1, 'EUR', 2000, now() - interval '300 days')""",
        customer,
    )
    pool = await create_pool(env.database_url, min_size=1, max_size=3)
    try:
        async with pool.acquire() as other:  # another instance is sweeping
            assert await other.fetchval("SELECT pg_try_advisory_lock($1)", _SWEEP_LOCK)
            assert await sweep_segments(pool, datetime.now(UTC)) is None
            await other.execute("SELECT pg_advisory_unlock($1)", _SWEEP_LOCK)
        assert await sweep_segments(pool, datetime.now(UTC)) == (1, 1)
        assert await _events(db) == [(str(customer), "ENTERED", None)]
        assert await sweep_segments(pool, datetime.now(UTC)) == (1, 0)  # nothing twice
    finally:
        await pool.close()
