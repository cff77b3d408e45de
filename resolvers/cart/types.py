"""The cart subgraph: Cart, and the cart fields of Customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import strawberry

from domain import models
from domain.auth import may_access_customer
from domain.ids import from_global_id, to_global_id
from resolvers.common import Node, record_type_check
from resolvers.context import Info
from resolvers.customer.access import visible_owned


@strawberry.federation.type(keys=["id"], description="A shopping cart on one channel.")
class Cart(Node):
    is_type_of = record_type_check(models.Cart)

    @strawberry.field(description="Opaque global id of the cart; it is the bearer of a guest cart.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Cart", self.id))  # type: ignore[arg-type]

    currency_code: str = strawberry.field(description="ISO 4217 currency of the cart.")
    created_at: datetime = strawberry.field(description="When the cart was created.")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Cart | None:
        _, local = from_global_id(id, "Cart")
        record = await info.context.loaders.CartByIdLoader.load(local)
        return visible_owned(info, record)  # type: ignore[no-any-return]


@dataclass
class CustomerRef:
    """A customer known to this subgraph only by its key."""

    id: object


@strawberry.federation.type(keys=["id"], description="A person who buys, on any channel.")
class Customer:
    is_type_of = record_type_check((CustomerRef, models.Customer))  # type: ignore[arg-type]

    @strawberry.field(description="Opaque global id of the customer.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Customer", self.id))  # type: ignore[arg-type]

    @strawberry.field(description="The customer's carts, newest first.")
    async def carts(self, info: Info) -> list[Cart]:
        return await info.context.loaders.CartsByCustomerIdLoader.load(self.id)  # type: ignore[arg-type,no-any-return]

    @strawberry.field(description="The customer's most recent cart, if any.")
    async def active_cart(self, info: Info) -> Cart | None:
        carts = await info.context.loaders.CartsByCustomerIdLoader.load(self.id)  # type: ignore[arg-type]
        return carts[0] if carts else None

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CustomerRef | None:
        local = from_global_id(id, "Customer")[1]
        return CustomerRef(local) if may_access_customer(info.context.principal, local) else None
