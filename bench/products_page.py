"""How much a big GraphQL page costs over building the same JSON by hand.

    python bench/products_page.py [--first 100] [--rounds 30]

Needs UCG_DATABASE_URL and UCG_REDIS_URL (a database migrated and seeded with
`ucg seed --demo`); runs in process, so it measures the server's work only.
The baseline runs the same three SQL batches and builds the dict by hand; the rows are
graphql-core's executor (`graphql`), the compiled plan (`compiled`, resolvers/compiled)
and the baseline (`by_hand`), interleaved in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from typing import Any

import orjson

from api.settings import Settings
from datasources.postgres import catalog, inventory
from datasources.postgres.pool import create_pool
from datasources.redis.client import create_redis
from domain.ids import to_global_id
from resolvers.compiled import PLANS
from resolvers.context import Context
from resolvers.supergraph import supergraph_schema

QUERY = """query($first: Int!) { products(first: $first) { edges { cursor node {
  id handle title status
  variants { id sku title availability stockLevels { available onHand location { code } } }
} } pageInfo { hasNextPage endCursor } } }"""


async def by_hand(pool: Any, first: int) -> bytes:
    products = await catalog.products_page(pool, limit=first + 1, after=None)
    page = products[:first]
    variants = await catalog.variants_by_product_ids(pool, [p.id for p in page])
    skus = [v.sku for vs in variants for v in vs]
    levels = dict(zip(skus, await inventory.stock_levels_by_skus(pool, skus), strict=True))
    locations = {loc.id: loc for loc in await inventory.active_locations(pool)}
    edges = []
    for product, product_variants in zip(page, variants, strict=True):
        edges.append(
            {
                "cursor": "x",
                "node": {
                    "id": to_global_id("Product", product.id),
                    "handle": product.handle,
                    "title": product.title,
                    "status": product.status.value,
                    "variants": [
                        {
                            "id": to_global_id("ProductVariant", v.id),
                            "sku": v.sku,
                            "title": v.title,
                            "availability": sum(s.available for s in levels[v.sku]),
                            "stockLevels": [
                                {
                                    "available": s.available,
                                    "onHand": s.on_hand,
                                    "location": {"code": locations[s.location_id].code},
                                }
                                for s in levels[v.sku]
                            ],
                        }
                        for v in product_variants
                    ],
                },
            }
        )
    return orjson.dumps(
        {
            "data": {
                "products": {
                    "edges": edges,
                    "pageInfo": {"hasNextPage": len(products) > first, "endCursor": "x"},
                }
            }
        }
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    pool = await create_pool(os.environ["UCG_DATABASE_URL"], min_size=2, max_size=4)
    redis = create_redis(os.environ["UCG_REDIS_URL"])
    schema = supergraph_schema()
    statements = 0
    settings = {
        on: Settings(
            max_query_cost=1_000_000,
            rate_limit_enabled=False,
            rate_limit_capacity=1_000_000,
            compiled_execution=on,
            compiled_after=1,
        )
        for on in (False, True)
    }

    def count(_: Any) -> None:
        nonlocal statements
        statements += 1

    async def graphql(compiled: bool = False) -> bytes:
        ctx = Context(
            pool=pool,
            redis=redis,
            producer=None,
            request_id=uuid.uuid4().hex,
            # A page of 100 products x 10 variants x 10 stock levels is priced at 11,301, over
            # the default limit (5,000) on purpose; the benchmark measures execution, not cost.
            # graphql: graphql-core's executor; compiled: the compiled plan (resolvers/compiled).
            settings=settings[compiled],
        )
        result = await schema.execute(
            QUERY, variable_values={"first": args.first}, context_value=ctx
        )
        assert not result.errors, result.errors
        return orjson.dumps({"data": result.data})

    async def compiled() -> bytes:
        return await graphql(compiled=True)

    timings: dict[str, list[float]] = {"graphql": [], "compiled": [], "by_hand": []}
    async with pool.acquire() as conn:
        conn.add_query_logger(count)
    for _ in range(3):  # warm up caches, pool and code paths
        await graphql()
        await compiled()
        await by_hand(pool, args.first)
    # Same answer on both GraphQL paths (and the compiled one really ran).
    answered = PLANS.answered
    assert await graphql() == await compiled()
    assert PLANS.answered == answered + 1
    for _ in range(args.rounds):
        for name, run in (
            ("graphql", graphql),
            ("compiled", compiled),
            ("by_hand", lambda: by_hand(pool, args.first)),
        ):
            start = time.perf_counter()
            body = await run()
            timings[name].append((time.perf_counter() - start) * 1000)
    size = len(body)
    med = {k: statistics.median(v) for k, v in timings.items()}
    p90 = {k: statistics.quantiles(v, n=10)[-1] for k, v in timings.items()}
    print(
        f"products(first: {args.first}) with variants and stock, {args.rounds} rounds, "
        f"response ~{size // 1024} KiB"
    )
    for name in ("graphql", "compiled", "by_hand"):
        print(f"  {name:8s} median {med[name]:7.1f} ms   p90 {p90[name]:7.1f} ms")
    print(f"  ratio graphql / by_hand (median): {med['graphql'] / med['by_hand']:.1f}x")
    print(f"  ratio compiled / by_hand (median): {med['compiled'] / med['by_hand']:.1f}x")
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    await redis.aclose()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
