"""Order queries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.ids import from_global_id
from resolvers.context import Info
from resolvers.customer.access import visible_owned
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
        order = await info.context.loaders.OrderByIdLoader.load(local)
        return visible_owned(info, order)  # type: ignore[no-any-return]
