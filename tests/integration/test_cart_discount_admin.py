"""discountCodeCreate (staff), and the codes it makes applying to carts."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from api.auth import issue_access_token
from domain.auth import Principal, PrincipalKind, Role
from tests.conftest import TestEnv
from tests.integration.cart_support import (
    CART_CREATE,
    add_customer,
    customer_token,
    gid,
    make_shop,
    mutate,
    ok,
    staff_token,
)

CREATE = """mutation($input: DiscountCodeCreateInput!) { discountCodeCreate(input: $input) {
  discountCode { code kind percentage amount { amount currencyCode } minimumSubtotal { amount }
                 startsAt endsAt usageLimit usageLimitPerCustomer combinable }
  userErrors { code field message } } }"""


def _errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    assert payload["discountCode"] is None
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def test_staff_create_codes_that_carts_then_apply(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shop = await make_shop(db)
    settings = env.settings()
    merchandiser = issue_access_token(
        settings, Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.MERCHANDISER}))
    )
    created = await mutate(
        client,
        CREATE,
        {
            "input": {
                "code": "summer-10",
                "kind": "PERCENTAGE",
                "percentage": "12.5",
                "currencyCode": "EUR",
                "minimumSubtotal": "20.00",
                "usageLimit": 100,
                "usageLimitPerCustomer": 1,
                "channels": [gid("Channel", shop.web)],
                "combinable": True,
            }
        },
        merchandiser,
    )
    assert created["userErrors"] == []
    code = created["discountCode"]
    assert code["code"] == "SUMMER-10" and code["percentage"] == "12.50"
    assert code["minimumSubtotal"] == {"amount": "20.00"}
    assert (code["usageLimit"], code["usageLimitPerCustomer"], code["combinable"]) == (100, 1, True)
    fixed = await mutate(
        client,
        CREATE,
        {
            "input": {
                "code": "FIVE",
                "kind": "FIXED_AMOUNT",
                "amount": "5",
                "currencyCode": "EUR",
                "combinable": True,
            }
        },
        merchandiser,
    )
    assert fixed["discountCode"]["amount"] == {"amount": "5.00", "currencyCode": "EUR"}
    assert (
        await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'ucg.discount.created.v1'")
    ) == 2

    cart = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": gid("Channel", shop.web),
                    "lines": [shop.line("MUG-1", 4)],
                    "discountCodes": ["summer-10", "five"],
                }
            },
        )
    )
    # 40.00 - 12.5% (5.00) - 5.00
    assert cart["cost"]["discount"]["amount"] == "10.00"
    on_app = ok(
        await mutate(
            client,
            CART_CREATE,
            {
                "input": {
                    "channel": gid("Channel", shop.app),
                    "lines": [shop.line("MUG-1", 4)],
                    "discountCodes": ["SUMMER-10"],
                }
            },
        )
    )
    assert on_app["discountCodes"][0]["rejection"] == "CHANNEL_NOT_ELIGIBLE"


async def test_discount_code_guards(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shop = await make_shop(db)
    settings = env.settings()
    admin = issue_access_token(
        settings, Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.ADMIN}))
    )
    base = {"code": "X1", "kind": "PERCENTAGE", "percentage": "10"}
    ok_payload = await mutate(client, CREATE, {"input": base}, admin)
    assert ok_payload["userErrors"] == []
    cases: list[tuple[dict[str, Any], str, list[str]]] = [
        ({}, "TAKEN", ["input", "code"]),
        ({"code": "x 1"}, "INVALID", ["input", "code"]),
        ({"code": "P0", "percentage": "0"}, "INVALID", ["input", "percentage"]),
        ({"code": "P1", "percentage": "100.5"}, "INVALID", ["input", "percentage"]),
        ({"code": "P2", "percentage": "1.234"}, "INVALID", ["input", "percentage"]),
        ({"code": "P3", "percentage": None}, "INVALID", ["input", "percentage"]),
        ({"code": "F1", "kind": "FIXED_AMOUNT", "amount": "5"}, "INVALID", ["input", "amount"]),
        (
            {"code": "F2", "kind": "FIXED_AMOUNT", "amount": "5.001", "currencyCode": "EUR"},
            "INVALID",
            ["input", "amount"],
        ),
        ({"code": "C1", "currencyCode": "eur"}, "INVALID", ["input", "currencyCode"]),
        ({"code": "M1", "minimumSubtotal": "10"}, "INVALID", ["input", "currencyCode"]),
        (
            {"code": "D1", "startsAt": "2030-01-02T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z"},
            "INVALID",
            ["input", "endsAt"],
        ),
        ({"code": "U1", "usageLimit": 0}, "INVALID", ["input", "usageLimit"]),
        ({"code": "U2", "usageLimitPerCustomer": 0}, "INVALID", ["input", "usageLimitPerCustomer"]),
        (
            {"code": "CH1", "channels": [gid("Channel", shop.location)]},
            "NOT_FOUND",
            ["input", "channels", "0"],
        ),
        ({"code": "CH2", "channels": ["nope"]}, "INVALID_ID", ["input", "channels", "0"]),
    ]
    for values, code, field in cases:
        payload = await mutate(client, CREATE, {"input": base | values}, admin)
        assert _errors(payload) == [(code, field)], values
    ann = await add_customer(db)
    for token, code in (
        (customer_token(settings, ann), "FORBIDDEN"),
        (staff_token(settings, Role.SUPPORT), "FORBIDDEN"),  # SUPPORT may not create codes
        (None, "UNAUTHENTICATED"),
    ):
        payload = await mutate(client, CREATE, {"input": base | {"code": "NEW"}}, token)
        assert [e["code"] for e in payload["userErrors"]] == [code]
    assert await db.fetchval("SELECT array_agg(code) FROM discounts") == ["X1"]
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1
