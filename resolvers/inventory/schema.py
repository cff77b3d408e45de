"""Inventory queries."""

from __future__ import annotations

import strawberry

from datasources.postgres import inventory as inventory_db
from resolvers.context import Info
from resolvers.inventory.types import Location


@strawberry.type
class Query:
    @strawberry.field(description="Every active location, ordered by code.")
    async def locations(self, info: Info) -> list[Location]:
        return await inventory_db.active_locations(info.context.pool)  # type: ignore[return-value]
