"""Customer queries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.ids import from_global_id
from resolvers.context import Info
from resolvers.customer.types import Customer


@strawberry.type
class Query:
    @strawberry.field(description="A customer by global id (staff).")
    async def customer(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> Customer | None:
        _, local = from_global_id(id, "Customer")
        return await info.context.loaders.CustomerByIdLoader.load(local)  # type: ignore[no-any-return]
