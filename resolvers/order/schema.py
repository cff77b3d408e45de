"""Order queries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.ids import from_global_id
from resolvers.context import Info
from resolvers.order.types import Order


@strawberry.type
class Query:
    @strawberry.field(description="An order by global id.")
    async def order(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> Order | None:
        _, local = from_global_id(id, "Order")
        return await info.context.loaders.OrderByIdLoader.load(local)  # type: ignore[no-any-return]
