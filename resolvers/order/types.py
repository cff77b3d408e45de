"""The order subgraph: Order, and the order fields of Customer."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain import models
from domain.auth import may_access_customer
from domain.ids import from_global_id, to_global_id
from domain.order.cancellation import CancelReason
from resolvers.cart.types import CustomerRef
from resolvers.common import CUSTOMER_DESCRIPTION, Money, Node, money, record_type_check
from resolvers.context import Info
from resolvers.customer.access import visible_owned
from resolvers.order.cancel_enums import OrderCancelReason
from resolvers.order.fulfillment_types import Fulfillment, OrderLine


@strawberry.federation.type(keys=["id"], description="A placed order.")
class Order(Node):
    is_type_of = record_type_check(models.Order)

    @strawberry.field(description="Opaque global id of the order.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Order", self.id))  # type: ignore[arg-type]

    number: int = strawberry.field(description="Human-friendly order number, e.g. 1001.")
    status: str = strawberry.field(description="Order status, derived from its fulfillments.")
    currency_code: str = strawberry.field(description="ISO 4217 currency of the order.")
    created_at: datetime = strawberry.field(description="When the order was placed.")
    cancelled_at: datetime | None = strawberry.field(
        description="When the whole order became CANCELLED; null otherwise (a partial cancel "
        "shows in its lines' cancelledQuantity)."
    )

    @strawberry.field(description="Why the whole order was cancelled; null if it was not.")
    def cancel_reason(self) -> OrderCancelReason | None:
        value = self.cancel_reason  # type: ignore[attr-defined]
        return None if value is None else CancelReason(value)

    @strawberry.field(description="Total charged for the order.")
    def total(self) -> Money:
        return money(self.total_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(description="The order's lines, in cart order, at checkout prices.")
    async def lines(self, info: Info) -> list[OrderLine]:
        return await info.context.loaders.OrderLinesByOrderIdLoader.load(self.id)  # type: ignore[attr-defined,no-any-return]

    @strawberry.field(description="The order's fulfillments (shipments and pickups), oldest first.")
    async def fulfillments(self, info: Info) -> list[Fulfillment]:
        return await info.context.loaders.FulfillmentsByOrderIdLoader.load(self.id)  # type: ignore[attr-defined,no-any-return]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Order | None:
        _, local = from_global_id(id, "Order")
        record = await info.context.loaders.OrderByIdLoader.load(local)
        return visible_owned(info, record)  # type: ignore[no-any-return]


@strawberry.federation.type(keys=["id"], description=CUSTOMER_DESCRIPTION)
class Customer:
    is_type_of = record_type_check((CustomerRef, models.Customer))  # type: ignore[arg-type]

    @strawberry.field(description="Opaque global id of the customer.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Customer", self.id))  # type: ignore[arg-type]

    @strawberry.field(description="The customer's orders, newest first.")
    async def orders(self, info: Info) -> list[Order]:
        return await info.context.loaders.OrdersByCustomerIdLoader.load(self.id)  # type: ignore[arg-type,no-any-return]

    @strawberry.field(
        description="Sum of the totals of the customer's orders, per the first order's currency."
    )
    async def lifetime_value(self, info: Info) -> Money | None:
        orders = await info.context.loaders.OrdersByCustomerIdLoader.load(self.id)  # type: ignore[arg-type]
        if not orders:
            return None
        currency = orders[0].currency_code
        return money(sum(o.total_minor for o in orders if o.currency_code == currency), currency)

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CustomerRef | None:
        local = from_global_id(id, "Customer")[1]
        return CustomerRef(local) if may_access_customer(info.context.principal, local) else None
