"""Cart queries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.ids import from_global_id
from resolvers.cart.types import Cart
from resolvers.context import Info
from resolvers.customer.access import visible_owned


@strawberry.type
class Query:
    @strawberry.field(description="A cart by global id.")
    async def cart(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> Cart | None:
        _, local = from_global_id(id, "Cart")
        cart = await info.context.loaders.CartByIdLoader.load(local)
        return visible_owned(info, cart)  # type: ignore[no-any-return]
