"""The customer subgraph: Customer."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain import models
from domain.ids import from_global_id, to_global_id
from resolvers.common import CUSTOMER_DESCRIPTION, Node, record_type_check
from resolvers.context import Info


@strawberry.federation.type(keys=["id"], description=CUSTOMER_DESCRIPTION)
class Customer(Node):
    is_type_of = record_type_check(models.Customer)

    @strawberry.field(description="Opaque global id of the customer.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Customer", self.id))  # type: ignore[arg-type]

    display_name: str = strawberry.field(description="Name to greet the customer with.")
    created_at: datetime = strawberry.field(description="When the customer first registered.")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Customer | None:
        _, local = from_global_id(id, "Customer")
        return await info.context.loaders.CustomerByIdLoader.load(local)  # type: ignore[no-any-return]
