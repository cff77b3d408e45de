"""Predictive search (a search box as the shopper types) against the demo catalog.

    UCG_DATABASE_URL=... UCG_REDIS_URL=... .venv/bin/python bench/predictive_search.py [--rounds 300]

Needs a database migrated and seeded with `ucg seed --demo`; runs in process, so it measures
the server's work only. Queries cycle through prefixes, exact words and typos. The baseline
runs the same three SQL statements (spelling corrections, the product page, the word
completions) through asyncpg without GraphQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
import uuid
from typing import Any

from datasources.postgres import catalog
from datasources.postgres.pool import create_pool
from datasources.redis.client import create_redis
from domain.catalog.models import ProductSortKey
from domain.catalog.search import corrected_tsquery, search_words
from resolvers.context import Context
from resolvers.supergraph import supergraph_schema

QUERY = """query($q: String!) { predictiveSearch(query: $q, limit: 5) {
  products { id handle title } queries { text } } }"""
TYPED = ["r", "ra", "rai", "rain", "rain j", "rain ja", "rain jac", "rain jacekt", "linen sh",
         "oxfrod", "quilted jakcet", "mug", "enamle mug", "sneak", "suede snaeker"]  # fmt: skip


async def bare_sql(pool: Any, text: str) -> None:
    words = search_words(text)
    corrections = await catalog.spelling_corrections(pool, words)
    await catalog.search_products_page(
        pool,
        limit=5,
        sort_key=ProductSortKey.RELEVANCE,
        after=None,
        tsquery=corrected_tsquery(words, corrections),
        channel_code=None,
        active_only=True,
    )
    await catalog.term_completions(pool, corrections.get(words[-1]) or words[-1], 5)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    pool = await create_pool(os.environ["UCG_DATABASE_URL"], min_size=2, max_size=4)
    redis = create_redis(os.environ["UCG_REDIS_URL"])
    schema = supergraph_schema()

    async def graphql(text: str) -> None:
        ctx = Context(pool=pool, redis=redis, producer=None, request_id=uuid.uuid4().hex)
        result = await schema.execute(QUERY, variable_values={"q": text}, context_value=ctx)
        assert not result.errors, result.errors

    async def sql(text: str) -> None:
        await bare_sql(pool, text)

    timings: dict[str, list[float]] = {"graphql": [], "bare_sql": []}
    for text in TYPED:  # warm up
        await graphql(text)
        await sql(text)
    for i in range(args.rounds):
        text = TYPED[i % len(TYPED)]
        for name, run in (("graphql", graphql), ("bare_sql", sql)):
            start = time.perf_counter()
            await run(text)
            timings[name].append((time.perf_counter() - start) * 1000)
    print(
        f"predictiveSearch(limit: 5), {args.rounds} rounds, {platform.processor() or platform.machine()}"
    )
    for name, values in timings.items():
        p50 = statistics.median(values)
        p99 = statistics.quantiles(values, n=100)[-1]
        print(f"  {name:9s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    ratio = statistics.median(timings["graphql"]) / statistics.median(timings["bare_sql"])
    print(f"  ratio graphql / bare_sql (p50): {ratio:.1f}x")
    await redis.aclose()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
