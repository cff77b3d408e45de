"""A bounded fuzz run: generated anonymous queries over schema.graphql never answer a
5xx or a masked internal error (UCG_FUZZ_EXAMPLES raises the count)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries as query_strategy

SCHEMA = (Path(__file__).parents[2] / "schema.graphql").read_text()
EXAMPLES = int(os.environ.get("UCG_FUZZ_EXAMPLES", "100"))


def _generated_queries() -> list[str]:
    collected: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(query_strategy(SCHEMA))
    def collect(query: object) -> None:
        collected.append(str(query))

    collect()
    return collected


async def test_generated_queries_never_answer_an_internal_error(
    client: httpx.AsyncClient,
) -> None:
    queries = _generated_queries()
    assert len(queries) >= EXAMPLES // 2
    for query in queries:
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code < 500, (query, response.text)
        body = response.json()
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        assert None not in codes and "INTERNAL_SERVER_ERROR" not in codes, (query, body)
