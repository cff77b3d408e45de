"""POS sale at the till (issue 17 item 1): posSaleComplete over HTTP, real Postgres."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, staff_token
from tests.live import new_customer
from tests.order_helpers import Sale, level, make_sale
from tests.stock_helpers import assert_ledger_matches, make_location

SALE = """mutation($loc: ID!, $lines: [PosLineInput!]!, $tenders: [PosTenderInput!]!,
                   $key: String!, $customer: PosCustomerInput) {
  posSaleComplete(locationId: $loc, lines: $lines, tenders: $tenders,
                  idempotencyKey: $key, customer: $customer) {
    sale { orderId orderNumber receiptNumber customerId totalMinor changeMinor pointsEarned
           currencyCode tenders { kind tenderedMinor appliedMinor } }
    userErrors { code field message }
  }
}"""


async def pos_store(db: asyncpg.Connection[Any], units: int, price: int = 1000) -> Sale:
    sale = await make_sale(db, units, kind="STORE", price=price)
    await db.execute("UPDATE channels SET code = 'POS' WHERE id = $1", sale.channel)
    return sale


async def sell(
    client: httpx.AsyncClient,
    token: str,
    sale: Sale,
    qty: int,
    tenders: list[dict[str, Any]],
    key: str,
    customer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    variables = {
        "loc": to_global_id("Location", sale.location),
        "lines": [{"sku": sale.sku, "quantity": qty}],
        "tenders": tenders,
        "key": key,
        "customer": customer,
    }
    body = await graphql(client, SALE, variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["posSaleComplete"]
    return result


def codes(result: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(e["code"], e["field"]) for e in result["userErrors"]]


async def counts(db: asyncpg.Connection[Any]) -> tuple[int, int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM orders"),
        await db.fetchval("SELECT count(*) FROM payments"),
        await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'ucg.order.created.v1'"),
    )


async def test_a_cash_sale_takes_the_shelf_gives_change_and_is_an_ordinary_order(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await pos_store(db, 5)
    till = staff_token(env.settings(), Role.POS)
    done = await sell(client, till, sale, 2, [{"kind": "CASH", "amountMinor": 2500}], "s1")
    assert done["userErrors"] == []
    receipt = done["sale"]
    assert receipt["totalMinor"] == 2000 and receipt["changeMinor"] == 500
    assert receipt["tenders"] == [{"kind": "CASH", "tenderedMinor": 2500, "appliedMinor": 2000}]
    assert receipt["customerId"] is None and receipt["pointsEarned"] == 0
    code = await db.fetchval("SELECT code FROM locations WHERE id = $1", sale.location)
    assert receipt["receiptNumber"] == f"{code}-{receipt['orderNumber']:08d}"
    assert await level(db, sale) == (3, 0)
    order = await db.fetchrow("SELECT * FROM orders WHERE number = $1", receipt["orderNumber"])
    assert order["status"] == "COMPLETED" and order["channel_id"] == sale.channel
    assert (
        await db.fetchval(
            "SELECT status FROM fulfillments WHERE order_id = $1 AND location_id = $2",
            order["id"],
            sale.location,
        )
        == "PICKED_UP"
    )
    assert (
        await db.fetchval(
            "SELECT sum(delta) FROM stock_movements WHERE reason = 'SOLD' AND location_id = $1",
            sale.location,
        )
        == -2
    )
    assert await counts(db) == (1, 1, 1)

    # The same key again: the first sale, nothing sold twice.
    again = await sell(client, till, sale, 2, [{"kind": "CASH", "amountMinor": 2500}], "s1")
    assert again["sale"]["orderId"] == receipt["orderId"] and again["sale"]["changeMinor"] == 500
    assert await level(db, sale) == (3, 0) and await counts(db) == (1, 1, 1)
    other = await sell(client, till, sale, 1, [{"kind": "CASH", "amountMinor": 2500}], "s1")
    assert codes(other) == [("IDEMPOTENCY_CONFLICT", ["idempotencyKey"])]


async def test_a_split_tender_with_a_looked_up_customer_earns_points(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await pos_store(db, 5)
    alice = await new_customer(db)
    await db.execute(
        "INSERT INTO customer_identities (customer_id, kind, normalized) "
        "VALUES ($1, 'EMAIL', 'alice@example.com')",
        alice,
    )
    till = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    tenders = [
        {"kind": "CARD", "amountMinor": 1800, "cardToken": "tok_visa"},
        {"kind": "CASH", "amountMinor": 1500},
    ]
    customer = {"kind": "EMAIL", "value": "Alice@Example.com"}
    done = await sell(client, till, sale, 3, tenders, "split", customer)
    assert done["userErrors"] == []
    receipt = done["sale"]
    assert receipt["customerId"] == to_global_id("Customer", alice)
    assert receipt["totalMinor"] == 3000 and receipt["changeMinor"] == 300
    assert [t["appliedMinor"] for t in receipt["tenders"]] == [1800, 1200]
    assert receipt["pointsEarned"] > 0
    assert (
        await db.fetchval(
            "SELECT points FROM loyalty_ledger WHERE customer_id = $1 AND kind = 'EARN'", alice
        )
        == receipt["pointsEarned"]
    )
    paid = await db.fetch("SELECT provider, status, captured_minor FROM payments ORDER BY provider")
    assert [(r["provider"], r["status"], r["captured_minor"]) for r in paid] == [
        ("card", "CAPTURED", 1800),
        ("cash", "CAPTURED", 1200),
    ]
    assert await level(db, sale) == (2, 0)


async def test_bad_sales_are_typed_errors_and_write_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await pos_store(db, 2)
    till = staff_token(env.settings(), Role.POS)
    cash = [{"kind": "CASH", "amountMinor": 5000}]
    short = await sell(client, till, sale, 2, [{"kind": "CASH", "amountMinor": 1999}], "a")
    assert codes(short) == [("TENDER_SHORT", ["tenders"])]
    over = await sell(
        client, till, sale, 1, [{"kind": "CARD", "amountMinor": 1500, "cardToken": "tok_visa"}], "b"
    )
    assert codes(over) == [("TENDER_SHORT", ["tenders"])]
    assert codes(await sell(client, till, sale, 3, cash, "c")) == [
        ("OUT_OF_STOCK", ["lines", "0", "quantity"])
    ]
    declined = await sell(
        client,
        till,
        sale,
        1,
        [
            {"kind": "CASH", "amountMinor": 500},
            {"kind": "CARD", "amountMinor": 500, "cardToken": "tok_declined"},
        ],
        "d",
    )
    assert codes(declined) == [("PAYMENT_DECLINED", ["tenders", "1"])]
    unknown = await sell(client, till, sale, 1, cash, "e", {"kind": "EMAIL", "value": "x@y.zz"})
    assert codes(unknown) == [("NOT_FOUND", ["customer", "value"])]
    assert await level(db, sale) == (2, 0)
    assert await counts(db) == (0, 0, 0)

    # Only POS keys and store staff sell; a customer is FORBIDDEN.
    buyer = customer_token(env.settings(), await new_customer(db))
    assert codes(await sell(client, buyer, sale, 1, cash, "f")) == [("FORBIDDEN", None)]


AISLE = """mutation($loc: ID!, $lines: [PosLineInput!]!, $method: PosAisleMethod!, $card: String!,
                   $key: String!, $pickup: ID, $address: JSON, $customer: PosCustomerInput) {
  posEndlessAisleOrder(locationId: $loc, lines: $lines, method: $method, cardToken: $card,
                       idempotencyKey: $key, pickupLocationId: $pickup, address: $address,
                       customer: $customer) {
    order { orderId orderNumber totalMinor currencyCode soldAt }
    userErrors { code field message }
  }
}"""


async def aisle(
    client: httpx.AsyncClient, token: str, till: Any, sale: Sale, qty: int, key: str, **extra: Any
) -> dict[str, Any]:
    variables = {
        "loc": to_global_id("Location", till),
        "lines": [{"sku": sale.sku, "quantity": qty}],
        "method": "SHIP",
        "card": "tok_visa",
        "key": key,
        "address": {"line1": "Damrak 1", "city": "Amsterdam"},
        **extra,
    }
    body = await graphql(client, AISLE, variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["posEndlessAisleOrder"]
    return result


async def test_endless_aisle_ships_from_the_warehouse_and_is_paid_at_the_till(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    warehouse = await pos_store(db, 4)
    await db.execute("UPDATE locations SET kind = 'WAREHOUSE' WHERE id = $1", warehouse.location)
    till = await make_location(db, kind="STORE")
    alice = await new_customer(db)
    pos = staff_token(env.settings(), Role.POS)
    customer = {"id": to_global_id("Customer", alice)}
    done = await aisle(client, pos, till, warehouse, 3, "a1", customer=customer)
    assert done["userErrors"] == [], done
    order = done["order"]
    assert order["soldAt"] == to_global_id("Location", till) and order["totalMinor"] >= 3000
    row = await db.fetchrow(
        "SELECT o.customer_id, o.channel_id, f.location_id, f.method FROM orders o "
        "JOIN fulfillments f ON f.order_id = o.id WHERE o.number = $1",
        order["orderNumber"],
    )
    assert row["customer_id"] == alice and row["channel_id"] == warehouse.channel
    assert row["location_id"] == warehouse.location and row["method"] == "SHIP"
    assert await level(db, warehouse) == (1, 0)  # sold off the warehouse at checkout
    assert (
        await db.fetchval(
            "SELECT count(*) FROM payments WHERE status = 'AUTHORIZED' AND amount_minor = $1",
            order["totalMinor"],
        )
        == 1
    )
    again = await aisle(client, pos, till, warehouse, 3, "a1", customer=customer)
    assert again["order"]["orderId"] == order["orderId"]
    assert await db.fetchval("SELECT count(*) FROM orders") == 1

    # Typed errors, nothing written: too many, pickup at this very store, a declined card.
    assert codes(await aisle(client, pos, till, warehouse, 2, "a2"))[0][0] == "OUT_OF_STOCK"
    assert codes(
        await aisle(
            client,
            pos,
            till,
            warehouse,
            1,
            "a3",
            method="PICKUP",
            pickup=to_global_id("Location", till),
        )
    ) == [("INVALID", ["pickupLocationId"])]
    assert (
        codes(await aisle(client, pos, till, warehouse, 1, "a4", card="tok_declined"))[0][0]
        == "PAYMENT_DECLINED"
    )
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    assert await level(db, warehouse) == (1, 0)
    # As checkoutComplete: another card after a decline needs a new key (the same key
    # is a typed error, nothing written); with one the order is taken.
    same = await aisle(client, pos, till, warehouse, 1, "a4")
    assert codes(same) == [("PAYMENT_FAILED", ["payment", "token"])]
    assert await level(db, warehouse) == (1, 0)
    retried = await aisle(client, pos, till, warehouse, 1, "a5")
    assert retried["userErrors"] == [], retried
    assert await level(db, warehouse) == (0, 0)
    await assert_ledger_matches(db)


async def test_a_store_promotion_code_applies_at_the_till_and_counts_its_use(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await pos_store(db, 5)
    other_channel = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ('WEB', 'Web', 'EUR') RETURNING id"
    )
    await db.execute(
        "INSERT INTO discounts (code, kind, value, channel_ids, usage_limit) "
        "VALUES ('STORE10', 'PERCENTAGE', 1000, $1, 1), ('WEBONLY', 'PERCENTAGE', 500, $2, NULL)",
        [sale.channel],
        [other_channel],
    )
    till = staff_token(env.settings(), Role.POS)
    body = await graphql(
        client,
        SALE.replace(
            "$customer: PosCustomerInput)", "$customer: PosCustomerInput, $codes: [String!])"
        ).replace("customer: $customer)", "customer: $customer, discountCodes: $codes)"),
        {
            "loc": to_global_id("Location", sale.location),
            "lines": [{"sku": sale.sku, "quantity": 2}],
            "tenders": [{"kind": "CASH", "amountMinor": 1800}],
            "key": "promo",
            "codes": ["store10"],
        },
        token=till,
    )
    done = body["data"]["posSaleComplete"]
    assert done["userErrors"] == [] and done["sale"]["totalMinor"] == 1800
    assert await db.fetchval("SELECT discount_minor FROM orders") == 200
    assert await db.fetchval("SELECT sum(discount_minor) FROM order_lines") == 200
    assert await db.fetchval("SELECT count(*) FROM discount_redemptions") == 1

    async def coded(code: str, key: str) -> dict[str, Any]:
        body = await graphql(
            client,
            SALE.replace(
                "$customer: PosCustomerInput)", "$customer: PosCustomerInput, $codes: [String!])"
            ).replace("customer: $customer)", "customer: $customer, discountCodes: $codes)"),
            {
                "loc": to_global_id("Location", sale.location),
                "lines": [{"sku": sale.sku, "quantity": 1}],
                "tenders": [{"kind": "CASH", "amountMinor": 1000}],
                "key": key,
                "codes": [code],
            },
            token=till,
        )
        result: dict[str, Any] = body["data"]["posSaleComplete"]
        return result

    # Used up, or for another channel: refused with the reason, nothing sold.
    assert codes(await coded("STORE10", "p2")) == [("INVALID", ["discountCodes", "0"])]
    assert codes(await coded("WEBONLY", "p3")) == [("INVALID", ["discountCodes", "0"])]
    assert await level(db, sale) == (3, 0)


async def test_a_declined_second_card_refunds_the_first_and_sells_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await pos_store(db, 3)
    till = staff_token(env.settings(), Role.POS)
    tenders = [
        {"kind": "CARD", "amountMinor": 600, "cardToken": "tok_visa"},
        {"kind": "CARD", "amountMinor": 400, "cardToken": "tok_declined"},
    ]
    result = await sell(client, till, sale, 1, tenders, "two-cards")
    assert codes(result) == [("PAYMENT_DECLINED", ["tenders", "1"])]
    first = await db.fetchrow(
        "SELECT captured_minor, refunded_minor FROM test_provider_authorizations"
    )
    assert (first["captured_minor"], first["refunded_minor"]) == (600, 600)
    assert await level(db, sale) == (3, 0) and await counts(db) == (0, 0, 0)


async def test_a_retry_after_a_decline_charges_afresh(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    sale = await pos_store(db, 3)
    till = staff_token(env.settings(), Role.POS)
    visa = {"kind": "CARD", "amountMinor": 600, "cardToken": "tok_visa"}
    declined = [visa, {"kind": "CARD", "amountMinor": 400, "cardToken": "tok_declined"}]
    assert codes(await sell(client, till, sale, 1, declined, "retry"))[0][0] == "PAYMENT_DECLINED"
    ok = [visa, {"kind": "CASH", "amountMinor": 400}]
    done = await sell(client, till, sale, 1, ok, "retry")
    assert done["userErrors"] == []
    # The refunded first capture is not reused: a new one pays the sale.
    rows = await db.fetch(
        "SELECT captured_minor, refunded_minor FROM test_provider_authorizations "
        "ORDER BY created_at"
    )
    assert sorted((r["captured_minor"], r["refunded_minor"]) for r in rows) == [
        (600, 0),
        (600, 600),
    ]
    assert await level(db, sale) == (2, 0)
