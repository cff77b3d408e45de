"""Checkout routing, options, totals and the fraud hold, through GraphQL on real Postgres."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token, unique
from tests.order_helpers import VISA
from tests.stock_helpers import assert_ledger_matches, make_location, make_variant, receive

BEGIN = """mutation($cartId: ID!, $store: ID, $address: JSON) {
  checkoutBegin(cartId: $cartId, pickupLocationId: $store, address: $address) {
    reservedUntil subtotalMinor
    options {
      method available price { amount currencyCode } promisedAt reason
      shipments { locationId promisedAt distanceKm lines { sku quantity } }
      unservedLines { sku requested available }
    }
    userErrors { code field message }
  }
}"""
COMPLETE = """
mutation($cartId: ID!, $f: CheckoutFulfillmentInput!, $p: CheckoutPaymentInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, fulfillment: $f, payment: $p, idempotencyKey: $key) {
    order {
      id status total { amount } subtotal { amount } discount { amount } tax { amount }
      shipping { amount } risk { score }
      lines { unitPrice { amount } discount { amount } tax { amount } total { amount } }
      fulfillments { status method locationId }
    }
    userErrors { code field message }
  }
}"""
ORDER = """query($id: ID!) { order(id: $id) {
  status risk { score onHold reasons { code points detail } } } }"""

# Buyer in central Amsterdam; stores at ~0.4 km (Dam), ~35 km (Utrecht), ~57 km (Rotterdam).
AMSTERDAM = {"line1": "Damrak 1", "city": "Amsterdam", "latitude": 52.3745, "longitude": 4.8979}
HAARLEM = {"line1": "Grote Markt 2", "city": "Haarlem", "latitude": 52.3812, "longitude": 4.6368}


def gid(kind: str, value: uuid.UUID) -> str:
    return f"gid://ucg/{kind}/{value}"


def midday_zone() -> str:
    """A fixed-offset zone where it is about 10:00 now, so a same-day window (before a
    20:00 cut-off, 3 hours, same local day) is open whatever time the tests run."""
    offset = 10 - datetime.now(UTC).hour
    if offset < -12:
        offset += 24
    # POSIX sign: Etc/GMT-3 is UTC+3.
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@dataclass
class World:
    channel: uuid.UUID
    skus: list[str]
    variants: list[uuid.UUID]
    warehouse: uuid.UUID
    dam: uuid.UUID
    utrecht: uuid.UUID
    rotterdam: uuid.UUID


async def make_world(db: asyncpg.Connection[Any], *, price: int = 1999) -> World:
    channel = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ($1, 'Web', 'EUR') RETURNING id",
        unique("CH_").upper(),
    )
    skus = [await make_variant(db), await make_variant(db)]
    variants = []
    for sku in skus:
        variant = await db.fetchval("SELECT id FROM variants WHERE sku = $1", sku)
        await db.execute(
            "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
            "VALUES ($1, $2, 'EUR', $3)",
            variant,
            channel,
            price,
        )
        variants.append(variant)
    warehouse = await make_location(db, kind="WAREHOUSE", lat=52.40, lon=4.81, can_pickup=False)
    dam = await make_location(db, lat=52.3731, lon=4.8926, same_day_radius_km=10)
    utrecht = await make_location(db, lat=52.0907, lon=5.1214, same_day_radius_km=10)
    rotterdam = await make_location(db, lat=51.9225, lon=4.4792, same_day_radius_km=10)
    await db.execute(
        "UPDATE locations SET same_day_cutoff = '20:00', time_zone = $2, "
        "opening_hours = 'Mo-Su 00:00-24:00' WHERE id = ANY($1)",
        [dam, utrecht, rotterdam],
        midday_zone(),
    )
    return World(channel, skus, variants, warehouse, dam, utrecht, rotterdam)


async def cart_of(
    db: asyncpg.Connection[Any], world: World, quantities: list[int], codes: list[str] | None = None
) -> str:
    cart = uuid.uuid4()
    await db.execute(
        "INSERT INTO carts (id, channel_id, currency_code, discount_codes) "
        "VALUES ($1, $2, 'EUR', $3)",
        cart,
        world.channel,
        codes or [],
    )
    for variant, quantity in zip(world.variants, quantities, strict=False):
        if quantity:
            await db.execute(
                "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, $3)",
                cart,
                variant,
                quantity,
            )
    return gid("Cart", cart)


async def begin(
    client: httpx.AsyncClient, cart: str, address: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = await graphql(client, BEGIN, {"cartId": cart, "address": address})
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["checkoutBegin"]
    return payload


async def complete(
    client: httpx.AsyncClient,
    cart: str,
    fulfillment: dict[str, Any],
    payment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = await graphql(
        client,
        COMPLETE,
        {"cartId": cart, "f": fulfillment, "p": payment or VISA, "key": unique("k-")},
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["checkoutComplete"]
    return payload


async def available(db: asyncpg.Connection[Any], sku: str, location: uuid.UUID) -> tuple[int, int]:
    r = await db.fetchrow(
        "SELECT on_hand, reserved FROM stock_levels WHERE sku = $1 AND location_id = $2",
        sku,
        location,
    )
    return r["on_hand"], r["reserved"]


async def test_begin_lists_every_option_with_price_promise_and_plan(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    world = await make_world(db)
    sku = world.skus[0]
    for location in (world.warehouse, world.dam, world.rotterdam):
        await receive(db, sku, location, 5)
    cart = await cart_of(db, world, [1])
    now = datetime.now(UTC)
    started = await begin(client, cart, AMSTERDAM)
    assert started["userErrors"] == []
    options = {o["method"]: o for o in started["options"]}
    assert list(options) == ["SHIP", "PICKUP", "SHIP_FROM_STORE", "SAME_DAY"]
    prices = {m: o["price"] for m, o in options.items()}
    # EUR rates of the cart's rate table; 19.99 of merchandise is under the free threshold.
    assert prices == {
        "SHIP": {"amount": "4.95", "currencyCode": "EUR"},
        "PICKUP": {"amount": "0.00", "currencyCode": "EUR"},
        "SHIP_FROM_STORE": {"amount": "3.95", "currencyCode": "EUR"},
        "SAME_DAY": {"amount": "9.95", "currencyCode": "EUR"},
    }
    assert all(o["available"] and o["reason"] is None for o in options.values())
    served_from = {m: [s["locationId"] for s in o["shipments"]] for m, o in options.items()}
    assert served_from == {
        "SHIP": [gid("Location", world.warehouse)],
        "PICKUP": [gid("Location", world.dam)],  # the nearest pickup store
        "SHIP_FROM_STORE": [gid("Location", world.dam)],
        "SAME_DAY": [gid("Location", world.dam)],
    }
    promised = {m: datetime.fromisoformat(o["promisedAt"]) for m, o in options.items()}
    assert now + timedelta(hours=2) <= promised["PICKUP"] < now + timedelta(hours=3)
    assert now + timedelta(hours=3) <= promised["SAME_DAY"] < now + timedelta(hours=4)
    assert promised["SHIP"] >= now + timedelta(days=2)  # 24 h handling + 1 transit day
    # The hold follows the SHIP plan (the first available): 1 unit at the warehouse.
    assert await available(db, sku, world.warehouse) == (5, 1)
    assert await available(db, sku, world.dam) == (5, 0)
    # Completing SHIP reuses that hold: committed once, nothing taken twice.
    placed = await complete(client, cart, {"method": "SHIP", "address": AMSTERDAM})
    assert placed["userErrors"] == []
    assert await available(db, sku, world.warehouse) == (4, 0)
    assert await db.fetchval("SELECT count(*) FROM reservations WHERE status = 'COMMITTED'") == 1
    assert await db.fetchval("SELECT count(*) FROM reservations WHERE status = 'RELEASED'") == 0
    await assert_ledger_matches(db)


async def test_ship_from_store_uses_the_nearest_store_with_stock(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    world = await make_world(db)
    sku = world.skus[0]
    await receive(db, sku, world.dam, 1)  # nearest, but not enough for 2
    await receive(db, sku, world.utrecht, 5)
    await receive(db, sku, world.rotterdam, 5)
    cart = await cart_of(db, world, [2])
    started = await begin(client, cart, AMSTERDAM)
    sfs = next(o for o in started["options"] if o["method"] == "SHIP_FROM_STORE")
    assert [s["locationId"] for s in sfs["shipments"]] == [gid("Location", world.utrecht)]
    placed = await complete(client, cart, {"method": "SHIP_FROM_STORE", "address": AMSTERDAM})
    assert placed["userErrors"] == []
    order = placed["order"]
    assert order["fulfillments"] == [
        {
            "status": "ALLOCATED",
            "method": "SHIP_FROM_STORE",
            "locationId": gid("Location", world.utrecht),
        }
    ]
    promised = await db.fetchval("SELECT promised_at FROM fulfillments")
    assert promised is not None and promised > datetime.now(UTC) + timedelta(days=1)
    assert await available(db, sku, world.utrecht) == (3, 0)
    assert await available(db, sku, world.dam) == (1, 0)
    assert order["shipping"] == {"amount": "3.95"} and order["total"] == {"amount": "43.93"}
    await assert_ledger_matches(db)


async def test_same_day_within_the_radius_only(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    world = await make_world(db)
    sku = world.skus[0]
    await receive(db, sku, world.dam, 3)
    outside = await cart_of(db, world, [1])
    far = await begin(client, outside, HAARLEM)  # ~17 km from the store, radius 10 km
    same_day = next(o for o in far["options"] if o["method"] == "SAME_DAY")
    assert same_day["available"] is False and same_day["reason"] == "NO_ELIGIBLE_LOCATION"
    assert same_day["price"] is None and same_day["shipments"] == []
    refused = await complete(client, outside, {"method": "SAME_DAY", "address": HAARLEM})
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("FULFILLMENT_UNAVAILABLE", ["fulfillment", "method"])
    ]
    assert await db.fetchval("SELECT count(*) FROM orders") == 0

    inside = await cart_of(db, world, [1])
    placed = await complete(client, inside, {"method": "SAME_DAY", "address": AMSTERDAM})
    assert placed["userErrors"] == []
    assert placed["order"]["fulfillments"] == [
        {"status": "ALLOCATED", "method": "SAME_DAY", "locationId": gid("Location", world.dam)}
    ]
    promised = await db.fetchval("SELECT promised_at FROM fulfillments")
    now = datetime.now(UTC)  # after the request: the promise is 3 opening hours after it
    assert now + timedelta(hours=2) < promised <= now + timedelta(hours=3)
    assert placed["order"]["shipping"] == {"amount": "9.95"}
    # The Haarlem cart's hold (SHIP_FROM_STORE plan at the store) is still its own.
    assert await available(db, sku, world.dam) == (2, 1)
    await assert_ledger_matches(db)


async def test_split_shipment_when_no_location_has_everything(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    world = await make_world(db)
    first, second = world.skus
    other_warehouse = await make_location(
        db, kind="WAREHOUSE", lat=52.32, lon=4.93, can_pickup=False
    )
    await receive(db, first, world.warehouse, 4)
    await receive(db, second, other_warehouse, 4)
    cart = await cart_of(db, world, [1, 2])
    started = await begin(client, cart, AMSTERDAM)
    ship = next(o for o in started["options"] if o["method"] == "SHIP")
    assert sorted(
        (s["locationId"], [(x["sku"], x["quantity"]) for x in s["lines"]])
        for s in ship["shipments"]
    ) == sorted(
        [
            (gid("Location", world.warehouse), [(first, 1)]),
            (gid("Location", other_warehouse), [(second, 2)]),
        ]
    )
    pickup = next(o for o in started["options"] if o["method"] == "PICKUP")
    assert pickup["available"] is False and pickup["reason"] == "NO_ELIGIBLE_LOCATION"
    placed = await complete(client, cart, {"method": "SHIP", "address": AMSTERDAM})
    assert placed["userErrors"] == []
    rows = await db.fetch(
        """SELECT f.location_id, l.sku, fl.quantity, f.status, f.promised_at
           FROM fulfillments f JOIN fulfillment_lines fl ON fl.fulfillment_id = f.id
           JOIN order_lines l ON l.id = fl.order_line_id ORDER BY l.sku"""
    )
    assert sorted((r["location_id"], r["sku"], r["quantity"]) for r in rows) == sorted(
        [(world.warehouse, first, 1), (other_warehouse, second, 2)]
    )
    assert all(r["status"] == "ALLOCATED" and r["promised_at"] is not None for r in rows)
    assert await db.fetchval("SELECT count(*) FROM fulfillments") == 2
    assert await available(db, first, world.warehouse) == (3, 0)
    assert await available(db, second, other_warehouse) == (2, 0)
    # 3 x 19.99 = 59.97: SHIP is free from 50.00.
    assert placed["order"]["shipping"] == {"amount": "0.00"}
    assert placed["order"]["total"] == {"amount": "59.97"}
    await assert_ledger_matches(db)


async def test_totals_with_a_discount_code_tax_and_shipping(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    world = await make_world(db)
    sku = world.skus[0]
    await receive(db, sku, world.warehouse, 5)
    await db.execute(
        "INSERT INTO discounts (code, kind, value) VALUES ('TENOFF', 'PERCENTAGE', 1000)"
    )
    cart = await cart_of(db, world, [2], ["TENOFF"])
    address = AMSTERDAM | {"countryCode": "US", "provinceCode": "NY"}
    placed = await complete(client, cart, {"method": "SHIP", "address": address})
    assert placed["userErrors"] == []
    order = placed["order"]
    # 39.98 - 10% (4.00) = 35.98 < 50.00 -> SHIP 4.95; NY 8.875% on 35.98 + 4.95 = 3.63.
    assert {k: order[k]["amount"] for k in ("subtotal", "discount", "tax", "shipping")} == {
        "subtotal": "39.98",
        "discount": "4.00",
        "tax": "3.63",
        "shipping": "4.95",
    }
    assert order["total"] == {"amount": "44.56"}
    stored = await db.fetchrow(
        "SELECT subtotal_minor, discount_minor, tax_minor, shipping_minor, total_minor FROM orders"
    )
    assert tuple(stored) == (3998, 400, 363, 495, 4456)
    line = await db.fetchrow("SELECT discount_minor, tax_minor, total_minor FROM order_lines")
    assert line["discount_minor"] == 400
    assert line["total_minor"] == 3998 - 400 + line["tax_minor"]
    assert 0 < line["tax_minor"] < 363  # the rest is the shipping's tax
    # Each line shows its own discount and added tax; its total is net of both.
    tax = line["tax_minor"]
    assert order["lines"] == [
        {
            "unitPrice": {"amount": "19.99"},
            "discount": {"amount": "4.00"},
            "tax": {"amount": f"{tax // 100}.{tax % 100:02d}"},
            "total": {"amount": f"{(3598 + tax) // 100}.{(3598 + tax) % 100:02d}"},
        }
    ]
    assert await db.fetchval("SELECT amount_minor FROM payments") == 4456
    assert await db.fetchval("SELECT count(*) FROM discount_redemptions") == 1


async def test_risky_order_is_held_for_review(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    world = await make_world(db, price=120_000)  # 1,200.00: a large order without history
    sku = world.skus[0]
    await receive(db, sku, world.warehouse, 5)
    # Three orders with this card in the last hours (CARD_VELOCITY).
    fingerprint = hashlib.sha256(b"card:tok_visa").hexdigest()
    for _ in range(3):
        await db.execute(
            "INSERT INTO orders (currency_code, card_fingerprint, created_at) "
            "VALUES ('EUR', $1, now() - interval '2 hours')",
            fingerprint,
        )
    cart = await cart_of(db, world, [1])
    shipping = AMSTERDAM | {"countryCode": "NL", "postalCode": "1012 LG"}
    placed = await complete(
        client,
        cart,
        {"method": "SHIP", "address": shipping},
        {"token": "tok_visa", "billingAddress": {"countryCode": "DE", "postalCode": "10115"}},
    )
    assert placed["userErrors"] == []
    order = placed["order"]
    assert order["status"] == "ON_HOLD"
    assert order["risk"] is None  # the buyer never sees the fraud check
    assert [f["status"] for f in order["fulfillments"]] == ["ON_HOLD"]
    row = await db.fetchrow(
        "SELECT on_hold, risk_score, risk_reasons FROM orders WHERE total_minor > 0"
    )
    assert row["on_hold"] is True and row["risk_score"] == 80  # 25 + 25 + 30
    staff = staff_token(env.settings(), Role.SUPPORT)
    seen = await graphql(client, ORDER, {"id": order["id"]}, token=staff)
    risk = seen["data"]["order"]["risk"]
    assert risk["score"] == 80 and risk["onHold"] is True
    assert sorted(r["code"] for r in risk["reasons"]) == [
        "BILLING_SHIPPING_COUNTRY_MISMATCH",
        "CARD_VELOCITY",
        "HIGH_VALUE_NO_HISTORY",
    ]
    # Stock is taken and the payment authorized while the order waits for review.
    assert await available(db, sku, world.warehouse) == (4, 0)
    assert await db.fetchval("SELECT status FROM payments") == "AUTHORIZED"
    created = await db.fetchval(
        "SELECT payload->>'status' FROM outbox WHERE type = 'ucg.order.created.v1'"
    )
    assert created == "ON_HOLD"


async def test_an_ordinary_order_is_not_held(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    world = await make_world(db)
    await receive(db, world.skus[0], world.warehouse, 5)
    cart = await cart_of(db, world, [1])
    placed = await complete(client, cart, {"method": "SHIP", "address": AMSTERDAM})
    assert placed["order"]["status"] == "UNFULFILLED"
    staff = staff_token(env.settings(), Role.SUPPORT)
    seen = await graphql(client, ORDER, {"id": placed["order"]["id"]}, token=staff)
    assert seen["data"]["order"]["risk"] == {"score": 0, "onHold": False, "reasons": []}


async def test_a_single_use_code_is_redeemed_once_by_concurrent_checkouts(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    world = await make_world(db)
    for sku in world.skus:
        await receive(db, sku, world.warehouse, 10)
    await db.execute(
        "INSERT INTO discounts (code, kind, value, usage_limit) "
        "VALUES ('ONCE', 'PERCENTAGE', 1000, 1)"
    )
    # Different skus: no shared stock row that would serialize them anyway.
    carts = [await cart_of(db, world, q, ["ONCE"]) for q in ([2, 0], [0, 2])]
    results = await asyncio.gather(
        *(complete(client, cart, {"method": "SHIP", "address": AMSTERDAM}) for cart in carts)
    )
    # The checkouts serialize on the code: the later one sees the limit reached, so its
    # total is no longer what was authorized (outside the transaction): refused, and its
    # authorization voided, rather than charged more than the buyer was quoted.
    discounts = sorted(
        r["order"]["discount"]["amount"] if r["order"] else r["userErrors"][0]["code"]
        for r in results
    )
    if discounts != ["4.00", "INVALID"]:
        # Or the first committed before the second priced: no discount, same total twice.
        assert discounts[1] == "4.00" and discounts[0] != "4.00", results
    else:
        assert (
            await db.fetchval(
                "SELECT count(*) FROM payment_transactions WHERE kind = 'AUTHORIZE' "
                "AND state = 'VOIDED' AND order_id IS NULL"
            )
            == 1
        )
    assert await db.fetchval("SELECT count(*) FROM discount_redemptions") == 1
