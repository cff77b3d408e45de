"""A process of buyers for the multi-process concurrency test: `python -m tests.integration.buyers`.

Prints one JSON line: how many reservations succeeded and how many were refused.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError, ErrorCode
from domain.inventory.rules import ReservationLine
from domain.inventory.services import reserve


async def buy(dsn: str, sku: str, location_id: uuid.UUID, buyers: int) -> dict[str, int]:
    pool = await create_pool(dsn, min_size=4, max_size=8)
    counts = {"reserved": 0, "refused": 0}

    async def one() -> None:
        try:
            async with UnitOfWork(pool) as uow:
                await reserve(
                    uow, [ReservationLine(sku, 1)], location_id=location_id, ttl_seconds=600
                )
            counts["reserved"] += 1
        except DomainError as error:
            assert error.code is ErrorCode.OUT_OF_STOCK, error
            counts["refused"] += 1

    try:
        await asyncio.gather(*(one() for _ in range(buyers)))
    finally:
        await pool.close()
    return counts


if __name__ == "__main__":
    dsn, sku, location, n = sys.argv[1:5]
    print(json.dumps(asyncio.run(buy(dsn, sku, uuid.UUID(location), int(n)))), flush=True)
