"""Query.orders and Customer.orders: filters, keyset pagination, ownership, SQL count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from datasources.postgres.pool import log_statements
from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, staff_token, unique
from tests.order_helpers import make_sale
from tests.return_helpers import make_customer, move, place_order

ORDERS = """query($first: Int!, $after: String, $filter: OrderFilter) {
  orders(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id number status createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _ids(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return [e["node"]["id"] for e in body["data"]["orders"]["edges"]]


async def _insert_orders(
    db: asyncpg.Connection[Any],
    channel: uuid.UUID,
    customer: uuid.UUID | None,
    n: int,
    *,
    start: datetime,
    status: str = "UNFULFILLED",
) -> list[str]:
    """Orders placed one hour apart from `start`, oldest first (their global ids)."""
    ids = []
    for i in range(n):
        order_id = await db.fetchval(
            "INSERT INTO orders (customer_id, channel_id, currency_code, total_minor, status, "
            "created_at) VALUES ($1, $2, 'EUR', 1000, $3, $4) RETURNING id",
            customer,
            channel,
            status,
            start + timedelta(hours=i),
        )
        ids.append(f"gid://ucg/Order/{order_id}")
    return ids


async def _channel(db: asyncpg.Connection[Any], code: str) -> uuid.UUID:
    channel: uuid.UUID = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ($1, $1, 'EUR') RETURNING id",
        code,
    )
    return channel


async def test_filters_pagination_and_who_sees_what(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    web, pos = await _channel(db, "WEB"), await _channel(db, "POS")
    alice, bob = await make_customer(db), await make_customer(db)
    a_web = await _insert_orders(db, web, alice, 3, start=T0)
    b_pos = await _insert_orders(
        db, pos, bob, 2, start=T0 + timedelta(minutes=30), status="COMPLETED"
    )
    guest = await _insert_orders(db, web, None, 1, start=T0 + timedelta(days=1))
    newest_first = [*guest, a_web[2], b_pos[1], a_web[1], b_pos[0], a_web[0]]
    staff = staff_token(settings, Role.SUPPORT)

    everything = await graphql(client, ORDERS, {"first": 50}, token=staff)
    assert _ids(everything) == newest_first
    assert everything["data"]["orders"]["pageInfo"]["hasNextPage"] is False

    # Pages of 2 walk the same list; a newer order arriving meanwhile shifts nothing.
    seen: list[str] = []
    after = None
    for page in range(3):
        body = await graphql(client, ORDERS, {"first": 2, "after": after}, token=staff)
        seen += _ids(body)
        info = body["data"]["orders"]["pageInfo"]
        assert info["hasNextPage"] is (page < 2)
        assert info["endCursor"] == body["data"]["orders"]["edges"][-1]["cursor"]
        after = info["endCursor"]
        if page == 0:
            await _insert_orders(db, web, alice, 1, start=T0 + timedelta(days=2))
    assert seen == newest_first

    async def staff_ids(**filter_: Any) -> list[str]:
        return _ids(await graphql(client, ORDERS, {"first": 50, "filter": filter_}, token=staff))

    assert await staff_ids(status="COMPLETED") == [b_pos[1], b_pos[0]]
    assert await staff_ids(channel="POS") == [b_pos[1], b_pos[0]]
    assert await staff_ids(channel="NOPE") == []
    window = await staff_ids(
        createdAfter=(T0 + timedelta(hours=1)).isoformat(),
        createdBefore=(T0 + timedelta(hours=2)).isoformat(),
    )
    assert window == [b_pos[1], a_web[1]]  # after is inclusive, before exclusive
    assert await staff_ids(channel="WEB", status="UNFULFILLED", createdBefore=T0.isoformat()) == []

    # A customer sees only their own, filters included.
    mine = await graphql(client, ORDERS, {"first": 50}, token=customer_token(settings, alice))
    assert set(_ids(mine)) >= set(a_web) and len(_ids(mine)) == 4
    theirs = await graphql(
        client,
        ORDERS,
        {"first": 50, "filter": {"channel": "POS"}},
        token=customer_token(settings, alice),
    )
    assert _ids(theirs) == []

    # Customer.orders is the same connection, paged the same way.
    me = await graphql(
        client,
        "query($after: String) { me { orders(first: 3, after: $after) { edges { node { id } } "
        "pageInfo { hasNextPage endCursor } } } }",
        token=customer_token(settings, alice),
    )
    first_page = me["data"]["me"]["orders"]
    assert first_page["pageInfo"]["hasNextPage"] is True
    rest = await graphql(
        client,
        "query($after: String) { me { orders(first: 3, after: $after) { edges { node { id } } "
        "pageInfo { hasNextPage } } } }",
        {"after": first_page["pageInfo"]["endCursor"]},
        token=customer_token(settings, alice),
    )
    assert [e["node"]["id"] for e in rest["data"]["me"]["orders"]["edges"]] == [a_web[0]]
    assert rest["data"]["me"]["orders"]["pageInfo"]["hasNextPage"] is False

    # Anonymous callers and staff without customer data get an error, not a list.
    anonymous = await graphql(client, ORDERS, {"first": 5})
    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    merchandiser = await graphql(
        client, ORDERS, {"first": 5}, token=staff_token(settings, Role.MERCHANDISER)
    )
    assert merchandiser["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad_cursor = await graphql(client, ORDERS, {"first": 5, "after": "xyz"}, token=staff)
    assert bad_cursor["errors"][0]["extensions"]["code"] == "INVALID"
    too_big = await graphql(client, ORDERS, {"first": 1000}, token=staff)
    assert too_big["errors"][0]["extensions"]["code"] == "INVALID"
    naive = await graphql(
        client, ORDERS, {"first": 5, "filter": {"createdAfter": "2026-03-01T12:00:00"}}, token=staff
    )
    assert naive["errors"][0]["extensions"]["code"] == "INVALID"


async def test_status_filter_follows_fulfillment_updates(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 5, kind="STORE")
    done = await place_order(client, db, settings, sale, qty=1)
    waiting = await place_order(client, db, settings, sale, qty=1)
    await move(client, settings, done.fulfillment_id, "READY_FOR_PICKUP", "PICKED_UP")
    await move(client, settings, waiting.fulfillment_id, "READY_FOR_PICKUP")
    staff = staff_token(settings, Role.STORE_ASSOCIATE)
    for status, expected in (("COMPLETED", done), ("READY_FOR_PICKUP", waiting)):
        body = await graphql(
            client, ORDERS, {"first": 10, "filter": {"status": status}}, token=staff
        )
        assert _ids(body) == [expected.id]


def _asyncpg_internal(statement: str) -> bool:
    """asyncpg's own statements (type introspection, the pool's reset)."""
    return (
        "typeinfo_tree" in statement
        or "current_setting('jit')" in statement
        or "set_config('jit'" in statement
        or statement.startswith("SELECT pg_advisory_unlock_all()")
    )


async def test_a_page_of_20_orders_costs_what_a_page_of_2_costs(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 100, kind="STORE")
    customer = await make_customer(db)
    for i in range(22):
        order_id = await db.fetchval(
            "INSERT INTO orders (customer_id, channel_id, currency_code, total_minor, status, "
            "created_at) VALUES ($1, $2, 'EUR', 3998, 'COMPLETED', $3) RETURNING id",
            customer,
            sale.channel,
            T0 + timedelta(minutes=i),
        )
        line = await db.fetchval(
            "INSERT INTO order_lines (order_id, position, variant_id, sku, quantity, "
            "unit_price_minor, total_minor) VALUES ($1, 0, $2, $3, 2, 1999, 3998) RETURNING id",
            order_id,
            sale.variant,
            sale.sku,
        )
        fulfillment = await db.fetchval(
            "INSERT INTO fulfillments (order_id, method, location_id, status) "
            "VALUES ($1, 'PICKUP', $2, 'PICKED_UP') RETURNING id",
            order_id,
            sale.location,
        )
        await db.execute(
            "INSERT INTO fulfillment_lines (fulfillment_id, order_line_id, quantity) "
            "VALUES ($1, $2, 2)",
            fulfillment,
            line,
        )
        return_id = await db.fetchval(
            "INSERT INTO returns (order_id, reason, currency_code, refund_minor, "
            "idempotency_key, request_hash) VALUES ($1, 'WRONG_SIZE', 'EUR', 1999, $2, 'h') "
            "RETURNING id",
            order_id,
            unique("k-"),
        )
        await db.execute(
            "INSERT INTO return_lines (return_id, order_line_id, position, sku, quantity, "
            "refund_minor, resellable) VALUES ($1, $2, 0, $3, 1, 1999, true)",
            return_id,
            line,
            sale.sku,
        )
    query = """query($first: Int!) { orders(first: $first) { edges { node {
        id number status total { amount }
        lines { id sku quantity unitPrice { amount } }
        fulfillments { id status locationId }
        returns { id status refund { amount } lines { sku quantity refund { amount } } }
      } } pageInfo { hasNextPage } } }"""
    token = staff_token(env.settings(), Role.SUPPORT)
    counts = {}
    for first in (2, 20):
        with log_statements() as statements:
            body = await graphql(client, query, {"first": first}, token=token)
        edges = body["data"]["orders"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["lines"]) == 1 and len(e["node"]["returns"]) == 1 for e in edges)
        assert edges[0]["node"]["returns"][0]["lines"] == [
            {"sku": sale.sku, "quantity": 1, "refund": {"amount": "19.99"}}
        ]
        counts[first] = len([s for s in statements if not _asyncpg_internal(s)])
    assert counts[2] == counts[20], counts
    assert counts[20] == 4, counts  # the page, then lines, fulfillments and returns: one each
