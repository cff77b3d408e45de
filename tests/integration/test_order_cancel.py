"""orderCancel, orderReview and missed pickups through GraphQL against real Postgres."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from api.auth import new_api_key
from datasources.payments.gateway import build_payment_gateway
from datasources.postgres import auth_store
from datasources.postgres.pickup_sweeper import PICKUP_SWEEPER_LOCK_KEY, PickupSweeper
from datasources.postgres.pool import create_pool
from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, staff_token, unique
from tests.order_helpers import Sale, complete, guest_carts, level, make_sale
from tests.stock_helpers import assert_ledger_matches, make_location, make_variant, receive

ORDER = """id status cancelledAt cancelReason
  lines { id sku quantity cancelledQuantity }
  fulfillments { id status pickupDeadline promisedAt }"""
CANCEL = (
    """mutation($id: ID!, $reason: OrderCancelReason!, $lines: [OrderCancelLineInput!],
           $key: String) {
  orderCancel(orderId: $id, reason: $reason, lines: $lines, idempotencyKey: $key) {
    order { """
    + ORDER
    + """ }
    amountGivenBack { amount currencyCode } refunded { amount }
    userErrors { code field message } } }"""
)
REVIEW = (
    """mutation($id: ID!, $decision: OrderReviewDecision!, $note: String) {
  orderReview(orderId: $id, decision: $decision, note: $note) {
    order { """
    + ORDER
    + """ } userErrors { code field message } } }"""
)
UPDATE = """mutation($id: ID!, $status: FulfillmentStatus!) {
  fulfillmentUpdate(id: $id, status: $status) {
    fulfillment { id status pickupDeadline } order { id status }
    userErrors { code field message } } }"""
PICKUP_QUERY = "query($id: ID!) { order(id: $id) { " + ORDER + " } }"


async def place(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], sale: Sale, qty: int, **how: Any
) -> dict[str, Any]:
    (cart,) = await guest_carts(db, sale, 1, qty=qty)
    placed = await complete(client, cart, unique("k-"), **how)
    assert placed["userErrors"] == [], placed
    order: dict[str, Any] = placed["order"]
    return order


def pickup_at(sale: Sale) -> dict[str, Any]:
    return {"method": "PICKUP", "locationId": f"gid://ucg/Location/{sale.location}"}


async def cancel(
    client: httpx.AsyncClient,
    order_id: str,
    *,
    reason: str = "CUSTOMER_REQUEST",
    lines: list[dict[str, Any]] | None = None,
    key: str | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    variables = {"id": order_id, "reason": reason, "lines": lines, "key": key}
    if headers is not None:
        response = await client.post(
            "/graphql", json={"query": CANCEL, "variables": variables}, headers=headers
        )
        body = response.json()
    else:
        body = await graphql(client, CANCEL, variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["orderCancel"]
    return result


async def move(
    client: httpx.AsyncClient, env: TestEnv, fulfillment_id: str, status: str
) -> dict[str, Any]:
    token = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    body = await graphql(client, UPDATE, {"id": fulfillment_id, "status": status}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["fulfillmentUpdate"]
    assert payload["userErrors"] == [], payload
    return payload


async def payment(db: asyncpg.Connection[Any]) -> dict[str, Any]:
    row = await db.fetchrow(
        "SELECT status, amount_minor, owed_minor, captured_minor, refunded_minor FROM payments"
    )
    return dict(row)


async def outbox(db: asyncpg.Connection[Any], type_: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT payload FROM outbox WHERE type = $1 ORDER BY aggregate_id, sequence", type_
    )
    return [dict(r["payload"]) for r in rows]


def local(gid: str) -> uuid.UUID:
    return uuid.UUID(gid.rsplit("/", 1)[1])


async def test_whole_cancel_before_capture_restocks_voids_and_replays(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    order = await place(client, db, sale, 2)
    assert await level(db, sale) == (3, 0)
    key = unique("cancel-")
    first = await cancel(client, order["id"], key=key)
    assert first["userErrors"] == []
    done = first["order"]
    assert done["status"] == "CANCELLED" and done["cancelReason"] == "CUSTOMER_REQUEST"
    assert done["cancelledAt"] is not None
    assert [line["cancelledQuantity"] for line in done["lines"]] == [2]
    assert [f["status"] for f in done["fulfillments"]] == ["CANCELLED"]
    assert first["amountGivenBack"] == {"amount": "44.93", "currencyCode": "EUR"}  # + shipping
    assert first["refunded"] == {"amount": "0.00"}
    assert await level(db, sale) == (5, 0)  # back on the shelf
    assert await payment(db) == {
        "status": "VOIDED",
        "amount_minor": 4493,
        "owed_minor": 0,
        "captured_minor": 0,
        "refunded_minor": 0,
    }
    movement = await db.fetchrow(
        "SELECT delta, source FROM stock_movements WHERE reason = 'CANCELLED'"
    )
    assert movement["delta"] == 2 and movement["source"] == f"order:{local(order['id'])}"
    [event] = await outbox(db, "ucg.order.cancelled.v1")
    assert event["wholeOrder"] is True and event["voided"] is True
    assert event["amountMinor"] == 4493 and event["reason"] == "CUSTOMER_REQUEST"
    assert [e["status"] for e in await outbox(db, "ucg.order.status_changed.v1")] == ["CANCELLED"]
    fulfillment_events = await outbox(db, "ucg.fulfillment.status_changed.v1")
    assert [(e["previousStatus"], e["status"]) for e in fulfillment_events] == [
        ("ALLOCATED", "CANCELLED")
    ]
    stock_events = await outbox(db, "ucg.inventory.stock_changed.v1")
    assert stock_events[-1]["cause"] == "CANCELLED" and stock_events[-1]["onHand"] == 5
    sequences = await db.fetch(
        "SELECT type, sequence FROM outbox WHERE aggregate_id = $1 ORDER BY sequence",
        str(local(order["id"])),
    )
    assert [r["sequence"] for r in sequences] == list(range(1, len(sequences) + 1))

    # A retry with the same key: the same result, nothing settled or restocked twice.
    again = await cancel(client, order["id"], key=key)
    assert again == first
    assert await level(db, sale) == (5, 0)
    assert len(await outbox(db, "ucg.order.cancelled.v1")) == 1
    conflict = await cancel(client, order["id"], key=key, reason="OTHER")
    assert [e["code"] for e in conflict["userErrors"]] == ["IDEMPOTENCY_CONFLICT"]
    nothing_left = await cancel(client, order["id"])
    assert [e["code"] for e in nothing_left["userErrors"]] == ["NOT_CANCELLABLE"]
    await assert_ledger_matches(db)


async def test_partial_cancel_lowers_what_is_owed_and_pickup_captures_only_that(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 5, kind="STORE")
    order = await place(client, db, sale, 3, fulfillment=pickup_at(sale))
    full = (await graphql(client, PICKUP_QUERY, {"id": order["id"]}))["data"]["order"]
    line_id = full["lines"][0]["id"]
    too_many = await cancel(client, order["id"], lines=[{"lineId": line_id, "quantity": 4}])
    assert [(e["code"], e["field"]) for e in too_many["userErrors"]] == [
        ("NOT_CANCELLABLE", ["lines", "0", "quantity"])
    ]
    unknown = await cancel(
        client,
        order["id"],
        lines=[{"lineId": f"gid://ucg/OrderLine/{uuid.uuid4()}", "quantity": 1}],
    )
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [
        ("NOT_FOUND", ["lines", "0", "lineId"])
    ]
    assert await level(db, sale) == (2, 0)  # refused requests changed nothing

    part = await cancel(client, order["id"], lines=[{"lineId": line_id, "quantity": 1}])
    assert part["userErrors"] == [] and part["amountGivenBack"]["amount"] == "19.99"
    assert part["order"]["status"] == "UNFULFILLED"
    assert part["order"]["lines"][0]["cancelledQuantity"] == 1
    assert part["order"]["cancelledAt"] is None and part["order"]["cancelReason"] is None
    assert await level(db, sale) == (3, 0)
    assert (await payment(db))["owed_minor"] == 3998
    assert await db.fetchval("SELECT quantity FROM fulfillment_lines") == 2
    [event] = await outbox(db, "ucg.order.cancelled.v1")
    assert event["wholeOrder"] is False and event["voided"] is False
    assert event["lines"][0]["quantity"] == 1

    fulfillment_id = part["order"]["fulfillments"][0]["id"]
    before = datetime.now(UTC)
    ready = await move(client, env, fulfillment_id, "READY_FOR_PICKUP")
    deadline = datetime.fromisoformat(ready["fulfillment"]["pickupDeadline"])
    assert before + timedelta(days=3) <= deadline <= datetime.now(UTC) + timedelta(days=3)
    await move(client, env, fulfillment_id, "PICKED_UP")
    assert await payment(db) == {
        "status": "CAPTURED",
        "amount_minor": 5997,
        "owed_minor": 3998,
        "captured_minor": 3998,  # only what is owed, never the cancelled unit
        "refunded_minor": 0,
    }
    # Handed over: nothing is cancellable any more (that is a return).
    handed = await cancel(client, order["id"])
    assert [e["code"] for e in handed["userErrors"]] == ["NOT_CANCELLABLE"]
    line = await cancel(client, order["id"], lines=[{"lineId": line_id, "quantity": 1}])
    assert [(e["code"], e["field"]) for e in line["userErrors"]] == [
        ("NOT_CANCELLABLE", ["lines", "0", "quantity"])
    ]
    assert await level(db, sale) == (3, 0)
    await assert_ledger_matches(db)


async def test_cancel_after_capture_refunds(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    """Two lines at two locations: one shipment leaves (the payment is captured), the
    other is cancelled and refunded."""
    sale = await make_sale(db, 1)
    sku2 = await make_variant(db)
    variant2 = await db.fetchval("SELECT id FROM variants WHERE sku = $1", sku2)
    await db.execute(
        "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
        "VALUES ($1, $2, 'EUR', 500)",
        variant2,
        sale.channel,
    )
    elsewhere = await make_location(db, kind="WAREHOUSE")
    await receive(db, sku2, elsewhere, 1)
    (cart,) = await guest_carts(db, sale, 1)
    await db.execute(
        "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, 1)",
        local(cart),
        variant2,
    )
    placed = await complete(client, cart, unique("k-"))
    assert placed["userErrors"] == []
    full = (await graphql(client, PICKUP_QUERY, {"id": placed["order"]["id"]}))["data"]["order"]
    assert len(full["fulfillments"]) == 2
    shipped = await db.fetchval("SELECT id FROM fulfillments WHERE location_id = $1", sale.location)
    await move(client, env, f"gid://ucg/Fulfillment/{shipped}", "SHIPPED")
    assert (await payment(db))["captured_minor"] == 2499 + 495  # with shipping
    result = await cancel(
        client, full["id"], token=staff_token(env.settings(), Role.SUPPORT), reason="STOCK_ISSUE"
    )
    assert result["userErrors"] == []
    assert result["amountGivenBack"]["amount"] == result["refunded"]["amount"] == "5.00"
    assert result["order"]["status"] == "FULFILLED"  # all that is left was handed over
    by_sku = {line["sku"]: line["cancelledQuantity"] for line in result["order"]["lines"]}
    assert by_sku == {sale.sku: 0, sku2: 1}
    assert await payment(db) == {
        "status": "CAPTURED",
        "amount_minor": 2994,
        "owed_minor": 2494,  # shipping stays owed: one shipment went out
        "captured_minor": 2994,
        "refunded_minor": 500,
    }
    assert (
        await db.fetchval(
            "SELECT on_hand FROM stock_levels WHERE sku = $1 AND location_id = $2", sku2, elsewhere
        )
        == 1
    )
    await assert_ledger_matches(db)


@pytest.fixture
async def owned(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> AsyncIterator[tuple[Sale, dict[str, Any], uuid.UUID]]:
    sale = await make_sale(db, 5)
    order = await place(client, db, sale, 1)
    owner = await db.fetchval("INSERT INTO customers (display_name) VALUES ('A') RETURNING id")
    await db.execute("UPDATE orders SET customer_id = $1", owner)
    yield sale, order, owner


async def test_who_may_cancel_a_customers_order(
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    env: TestEnv,
    owned: tuple[Sale, dict[str, Any], uuid.UUID],
) -> None:
    sale, order, owner = owned
    settings = env.settings()
    stranger = await db.fetchval("INSERT INTO customers (display_name) VALUES ('B') RETURNING id")
    refused = [
        (None, "NOT_FOUND"),
        (customer_token(settings, stranger), "NOT_FOUND"),  # not told that it exists
        (staff_token(settings, Role.MERCHANDISER), "NOT_FOUND"),
        (staff_token(settings, Role.POS), "FORBIDDEN"),  # may see it, may not cancel it
    ]
    for token, code in refused:
        result = await cancel(client, order["id"], token=token)
        assert [e["code"] for e in result["userErrors"]] == [code], token
    fraud = await cancel(client, order["id"], reason="FRAUD", token=customer_token(settings, owner))
    assert [(e["code"], e["field"]) for e in fraud["userErrors"]] == [("INVALID", ["reason"])]
    system = await cancel(client, order["id"], reason="MISSED_PICKUP", token=staff_token(settings))
    assert [e["code"] for e in system["userErrors"]] == ["INVALID"]
    assert await level(db, sale) == (4, 0)

    # An AGENT key of another channel may not; one of the order's channel may.
    code = await db.fetchval("SELECT code FROM channels WHERE id = $1", sale.channel)
    keys = {}
    for channel in ("ELSEWHERE", code):
        key, prefix, secret_hash = new_api_key()
        await auth_store.create_api_key(db, prefix, secret_hash, "agent", channel, ["AGENT"])
        keys[channel] = key
    other = await cancel(client, order["id"], headers={"x-api-key": keys["ELSEWHERE"]})
    assert [e["code"] for e in other["userErrors"]] == ["NOT_FOUND"]
    agent = await cancel(client, order["id"], headers={"x-api-key": keys[code]})
    assert agent["userErrors"] == [] and agent["order"]["status"] == "CANCELLED"
    assert await level(db, sale) == (5, 0)


async def test_the_owner_cancels_own_order(
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    env: TestEnv,
    owned: tuple[Sale, dict[str, Any], uuid.UUID],
) -> None:
    sale, order, owner = owned
    result = await cancel(client, order["id"], token=customer_token(env.settings(), owner))
    assert result["userErrors"] == [] and result["order"]["status"] == "CANCELLED"
    [event] = await outbox(db, "ucg.order.cancelled.v1")
    assert event["customerId"] == str(owner)
    assert await level(db, sale) == (5, 0)


async def hold(db: asyncpg.Connection[Any], order_id: str) -> None:
    """The state a fraud HOLD at checkout leaves: flag, ON_HOLD order and fulfillments."""
    await db.execute(
        "UPDATE orders SET on_hold = true, status = 'ON_HOLD' WHERE id = $1", local(order_id)
    )
    await db.execute(
        "UPDATE fulfillments SET status = 'ON_HOLD' WHERE order_id = $1", local(order_id)
    )


async def review(
    client: httpx.AsyncClient, order_id: str, decision: str, token: str | None
) -> dict[str, Any]:
    body = await graphql(
        client, REVIEW, {"id": order_id, "decision": decision, "note": "checked"}, token=token
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["orderReview"]
    return result


async def test_review_approve_and_reject(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 5)
    approved = await place(client, db, sale, 1)
    rejected = await place(client, db, sale, 2)
    support = staff_token(env.settings(), Role.SUPPORT)
    not_held = await review(client, approved["id"], "APPROVE", support)
    assert [e["code"] for e in not_held["userErrors"]] == ["INVALID_TRANSITION"]
    await hold(db, approved["id"])
    await hold(db, rejected["id"])
    associate = await review(
        client, approved["id"], "APPROVE", staff_token(env.settings(), Role.STORE_ASSOCIATE)
    )
    assert [e["code"] for e in associate["userErrors"]] == ["FORBIDDEN"]
    assert (await review(client, approved["id"], "APPROVE", None))["userErrors"][0]["code"] == (
        "UNAUTHENTICATED"
    )

    ok = await review(client, approved["id"], "APPROVE", support)
    assert ok["userErrors"] == []
    assert ok["order"]["status"] == "UNFULFILLED"
    assert [f["status"] for f in ok["order"]["fulfillments"]] == ["ALLOCATED"]
    row = await db.fetchrow(
        "SELECT on_hold, review_decision, review_note FROM orders WHERE id = $1",
        local(approved["id"]),
    )
    assert dict(row) == {"on_hold": False, "review_decision": "APPROVE", "review_note": "checked"}
    moves = await outbox(db, "ucg.fulfillment.status_changed.v1")
    assert [(e["previousStatus"], e["status"]) for e in moves] == [
        ("ON_HOLD", "PENDING"),
        ("PENDING", "ALLOCATED"),
    ]
    again = await review(client, approved["id"], "REJECT", support)
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_TRANSITION"]

    no = await review(client, rejected["id"], "REJECT", support)
    assert no["userErrors"] == []
    assert no["order"]["status"] == "CANCELLED" and no["order"]["cancelReason"] == "FRAUD"
    assert [f["status"] for f in no["order"]["fulfillments"]] == ["CANCELLED"]
    assert await level(db, sale) == (4, 0)  # the rejected order's 2 units are back
    statuses = await db.fetch(
        "SELECT p.status FROM payments p JOIN orders o ON o.id = p.order_id ORDER BY o.number"
    )
    assert [r["status"] for r in statuses] == ["AUTHORIZED", "VOIDED"]
    [event] = await outbox(db, "ucg.order.cancelled.v1")
    assert event["reason"] == "FRAUD" and event["voided"] is True
    await assert_ledger_matches(db)


async def test_missed_pickup_is_cancelled_restocked_and_voided(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await make_sale(db, 3, kind="STORE")
    # The deadline is a closing time of the store's own hours, in its time zone.
    await db.execute(
        "UPDATE locations SET opening_hours = 'Mo-Su 09:00-17:30', "
        "time_zone = 'Europe/Amsterdam' WHERE id = $1",
        sale.location,
    )
    order = await place(client, db, sale, 2, fulfillment=pickup_at(sale))
    collected = await place(client, db, sale, 1, fulfillment=pickup_at(sale))
    assert await level(db, sale) == (0, 0)
    ids = []
    for placed in (order, collected):
        full = (await graphql(client, PICKUP_QUERY, {"id": placed["id"]}))["data"]["order"]
        fulfillment_id = full["fulfillments"][0]["id"]
        ready = await move(client, env, fulfillment_id, "READY_FOR_PICKUP")
        assert ready["order"]["status"] == "READY_FOR_PICKUP"
        deadline = datetime.fromisoformat(ready["fulfillment"]["pickupDeadline"])
        local_deadline = deadline.astimezone(ZoneInfo("Europe/Amsterdam"))
        assert (local_deadline.hour, local_deadline.minute) == (17, 30)
        assert timedelta(days=2) < deadline - datetime.now(UTC) < timedelta(days=4)
        ids.append(fulfillment_id)
    await move(client, env, ids[1], "PICKED_UP")

    pool = await create_pool(env.database_url)
    try:
        sweeper = PickupSweeper(pool, build_payment_gateway(pool))
        assert await sweeper.sweep_once() == 0  # the deadline is days away
        # Another instance holds the sweeper lock: this one skips.
        await db.execute("UPDATE fulfillments SET pickup_deadline = now() - interval '1 minute'")
        await db.execute("SELECT pg_advisory_lock($1)", PICKUP_SWEEPER_LOCK_KEY)
        assert await sweeper.sweep_once() == 0
        await db.execute("SELECT pg_advisory_unlock($1)", PICKUP_SWEEPER_LOCK_KEY)
        assert await sweeper.sweep_once() == 1  # the collected one is left alone
        assert await sweeper.sweep_once() == 0
    finally:
        await pool.close()

    after = (await graphql(client, PICKUP_QUERY, {"id": order["id"]}))["data"]["order"]
    assert after["status"] == "CANCELLED" and after["cancelReason"] == "MISSED_PICKUP"
    assert [f["status"] for f in after["fulfillments"]] == ["CANCELLED"]
    assert after["lines"][0]["cancelledQuantity"] == 2
    assert await level(db, sale) == (2, 0)
    pays = await db.fetch(
        "SELECT p.status FROM payments p JOIN orders o ON o.id = p.order_id ORDER BY o.number"
    )
    assert [r["status"] for r in pays] == ["VOIDED", "CAPTURED"]
    [event] = await outbox(db, "ucg.order.cancelled.v1")
    assert event["reason"] == "MISSED_PICKUP" and event["orderId"] == str(local(order["id"]))
    moves = [
        (e["previousStatus"], e["status"])
        for e in await outbox(db, "ucg.fulfillment.status_changed.v1")
        if e["fulfillmentId"] == str(local(ids[0]))
    ]
    assert moves[-1] == ("READY_FOR_PICKUP", "CANCELLED")
    await assert_ledger_matches(db)
