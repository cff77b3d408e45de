"""Fuzz every root field as every principal kind: generated queries and mutations over
schema.graphql, with hostile argument values (NUL in strings, non-finite and huge
decimals, impossible dates, odd JSON), sent as anonymous, a customer, an AGENT API key
and staff. No answer is a 5xx or an INTERNAL_SERVER_ERROR, every error has a code, no
answer shows Postgres, Python or pydantic text, nothing is logged as an unexpected error,
and the server answers normally afterwards.

UCG_FUZZ_EXAMPLES (default 60) scales the number of documents per principal and kind."""

from __future__ import annotations

import logging
import os
import re
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from api.auth import new_api_key
from datasources.postgres import auth_store
from domain.auth import Role
from tests.conftest import TestEnv
from tests.helpers import customer_token, staff_token

SCHEMA = (Path(__file__).parents[2] / "schema.graphql").read_text()
EXAMPLES = int(os.environ.get("UCG_FUZZ_EXAMPLES", "60"))

# Literal values hypothesis-graphql cannot make for the custom scalars: the ones an
# attacker or a buggy client would send first.
HOSTILE = {
    "Decimal": ['"NaN"', '"-Infinity"', '"1e309"', '"-0"', '"12.50"', '"abc"', "1e308", "-5"],
    "DateTime": ['"2026-13-45T99:00:00Z"', '""', '"9999-12-31T23:59:59Z"', '"yesterday"'],
    "JSON": ['{countryCode: "XX", line1: "\\u0000"}', "[1, [2, [3]]]", '"x"', "null", "1e400"],
}
CUSTOM_SCALARS = {
    name: st.sampled_from(values).map(graphql.parse_value) for name, values in HOSTILE.items()
}
# What must never reach a client: driver, interpreter and validation library text.
LEAKS = re.compile(
    r"Traceback|asyncpg|psycopg|pydantic|redis\.|aiokafka|object has no attribute|"
    r"KeyError|TypeError|ValueError|invalid byte sequence|violates .* constraint|"
    r"File \"/",
)


def _documents(kind: str, count: int) -> list[str]:
    strategy = queries if kind == "query" else mutations
    collected: list[str] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy(SCHEMA, custom_scalars=CUSTOM_SCALARS))
    def collect(document: object) -> None:
        collected.append(str(document))

    collect()
    return collected


async def _headers(kind: str, env: TestEnv, db: asyncpg.Connection[Any]) -> dict[str, str]:
    settings_ = env.settings()
    if kind == "anonymous":
        return {}
    if kind == "customer":
        return {"authorization": f"Bearer {customer_token(settings_, uuid.uuid4())}"}
    if kind == "agent key":
        key, prefix, secret_hash = new_api_key()
        await auth_store.create_api_key(db, prefix, secret_hash, "fuzz", "AGENT", ["AGENT"])
        return {"x-api-key": key}
    return {"authorization": f"Bearer {staff_token(settings_, Role.ADMIN)}"}


@pytest.mark.parametrize("kind", ["query", "mutation"])
@pytest.mark.parametrize("principal", ["anonymous", "customer", "agent key", "staff"])
async def test_generated_operations_never_fail_inside(
    client: httpx.AsyncClient,
    env: TestEnv,
    db: asyncpg.Connection[Any],
    caplog: pytest.LogCaptureFixture,
    principal: str,
    kind: str,
) -> None:
    documents = _documents(kind, EXAMPLES // 2 if kind == "query" else EXAMPLES)
    assert len(documents) >= EXAMPLES // 4
    headers = await _headers(principal, env, db)
    executed = 0
    with caplog.at_level(logging.ERROR):
        for document in documents:
            response = await client.post("/graphql", json={"query": document}, headers=headers)
            assert response.status_code < 500, (document, response.text)
            assert not LEAKS.search(response.text), (document, response.text)
            body = response.json()
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
            assert None not in codes and "INTERNAL_SERVER_ERROR" not in codes, (document, body)
            executed += "data" in body  # past validation: resolvers ran
    unexpected = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert unexpected == [], unexpected
    # The run reached the resolvers, not only the validator and the string guard.
    assert executed >= len(documents) // 4, (executed, len(documents))
    # Healthy after (asked anonymously: the fuzzed principal may have spent its rate limit).
    healthy = await client.post("/graphql", json={"query": "{ __typename }"})
    assert healthy.json()["data"] == {"__typename": "Query"}
    assert await db.fetchval("SELECT 1") == 1
