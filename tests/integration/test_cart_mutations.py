"""Cart mutations through GraphQL on real Postgres: every mutation, pricing, stock warnings."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.conftest import TestEnv
from tests.integration.cart_support import (
    CART_CREATE,
    CART_QUERY,
    CODES_UPDATE,
    LINES_ADD,
    LINES_REMOVE,
    LINES_UPDATE,
    METHOD_UPDATE,
    NOTE_UPDATE,
    add_customer,
    customer_token,
    gid,
    gql,
    lines_of,
    make_shop,
    mutate,
    ok,
)


async def test_guest_cart_is_priced_and_writes_an_event_without_personal_data(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    shop = await make_shop(db)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": gid("Channel", shop.web),
                    "lines": [
                        shop.line("MUG-1", 2, attributes=[{"key": "gift", "value": "yes"}]),
                        shop.line("TEE-1", 1),
                    ],
                    "buyerIdentity": {"email": "ann@example.com", "countryCode": "NL"},
                    "note": "ring twice",
                }
            },
        )
    )
    assert cart["status"] == "ACTIVE" and cart["currencyCode"] == "EUR"
    assert cart["channel"]["id"] == gid("Channel", shop.web)
    assert cart["buyerIdentity"] == {
        "email": "ann@example.com",
        "countryCode": "NL",
        "customer": None,
    }
    mug, tee = lines_of(cart)
    assert (mug["sku"], mug["quantity"], tee["sku"]) == ("MUG-1", 2, "TEE-1")
    assert mug["merchandise"]["id"] == gid("ProductVariant", shop.variants["MUG-1"])
    assert mug["attributes"] == [{"key": "gift", "value": "yes"}]
    assert mug["cost"]["unitPrice"]["amount"] == "10.00"
    assert mug["cost"]["compareAtUnitPrice"]["amount"] == "15.00"
    assert mug["cost"]["subtotal"]["amount"] == "20.00"
    cost = cart["cost"]
    assert cost["subtotal"] == {"amount": "45.00", "currencyCode": "EUR"}
    assert cost["compareAtSubtotal"]["amount"] == "55.00"
    assert cost["shipping"]["amount"] == "4.95"  # free from 50.00
    assert cost["taxesIncluded"] is True
    # NL 21% included in (45.00 + 4.95): 49.95 * 21/121 = 8.669 -> 8.67
    assert cost["tax"]["amount"] == "8.67"
    assert cost["total"]["amount"] == "49.95"
    assert sum(float(line["cost"]["tax"]["amount"]) for line in lines_of(cart)) <= 8.67
    assert cart["totalQuantity"] == 3
    assert {e["method"]: e["amount"] for e in cart["shippingEstimates"]} == {
        "SHIP": {"amount": "4.95"},
        "PICKUP": {"amount": "0.00"},
        "SHIP_FROM_STORE": {"amount": "3.95"},
        "SAME_DAY": {"amount": "9.95"},
    }
    assert cart["id"].startswith("gid://ucg/Cart/")

    event = await db.fetchrow("SELECT topic, type, aggregate_id, payload FROM outbox")
    assert event is not None
    assert (event["topic"], event["type"]) == ("ucg.carts.v1", "ucg.cart.updated.v1")
    assert event["payload"]["reason"] == "CREATED"
    assert event["payload"]["totalQuantity"] == 3
    text = str(event["payload"])
    assert "ann@example.com" not in text and "ring twice" not in text

    # The id is the bearer: anyone holding it reads the guest cart.
    again = await gql(client, CART_QUERY, {"id": cart["id"]})
    assert again["data"]["cart"]["cost"] == cost
    missing = await gql(client, CART_QUERY, {"id": gid("Cart", shop.web)})
    assert missing["data"]["cart"] is None


async def test_lines_add_update_remove(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    shop = await make_shop(db)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {"input": {"channel": gid("Channel", shop.app), "lines": [shop.line("MUG-1", 1)]}},
        )
    )
    cart_id = cart["id"]
    # Same variant, same attributes: one line; other attributes: another line.
    cart = ok(
        await mutate(
            client,
            LINES_ADD,
            {
                "cartId": cart_id,
                "lines": [
                    shop.line("MUG-1", 2),
                    shop.line("MUG-1", 1, attributes=[{"key": "engrave", "value": "A"}]),
                ],
            },
        )
    )
    first, engraved = lines_of(cart)
    assert (first["quantity"], engraved["quantity"]) == (3, 1)
    assert engraved["attributes"] == [{"key": "engrave", "value": "A"}]

    cart = ok(
        await mutate(
            client,
            LINES_UPDATE,
            {"cartId": cart_id, "lines": [{"id": first["id"], "quantity": 4}]},
        )
    )
    assert [line["quantity"] for line in lines_of(cart)] == [4, 1]
    assert cart["cost"]["subtotal"]["amount"] == "50.00"
    assert cart["cost"]["shipping"]["amount"] == "0.00"  # free from 50.00

    cart = ok(await mutate(client, LINES_REMOVE, {"cartId": cart_id, "lineIds": [engraved["id"]]}))
    assert [line["id"] for line in lines_of(cart)] == [first["id"]]

    cart = ok(await mutate(client, NOTE_UPDATE, {"cartId": cart_id, "note": "gift wrap"}))
    assert cart["note"] == "gift wrap"
    cart = ok(await mutate(client, METHOD_UPDATE, {"cartId": cart_id, "method": "SAME_DAY"}))
    assert cart["fulfillmentMethod"] == "SAME_DAY"
    assert cart["cost"]["shipping"]["amount"] == "9.95"
    reasons = await db.fetch("SELECT payload->>'reason' AS r FROM outbox ORDER BY id")
    assert [r["r"] for r in reasons] == [
        "CREATED",
        "LINES_ADDED",
        "LINES_UPDATED",
        "LINES_REMOVED",
        "NOTE_UPDATED",
        "FULFILLMENT_METHOD_UPDATED",
    ]
    sequences = await db.fetch("SELECT sequence FROM outbox ORDER BY id")
    assert [s["sequence"] for s in sequences] == [1, 2, 3, 4, 5, 6]


async def test_stock_warnings_are_live_and_adding_never_reserves(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    shop = await make_shop(db)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": gid("Channel", shop.web),
                    "lines": [shop.line("MUG-1", 2), shop.line("TEE-1", 3), shop.line("CAP-1")],
                }
            },
        )
    )
    mug, tee, cap = lines_of(cart)
    assert mug["warnings"] == []
    assert tee["warnings"] == [{"code": "NOT_ENOUGH_STOCK", "availableQuantity": 1}]
    assert cap["warnings"] == [{"code": "OUT_OF_STOCK", "availableQuantity": 0}]
    assert {(w["code"], w["lineId"]) for w in cart["warnings"]} == {
        ("NOT_ENOUGH_STOCK", tee["id"]),
        ("OUT_OF_STOCK", cap["id"]),
    }
    assert await db.fetchval("SELECT sum(reserved) FROM stock_levels") == 0

    # Stock arrives: the next read says so.
    await db.execute("UPDATE stock_levels SET on_hand = 10 WHERE sku IN ('TEE-1', 'CAP-1')")
    body = await gql(client, CART_QUERY, {"id": cart["id"]})
    assert body["data"]["cart"]["warnings"] == []
    # A product archived after it was added: warned about, not counted, never an error.
    await db.execute("UPDATE products SET status = 'ARCHIVED' WHERE handle = 'tee-1'")
    body = await gql(client, CART_QUERY, {"id": cart["id"]})
    tee_line = lines_of(body["data"]["cart"])[1]
    assert tee_line["warnings"] == [{"code": "MERCHANDISE_UNAVAILABLE", "availableQuantity": None}]
    assert tee_line["cost"] is None
    assert body["data"]["cart"]["cost"]["subtotal"]["amount"] == "27.50"


async def test_discount_codes_apply_or_come_back_with_a_reason(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shop = await make_shop(db)
    ann = await add_customer(db)
    await db.execute(
        """INSERT INTO discounts (code, kind, value, currency_code, min_subtotal_minor,
                                  usage_limit, usage_limit_per_customer, channel_ids,
                                  combinable, starts_at, ends_at)
           VALUES ('TEN', 'PERCENTAGE', 1000, NULL, 0, NULL, NULL, '{}', true, NULL, NULL),
                  ('FIVER', 'FIXED_AMOUNT', 500, 'EUR', 0, NULL, NULL, '{}', true, NULL, NULL),
                  ('SHIPFREE', 'FREE_SHIPPING', 0, NULL, 0, NULL, NULL, '{}', true, NULL, NULL),
                  ('BIGSPEND', 'PERCENTAGE', 2000, 'EUR', 100000, NULL, NULL, '{}', true,
                   NULL, NULL),
                  ('SOLO', 'PERCENTAGE', 5000, NULL, 0, NULL, NULL, '{}', false, NULL, NULL),
                  ('USED', 'PERCENTAGE', 1000, NULL, 0, 1, NULL, '{}', true, NULL, NULL),
                  ('ONCE', 'PERCENTAGE', 1000, NULL, 0, NULL, 1, '{}', true, NULL, NULL),
                  ('APPONLY', 'PERCENTAGE', 1000, NULL, 0, NULL, NULL, $1, true, NULL, NULL),
                  ('LATER', 'PERCENTAGE', 1000, NULL, 0, NULL, NULL, '{}', true,
                   now() + interval '1 day', NULL),
                  ('GONE', 'PERCENTAGE', 1000, NULL, 0, NULL, NULL, '{}', true,
                   NULL, now() - interval '1 day'),
                  ('DOLLAR', 'FIXED_AMOUNT', 500, 'USD', 0, NULL, NULL, '{}', true, NULL, NULL)""",
        [shop.app],
    )
    used = await db.fetch("SELECT id, code FROM discounts WHERE code IN ('USED', 'ONCE')")
    for row in used:
        await db.execute(
            "INSERT INTO discount_redemptions (discount_id, customer_id) VALUES ($1, $2)",
            row["id"],
            ann,
        )
    token = customer_token(env.settings(), ann)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {"input": {"channel": gid("Channel", shop.web), "lines": [shop.line("MUG-1", 3)]}},
            token,
        )
    )
    codes = [
        " ten ",
        "FIVER",
        "shipfree",
        "BIGSPEND",
        "SOLO",
    ]
    cart = ok(await mutate(client, CODES_UPDATE, {"cartId": cart["id"], "codes": codes}, token))
    results = {
        c["code"]: (c["applicable"], c["rejection"], c["amount"]["amount"])
        for c in cart["discountCodes"]
    }
    assert results == {
        "TEN": (True, None, "3.00"),
        "FIVER": (True, None, "5.00"),
        "SHIPFREE": (True, None, "4.95"),
        "BIGSPEND": (False, "MINIMUM_SUBTOTAL_NOT_MET", "0.00"),
        "SOLO": (False, "NOT_COMBINABLE", "0.00"),
    }
    cost = cart["cost"]
    assert (cost["subtotal"]["amount"], cost["discount"]["amount"]) == ("30.00", "8.00")
    assert (cost["shipping"]["amount"], cost["shippingDiscount"]["amount"]) == ("4.95", "4.95")
    assert cost["total"]["amount"] == "22.00"
    line = lines_of(cart)[0]
    assert line["cost"]["discount"]["amount"] == "8.00"
    assert line["cost"]["total"]["amount"] == "22.00"

    more = ["USED", "ONCE", "APPONLY", "LATER", "GONE", "NOPE"]
    cart = ok(await mutate(client, CODES_UPDATE, {"cartId": cart["id"], "codes": more[:5]}, token))
    assert [(c["code"], c["rejection"]) for c in cart["discountCodes"]] == [
        ("USED", "USAGE_LIMIT_REACHED"),
        ("ONCE", "CUSTOMER_USAGE_LIMIT_REACHED"),
        ("APPONLY", "CHANNEL_NOT_ELIGIBLE"),
        ("LATER", "NOT_STARTED"),
        ("GONE", "EXPIRED"),
    ]
    assert cart["cost"]["discount"]["amount"] == "0.00"
    cart = ok(
        await mutate(
            client, CODES_UPDATE, {"cartId": cart["id"], "codes": ["NOPE", "DOLLAR", "SOLO"]}, token
        )
    )
    assert [(c["code"], c["rejection"]) for c in cart["discountCodes"]] == [
        ("NOPE", "NOT_FOUND"),
        ("DOLLAR", "CURRENCY_NOT_ELIGIBLE"),
        ("SOLO", None),
    ]
    assert cart["cost"]["discount"]["amount"] == "15.00"
    cart = ok(await mutate(client, CODES_UPDATE, {"cartId": cart["id"], "codes": []}, token))
    assert cart["discountCodes"] == [] and cart["cost"]["discount"]["amount"] == "0.00"


async def test_usd_cart_on_a_channel_that_sells_usd(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    shop = await make_shop(db)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": gid("Channel", shop.web),
                    "currency": "USD",
                    "lines": [shop.line("MUG-1", 1)],
                    "buyerIdentity": {"countryCode": "US", "provinceCode": "NY"},
                }
            },
        )
    )
    cost = cart["cost"]
    assert cost["subtotal"] == {"amount": "11.00", "currencyCode": "USD"}
    assert cost["taxesIncluded"] is False
    # 8.875% of (11.00 + 5.95 shipping) = 1.504 -> 1.50, added on top.
    assert cost["tax"]["amount"] == "1.50"
    assert cost["total"]["amount"] == "18.45"


async def test_lines_are_a_connection(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    shop = await make_shop(db)
    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": gid("Channel", shop.web),
                    "lines": [shop.line("MUG-1"), shop.line("TEE-1"), shop.line("CAP-1")],
                }
            },
        )
    )
    page_query = """query($id: ID!, $after: String) { cart(id: $id) {
      lines(first: 2, after: $after) { edges { cursor node { sku } }
                                       pageInfo { hasNextPage endCursor } } } }"""
    first = (await gql(client, page_query, {"id": cart["id"]}))["data"]["cart"]["lines"]
    assert [e["node"]["sku"] for e in first["edges"]] == ["MUG-1", "TEE-1"]
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    rest = (await gql(client, page_query, {"id": cart["id"], "after": after}))["data"]["cart"]
    assert [e["node"]["sku"] for e in rest["lines"]["edges"]] == ["CAP-1"]
    assert rest["lines"]["pageInfo"]["hasNextPage"] is False
    bad = await gql(client, page_query, {"id": cart["id"], "after": "bm9wZQ=="})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"
