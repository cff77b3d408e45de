"""Small holes at the input boundary: each a coded error, never an internal one."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from api.auth import issue_access_token
from domain.auth import Principal, PrincipalKind, Role
from resolvers.bounded_decimal import parse_decimal
from tests.conftest import TestEnv
from tests.helpers import graphql

CREATE = """mutation($input: DiscountCodeCreateInput!) { discountCodeCreate(input: $input) {
  discountCode { code } userErrors { code } } }"""
PRICE = """mutation($a: Decimal!) { variantPriceSet(sku: "NOPE", channel: "WEB", amount: $a) {
  userErrors { code } } }"""


def _staff(env: TestEnv) -> str:
    principal = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.ADMIN}))
    return issue_access_token(env.settings(), principal)


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN", "1e309", "1" * 41])
async def test_non_finite_or_huge_percentage_is_bad_user_input(
    client: httpx.AsyncClient, env: TestEnv, value: str
) -> None:
    discount = {"code": "x-1", "kind": "PERCENTAGE", "percentage": value, "currencyCode": "EUR"}
    body = await graphql(client, CREATE, {"input": discount}, token=_staff(env))
    assert _codes(body) == ["BAD_USER_INPUT"], body


@pytest.mark.parametrize("value", ["1e309", "9223372036854775808", "1e12", 1e300])
async def test_amount_beyond_range_is_refused_before_the_insert(
    client: httpx.AsyncClient, env: TestEnv, value: Any
) -> None:
    body = await graphql(client, PRICE, {"a": value}, token=_staff(env))
    assert _codes(body) == ["BAD_USER_INPUT"], body


async def test_decimal_literal_in_the_document_is_bounded_too(
    client: httpx.AsyncClient, env: TestEnv
) -> None:
    query = PRICE.replace("$a", '"NaN"').replace('mutation("NaN": Decimal!)', "mutation")
    body = await graphql(client, query, token=_staff(env))
    # A literal that does not fit its type fails validation, as graphql specifies.
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body


def test_parse_decimal_keeps_ordinary_numbers() -> None:
    assert str(parse_decimal("12.50")) == "12.50"
    assert str(parse_decimal(3)) == "3"
    with pytest.raises(ValueError, match="number"):
        parse_decimal(True)


@pytest.mark.parametrize(
    "query",
    [
        "{ ...Nope }",
        "{ products(first: 1) { ...Nope } }",
        "{ ...A } fragment A on Query { products(first: 1) { ...B } }",
    ],
)
async def test_unknown_fragment_is_a_validation_error(
    client: httpx.AsyncClient, query: str
) -> None:
    body = await graphql(client, query)
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body
    assert "Unknown fragment" in body["errors"][0]["message"]


async def test_depth_limit_still_applies_through_fragments(client: httpx.AsyncClient) -> None:
    deep = "{ a: __typename }"
    for _ in range(14):
        deep = "{ products(first: 1) { edges { node { variants { product " + deep + " } } } } }"
    body = await graphql(client, "{ ...F } fragment F on Query " + deep)
    assert set(_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}, body
    assert any("exceeds maximum operation depth" in e["message"] for e in body["errors"])


SUBSCRIPTION = 'subscription { stockChanged(skus: ["S-1"]) { sku } }'


async def test_subscription_over_post_is_refused(client: httpx.AsyncClient) -> None:
    body = await graphql(client, SUBSCRIPTION)
    assert _codes(body) == ["SUBSCRIPTION_NOT_SUPPORTED"], body
    assert "data" not in body


async def test_subscription_over_get_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": SUBSCRIPTION},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400, response.text
    assert _codes(response.json()) == ["SUBSCRIPTION_NOT_SUPPORTED"]


async def test_named_query_next_to_a_subscription_still_runs(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": f"query Q {{ __typename }} {SUBSCRIPTION.replace('subscription', 'subscription S')}",
            "operationName": "Q",
        },
    )
    body = response.json()
    assert body["data"] == {"__typename": "Query"} and "errors" not in body, body
