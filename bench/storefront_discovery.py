"""Storefront discovery in process on the demo catalog (on demand, never in the test suite):
predictiveSearch with and without collections, a collection listing page with and without
its facets, and the two listing statements alone.

    .venv/bin/python bench/storefront_discovery.py

Starts an embedded Postgres and Redis of its own, migrates a fresh `bench_discovery`
database and seeds the demo data (which ends with ANALYZE).
"""

from __future__ import annotations

import asyncio
import pathlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from checkout import fresh_database  # noqa: E402
from predictive_search import TYPED  # noqa: E402

from datasources.embedded import EmbeddedServers  # noqa: E402
from datasources.postgres import catalog_listing as listing_db  # noqa: E402
from datasources.postgres.pool import create_pool  # noqa: E402
from datasources.postgres.seed import seed_demo  # noqa: E402
from datasources.redis.client import create_redis  # noqa: E402
from domain.catalog.facets import FilterSet  # noqa: E402
from domain.catalog.models import ProductSortKey  # noqa: E402
from resolvers.context import Context  # noqa: E402
from resolvers.supergraph import supergraph_schema  # noqa: E402

PREDICT = """query($q: String!) { predictiveSearch(query: $q, limit: 5) {
  products { id handle title } queries { text } } }"""
PREDICT_COLLECTIONS = """query($q: String!) { predictiveSearch(query: $q, limit: 5) {
  products { id handle title } collections { handle title } queries { text } } }"""
PAGE = """{ collection(handle: "clothing") { products(first: 24, sortKey: PRICE,
  filters: [{available: true}]) { edges { node { handle title } } } } }"""
FACETED = """{ collection(handle: "clothing") { products(first: 24, sortKey: PRICE,
  filters: [{available: true}]) { filters { id values { label count input } }
  edges { node { handle title featuredImage { url altText } } } } } }"""

IN_MARKET = """query @inContext(country: "DE", language: "de") { collection(handle: "clothing") {
  title products(first: 24, sortKey: PRICE, filters: [{available: true}]) {
  filters { id values { label count input } }
  edges { node { handle title featuredImage { url altText }
    variants { marketPrice { amount { amount } includedTax { amount } } } } } } } }"""
OUT_OF_MARKET = (
    IN_MARKET.replace('@inContext(country: "DE", language: "de") ', "")
    .replace("marketPrice", 'price(channel: "WEB")')
    .replace(" includedTax { amount }", "")
)


def _report(name: str, timings: list[float]) -> None:
    p99 = statistics.quantiles(timings, n=100)[-1]
    print(f"| {name} | {statistics.median(timings):.1f} ms | {p99:.1f} ms |")


async def _time(run: Callable[[int], Awaitable[Any]], rounds: int) -> list[float]:
    for i in range(10):
        await run(i)
    timings = []
    for i in range(rounds):
        start = time.perf_counter()
        await run(i)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


async def _measure(dsn: str, redis_url: str) -> None:
    pool = await create_pool(dsn, min_size=2, max_size=4)
    redis = create_redis(redis_url)
    schema = supergraph_schema()

    def graphql(document: str, texts: list[str | None]) -> Callable[[int], Awaitable[None]]:
        async def run(i: int) -> None:
            text = texts[i % len(texts)]
            ctx = Context(pool=pool, redis=redis, producer=None, request_id=uuid.uuid4().hex)
            variables = {"q": text} if text is not None else {}
            result = await schema.execute(document, variable_values=variables, context_value=ctx)
            assert not result.errors, result.errors

        return run

    collection_id = await pool.fetchval("SELECT id FROM collections WHERE handle = 'clothing'")
    listing = listing_db.Listing(
        scope=listing_db.CollectionScope(collection_id, []), filters=FilterSet(available=True)
    )
    print("| operation | p50 | p99 |\n|---|---|---|")
    _report("predictiveSearch", await _time(graphql(PREDICT, list(TYPED)), 300))
    _report(
        "predictiveSearch + collections",
        await _time(graphql(PREDICT_COLLECTIONS, list(TYPED)), 300),
    )
    _report("Clothing page of 24 (PRICE, available)", await _time(graphql(PAGE, [None]), 100))
    _report("the same + facets", await _time(graphql(FACETED, [None]), 100))
    _report(
        "the same + variant prices (WEB channel)", await _time(graphql(OUT_OF_MARKET, [None]), 100)
    )
    _report(
        "the same in @inContext(DE, de): German titles, market prices",
        await _time(graphql(IN_MARKET, [None]), 100),
    )
    _report(
        "page statement alone",
        await _time(
            lambda _: listing_db.listing_page(
                pool, listing, limit=25, sort_key=ProductSortKey.PRICE, reverse=False, after=None
            ),
            100,
        ),
    )
    _report(
        "facets statement alone",
        await _time(lambda _: listing_db.listing_facets(pool, listing), 100),
    )
    await redis.aclose()
    await pool.close()


def main() -> None:
    servers = EmbeddedServers(
        pathlib.Path(tempfile.mkdtemp(prefix="bench-discovery-")),
        kafka_bootstrap_servers="unused:9092",
    )
    urls = servers.start()
    try:
        dsn = fresh_database(urls.database_url, "bench_discovery")
        asyncio.run(seed_demo(dsn))
        asyncio.run(_measure(dsn, urls.redis_url))
    finally:
        servers.stop()


if __name__ == "__main__":
    main()
