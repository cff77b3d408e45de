"""Bad HTTP input is refused at the boundary with a stable code: never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.graphql_view import GraphQLView
from api.input_limits import MAX_BODY_BYTES, MAX_NESTING, BadInput, decode_json, nesting_depth

JSON = {"content-type": "application/json"}


def _code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    return str(body["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize("body", [b"null", b'"str"', b"123", b"true", b"1.5"])
async def test_body_that_is_not_an_object_is_a_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert _code(response) == "BAD_REQUEST"


async def test_invalid_utf8_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename \xff }"}', headers=JSON
    )
    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"


async def test_lone_surrogate_in_body_is_a_400(client: httpx.AsyncClient) -> None:
    body = b'{"query": "query($s: String!) { variant(sku: $s) { id } }", "variables": {"s": "\\ud800"}}'
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"


async def test_deeply_nested_variables_are_a_400(client: httpx.AsyncClient) -> None:
    deep = b"[" * 900 + b"]" * 900
    body = b'{"query": "query($x: [[Int]]) { __typename }", "variables": {"x": ' + deep + b"}}"
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400
    assert "nests deeper" in response.json()["errors"][0]["message"]


async def test_huge_integer_is_a_400(client: httpx.AsyncClient) -> None:
    body = b'{"query": "{ __typename }", "variables": {"n": ' + b"1" * 100_000 + b"}}"
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"


async def test_oversized_body_is_a_413(client: httpx.AsyncClient) -> None:
    body = b'{"query": "{ __typename }", "x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 413
    assert _code(response) == "PAYLOAD_TOO_LARGE"


async def test_int_variable_beyond_32_bits_is_a_coded_error(client: httpx.AsyncClient) -> None:
    query = "query($n: Int!) { products(first: $n) { edges { node { id } } } }"
    body = (
        b'{"query": "' + query.encode() + b'", "variables": {"n": 1000000000000000000000000000000}}'
    )
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_get_with_bad_variables_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }", "variables": "7"})
    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"


async def test_unsupported_content_type_has_a_code(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"{ __typename }", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"


def test_decode_limits() -> None:
    assert nesting_depth({"a": [1, {"b": []}]}) == 4
    with pytest.raises(BadInput):
        decode_json(b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1))
    assert decode_json(b"[" * MAX_NESTING + b"]" * MAX_NESTING) is not None


def test_unencodable_response_is_masked() -> None:
    view = GraphQLView.__new__(GraphQLView)
    encoded = view.encode_json({"data": {"n": 10**30}})
    assert b"INTERNAL_SERVER_ERROR" in encoded and b"10000000000" not in encoded


async def test_parse_and_validation_errors_have_apollo_codes(client: httpx.AsyncClient) -> None:
    from api.error_codes import REQUEST_ERROR_CODES

    syntax = (await client.post("/graphql", json={"query": "{"})).json()
    assert syntax["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    unknown = (await client.post("/graphql", json={"query": "{ nope }"})).json()
    assert unknown["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"} <= (
        REQUEST_ERROR_CODES
    )


async def test_nul_in_a_string_is_bad_user_input(client: httpx.AsyncClient) -> None:
    query = "query($s: String!) { variant(sku: $s) { id } }"
    variable = await client.post("/graphql", json={"query": query, "variables": {"s": "a\x00"}})
    assert variable.status_code == 200
    assert variable.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    literal = await client.post("/graphql", json={"query": '{ variant(sku: "a\\u0000") { id } }'})
    assert literal.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
