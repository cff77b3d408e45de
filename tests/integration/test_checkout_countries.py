"""Checkout addresses name real countries: an unknown countryCode in the delivery address
of checkoutBegin or checkoutComplete, or in the billing address, is INVALID on that field,
and nothing is held, authorized or ordered."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.helpers import graphql
from tests.order_helpers import BEGIN, VISA, complete, guest_carts, level, make_sale

BEGIN_AT = BEGIN.replace("$store: ID)", "$store: ID, $a: JSON)").replace(
    "pickupLocationId: $store)", "pickupLocationId: $store, address: $a)"
)
HOME = {"line1": "Damrak 1", "city": "Amsterdam", "postalCode": "1012"}


@pytest.mark.parametrize("code", ["XX", "Germany", "nld", 49])
async def test_checkout_begin_refuses_an_unknown_country(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], code: Any
) -> None:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1)
    body = await graphql(client, BEGIN_AT, {"cartId": cart, "a": {**HOME, "countryCode": code}})
    errors = body["data"]["checkoutBegin"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["address", "countryCode"])]
    assert await level(db, sale) == (5, 0)


@pytest.mark.parametrize(
    ("fulfillment", "payment", "field"),
    [
        (
            {"method": "SHIP", "address": {**HOME, "countryCode": "ZZ"}},
            VISA,
            ["fulfillment", "address", "countryCode"],
        ),
        (
            {"method": "SHIP", "address": {**HOME, "countryCode": "NL"}},
            {**VISA, "billingAddress": {"countryCode": "UK", "postalCode": "E1"}},
            ["payment", "billingAddress", "countryCode"],
        ),
    ],
)
async def test_checkout_complete_refuses_an_unknown_country(
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    fulfillment: dict[str, Any],
    payment: dict[str, Any],
    field: list[str],
) -> None:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1)
    result = await complete(client, cart, "country-1", fulfillment, payment)
    assert result["order"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("INVALID", field)]
    assert await db.fetchval("SELECT count(*) FROM orders") == 0
    assert await db.fetchval("SELECT count(*) FROM payment_transactions") == 0
    assert await level(db, sale) == (5, 0)


async def test_a_known_country_in_any_case_still_checks_out(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    (cart,) = await guest_carts(db, sale, 1)
    fulfillment = {"method": "SHIP", "address": {**HOME, "countryCode": "nl"}}
    payment = {**VISA, "billingAddress": {"countryCode": " NL ", "postalCode": "1012"}}
    result = await complete(client, cart, "country-2", fulfillment, payment)
    assert result["userErrors"] == [] and result["order"]["status"] == "UNFULFILLED"
