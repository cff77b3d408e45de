"""orderReturnCreate / orderReturnReceive through GraphQL against real Postgres."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, staff_token, unique
from tests.order_helpers import make_sale
from tests.return_helpers import (
    create_return,
    make_customer,
    move,
    picked_up_order,
    place_order,
    receive_return,
)
from tests.stock_helpers import assert_ledger_matches, make_location


async def _on_hand(db: asyncpg.Connection[Any], sku: str, location: Any) -> int:
    value: int = await db.fetchval(
        "SELECT on_hand FROM stock_levels WHERE sku = $1 AND location_id = $2", sku, location
    )
    return value


async def test_return_of_a_picked_up_order_restocks_and_refunds_once(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 5, kind="STORE", price=1999)
    order = await picked_up_order(client, db, settings, sale, qty=2)
    assert await _on_hand(db, sale.sku, sale.location) == 3
    pay = await db.fetchrow("SELECT status, captured_minor, refunded_minor FROM payments")
    assert (pay["status"], pay["captured_minor"], pay["refunded_minor"]) == ("CAPTURED", 3998, 0)

    created = await create_return(client, order, 1, "WRONG_SIZE", note="Too small")
    assert created["userErrors"] == []
    ret = created["return"]
    assert ret["status"] == "REQUESTED" and ret["reason"] == "WRONG_SIZE"
    assert ret["refund"] == {"amount": "19.99", "currencyCode": "EUR"}
    assert ret["refunded"] == {"amount": "0.00"} and ret["receivedAt"] is None
    assert ret["lines"] == [
        {
            "orderLineId": order.line_id,
            "sku": sale.sku,
            "quantity": 1,
            "resellable": True,
            "refund": {"amount": "19.99"},
        }
    ]
    assert created["order"]["returns"] == [{"id": ret["id"], "status": "REQUESTED"}]
    # Asking for a return moves nothing yet.
    assert await _on_hand(db, sale.sku, sale.location) == 3
    assert await db.fetchval("SELECT refunded_minor FROM payments") == 0

    received = await receive_return(client, settings, ret["id"], sale.location)
    assert received["userErrors"] == []
    done = received["return"]
    assert done["status"] == "RECEIVED" and done["receivedAt"] is not None
    assert done["locationId"] == f"gid://ucg/Location/{sale.location}"
    assert done["refunded"] == {"amount": "19.99"}
    assert await _on_hand(db, sale.sku, sale.location) == 4
    pay = await db.fetchrow("SELECT status, owed_minor, refunded_minor FROM payments")
    assert (pay["status"], pay["owed_minor"], pay["refunded_minor"]) == ("CAPTURED", 1999, 1999)
    assert await db.fetchval("SELECT returned_quantity FROM order_lines") == 1
    movement = await db.fetchrow(
        "SELECT delta, reason FROM stock_movements WHERE reason = 'RETURNED'"
    )
    assert (movement["delta"], movement["reason"]) == (1, "RETURNED")
    await assert_ledger_matches(db)

    # Received again (sequentially and concurrently): nothing more moves.
    again = await receive_return(client, settings, ret["id"], sale.location)
    assert again["userErrors"] == [] and again["return"]["status"] == "RECEIVED"
    await asyncio.gather(
        *(receive_return(client, settings, ret["id"], sale.location) for _ in range(3))
    )
    assert await _on_hand(db, sale.sku, sale.location) == 4
    assert await db.fetchval("SELECT refunded_minor FROM payments") == 1999
    assert await db.fetchval("SELECT returned_quantity FROM order_lines") == 1
    assert await db.fetchval("SELECT count(*) FROM stock_movements WHERE reason = 'RETURNED'") == 1
    await assert_ledger_matches(db)

    events = await db.fetch(
        "SELECT type, payload FROM outbox WHERE type LIKE 'ucg.order.return_%' ORDER BY id"
    )
    assert [e["type"] for e in events] == [
        "ucg.order.return_created.v1",
        "ucg.order.return_received.v1",
    ]
    assert events[1]["payload"]["refundedMinor"] == 1999
    assert events[1]["payload"]["restockedQuantity"] == 1
    stock_event = await db.fetchval(
        "SELECT payload FROM outbox WHERE type = 'ucg.inventory.stock_changed.v1' "
        "AND payload->>'cause' = 'RETURNED'"
    )
    assert stock_event["onHand"] == 4 and stock_event["deltaOnHand"] == 1

    # The buyer's lifetime value is what they kept: 39.98 - 19.99.
    me = await graphql(
        client,
        "{ me { lifetimeValue { amount } orders(first: 5) { edges { node { id returns { "
        "status refund { amount } } lines { quantity returnedQuantity } } } } } }",
        token=order.token,
    )
    assert me["data"]["me"]["lifetimeValue"] == {"amount": "19.99"}
    (edge,) = me["data"]["me"]["orders"]["edges"]
    assert edge["node"]["returns"] == [{"status": "RECEIVED", "refund": {"amount": "19.99"}}]
    assert edge["node"]["lines"] == [{"quantity": 2, "returnedQuantity": 1}]


async def test_damaged_return_is_refunded_but_not_restocked(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 3, kind="STORE", price=1000)
    order = await picked_up_order(client, db, settings, sale, qty=2)
    created = await create_return(client, order, 2, "DAMAGED")
    ret = created["return"]
    assert ret["lines"][0]["resellable"] is False and ret["refund"]["amount"] == "20.00"
    # Received at another store (a warehouse returns desk): nothing goes on hand anywhere.
    desk = await make_location(db, kind="WAREHOUSE")
    received = await receive_return(client, settings, ret["id"], desk)
    assert received["userErrors"] == [] and received["return"]["refunded"]["amount"] == "20.00"
    assert await _on_hand(db, sale.sku, sale.location) == 1
    assert await db.fetchval("SELECT count(*) FROM stock_levels WHERE location_id = $1", desk) == 0
    assert await db.fetchval("SELECT count(*) FROM stock_movements WHERE reason = 'RETURNED'") == 0
    pay = await db.fetchrow("SELECT status, owed_minor, refunded_minor FROM payments")
    assert (pay["status"], pay["owed_minor"], pay["refunded_minor"]) == ("REFUNDED", 0, 2000)
    assert await db.fetchval("SELECT returned_quantity FROM order_lines") == 2
    await assert_ledger_matches(db)


async def test_resellable_units_received_at_another_store_go_on_hand_there(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 2, kind="STORE")
    order = await picked_up_order(client, db, settings, sale, qty=1)
    other = await make_location(db)
    ret = (await create_return(client, order, 1, "CHANGED_MIND"))["return"]
    assert (await receive_return(client, settings, ret["id"], other))["userErrors"] == []
    assert await _on_hand(db, sale.sku, other) == 1
    assert await _on_hand(db, sale.sku, sale.location) == 1
    await assert_ledger_matches(db)


async def test_what_cannot_be_returned(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 10, kind="STORE")
    # Not yet picked up: nothing was delivered.
    waiting = await place_order(client, db, settings, sale, qty=1)
    await move(client, settings, waiting.fulfillment_id, "READY_FOR_PICKUP")
    early = await create_return(client, waiting, 1)
    assert early["return"] is None
    assert [(e["code"], e["field"]) for e in early["userErrors"]] == [
        ("NOT_RETURNABLE", ["lines", "0", "quantity"])
    ]

    order = await picked_up_order(client, db, settings, sale, qty=2)
    too_many = await create_return(client, order, 3)
    assert [e["code"] for e in too_many["userErrors"]] == ["NOT_RETURNABLE"]
    assert "Only 2" in too_many["userErrors"][0]["message"]
    # Units already asked for cannot be asked for again, even before they arrive.
    assert (await create_return(client, order, 2))["userErrors"] == []
    twice = await create_return(client, order, 1)
    assert [e["code"] for e in twice["userErrors"]] == ["NOT_RETURNABLE"]
    assert await db.fetchval("SELECT count(*) FROM returns") == 1

    # Outside the 30-day window.
    late = await picked_up_order(client, db, settings, sale, qty=1)
    await db.execute(
        "UPDATE fulfillments SET updated_at = now() - interval '31 days' "
        "WHERE id = (SELECT f.id FROM fulfillments f JOIN orders o ON o.id = f.order_id "
        "WHERE o.customer_id = $1)",
        late.customer_id,
    )
    expired = await create_return(client, late, 1)
    assert [(e["code"], e["field"]) for e in expired["userErrors"]] == [
        ("NOT_RETURNABLE", ["lines", "0", "lineId"])
    ]

    # Bad input: typed errors, nothing written.
    zero = await create_return(client, late, 0)
    assert [e["code"] for e in zero["userErrors"]] == ["INVALID"]
    unknown = await create_return(
        client, late, 1, line_id="gid://ucg/OrderLine/00000000-0000-4000-8000-000000000000"
    )
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [
        ("NOT_FOUND", ["lines", "0", "lineId"])
    ]
    bad_id = await create_return(client, late, 1, line_id="nope")
    assert [e["code"] for e in bad_id["userErrors"]] == ["INVALID_ID"]
    assert await db.fetchval("SELECT count(*) FROM returns") == 1


async def test_only_the_buyer_or_staff_may_ask_and_only_staff_receive(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 4, kind="STORE")
    order = await picked_up_order(client, db, settings, sale, qty=2)
    stranger = customer_token(settings, await make_customer(db))
    theirs = await create_return(client, order, 1, token=stranger)
    assert [(e["code"], e["field"]) for e in theirs["userErrors"]] == [("NOT_FOUND", ["orderId"])]
    anonymous = await create_return(client, order, 1, token="")
    assert [e["code"] for e in anonymous["userErrors"]] == ["UNAUTHENTICATED"]
    merchandiser = staff_token(settings, Role.MERCHANDISER)  # no access to customer data
    assert [
        e["code"] for e in (await create_return(client, order, 1, token=merchandiser))["userErrors"]
    ] == ["NOT_FOUND"]
    support = staff_token(settings, Role.SUPPORT)
    by_staff = await create_return(client, order, 1, token=support)
    assert by_staff["userErrors"] == []
    ret_id = by_staff["return"]["id"]
    assert await db.fetchval("SELECT count(*) FROM returns") == 1

    # The buyer cannot mark their own return received (that would refund without goods).
    body = await graphql(
        client,
        "mutation($id: ID!, $l: ID!) { orderReturnReceive(returnId: $id, locationId: $l) "
        "{ return { id } userErrors { code } } }",
        {"id": ret_id, "l": f"gid://ucg/Location/{sale.location}"},
        token=order.token,
    )
    assert body["data"]["orderReturnReceive"]["userErrors"] == [{"code": "FORBIDDEN"}]
    missing = await receive_return(
        client, settings, "gid://ucg/Return/00000000-0000-4000-8000-000000000000", sale.location
    )
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [("NOT_FOUND", ["returnId"])]
    nowhere = await graphql(
        client,
        "mutation($id: ID!, $l: ID!) { orderReturnReceive(returnId: $id, locationId: $l) "
        "{ userErrors { code field } } }",
        {"id": ret_id, "l": "gid://ucg/Location/00000000-0000-4000-8000-000000000000"},
        token=staff_token(settings, Role.STORE_ASSOCIATE),
    )
    assert nowhere["data"]["orderReturnReceive"]["userErrors"] == [
        {"code": "NOT_FOUND", "field": ["locationId"]}
    ]
    assert await db.fetchval("SELECT status FROM returns") == "REQUESTED"
    assert await db.fetchval("SELECT refunded_minor FROM payments") == 0

    # node(id:) shows the return to its buyer, not to a stranger.
    query = "query($id: ID!) { node(id: $id) { id ... on Return { status } } }"
    mine = await graphql(client, query, {"id": ret_id}, token=order.token)
    assert mine["data"]["node"] == {"id": ret_id, "status": "REQUESTED"}
    assert (await graphql(client, query, {"id": ret_id}, token=stranger))["data"]["node"] is None


async def test_the_same_key_gives_the_same_return(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    settings = env.settings()
    sale = await make_sale(db, 4, kind="STORE")
    order = await picked_up_order(client, db, settings, sale, qty=2)
    key = unique("ret-")
    first = await create_return(client, order, 1, key=key)
    again = await create_return(client, order, 1, key=key)
    assert again["userErrors"] == [] and again["return"]["id"] == first["return"]["id"]
    concurrent = await asyncio.gather(
        *(create_return(client, order, 1, key=unique("c-") if i else key) for i in range(2))
    )
    assert concurrent[0]["return"]["id"] == first["return"]["id"]
    conflict = await create_return(client, order, 1, "DAMAGED", key=key)
    assert [(e["code"], e["field"]) for e in conflict["userErrors"]] == [
        ("IDEMPOTENCY_CONFLICT", ["idempotencyKey"])
    ]
    assert await db.fetchval("SELECT count(*) FROM returns") == 2
    assert (
        await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'ucg.order.return_created.v1'")
        == 2
    )
