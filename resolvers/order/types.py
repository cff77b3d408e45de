"""The order subgraph: Order, and the order fields of Customer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from datasources.postgres.order_listing import CustomerOrdersKey
from domain import models
from domain.auth import PrincipalKind, may_access_customer
from domain.ids import from_global_id, to_global_id
from domain.order.cancellation import CancelReason
from domain.order.order_record import OrderRecord
from resolvers.cart.types import CustomerRef
from resolvers.common import (
    CUSTOMER_DESCRIPTION,
    Connection,
    Money,
    Node,
    check_page_size,
    connection,
    money,
    record_type_check,
)
from resolvers.context import Info
from resolvers.customer.access import visible_owned
from resolvers.order.cancel_enums import OrderCancelReason
from resolvers.order.checkout_options import OrderRisk, OrderRiskReason
from resolvers.order.cursors import decode_order_cursor, encode_order_cursor
from resolvers.order.fulfillment_types import Fulfillment, OrderLine
from resolvers.order.return_types import OrderStatus, Return
from resolvers.store.pickup_code import buyer_pickup_code


@strawberry.federation.type(keys=["id"], description="A placed order.")
class Order(Node):
    is_type_of = record_type_check(OrderRecord)

    @strawberry.field(description="Opaque global id of the order.")  # type: ignore[misc]  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Order", self.id))

    number: int = strawberry.field(description="Human-friendly order number, e.g. 1001.")
    status: OrderStatus = strawberry.field(
        description="Order status, derived from its fulfillments."
    )
    currency_code: str = strawberry.field(description="ISO 4217 currency of the order.")
    created_at: datetime = strawberry.field(description="When the order was placed.")
    cancelled_at: datetime | None = strawberry.field(
        description="When the whole order became CANCELLED; null otherwise (a partial cancel "
        "shows in its lines' cancelledQuantity)."
    )

    @strawberry.field(description="Why the whole order was cancelled; null if it was not.")
    def cancel_reason(self) -> OrderCancelReason | None:
        value = self.cancel_reason
        return None if value is None else CancelReason(value)

    @strawberry.field(
        description="Total charged: subtotal - discount + tax + shipping (the amount authorized)."
    )
    def total(self) -> Money:
        return money(self.total_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(description="Merchandise at checkout prices, before discounts.")
    def subtotal(self) -> Money:
        return money(self.subtotal_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(description="Discount codes' reduction of the merchandise.")
    def discount(self) -> Money:
        return money(self.discount_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Tax added to the prices (exclusive rates, e.g. US sales tax); 0 where "
        "prices include tax (EU VAT)."
    )
    def tax(self) -> Money:
        return money(self.tax_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Shipping charged for the fulfillment method (after free-shipping codes)."
    )
    def shipping(self) -> Money:
        return money(self.shipping_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Staff only (null for customers): the fraud check's score and reasons."
    )
    def risk(self, info: Info) -> OrderRisk | None:
        principal = info.context.principal
        if principal is None or principal.kind is not PrincipalKind.STAFF:
            return None
        return OrderRisk(
            score=self.risk_score,  # type: ignore[attr-defined]
            on_hold=self.on_hold,  # type: ignore[attr-defined]
            reasons=[
                OrderRiskReason(
                    code=str(r["code"]), points=int(r["points"]), detail=str(r["detail"])
                )
                for r in self.risk_reasons  # type: ignore[attr-defined]
            ],
        )

    @strawberry.field(description="The order's lines, in cart order, at checkout prices.")
    async def lines(self, info: Info) -> list[OrderLine]:
        return await info.context.loaders.OrderLinesByOrderIdLoader.load(self.id)  # type: ignore[no-any-return]

    @strawberry.field(description="The order's fulfillments (shipments and pickups), oldest first.")
    async def fulfillments(self, info: Info) -> list[Fulfillment]:
        return await info.context.loaders.FulfillmentsByOrderIdLoader.load(self.id)  # type: ignore[return-value]  # records

    @strawberry.field(description="Returns asked for on this order, oldest first.")
    async def returns(self, info: Info) -> list[Return]:
        return await info.context.loaders.ReturnsByOrderIdLoader.load(self.id)  # type: ignore[return-value]  # records

    @strawberry.field(
        description="The code the buyer shows at the store to collect a pickup order "
        "(pickupHandover checks it). Only the buyer sees it (the order's customer; for a "
        "guest order whoever holds its cart token): null for staff and for orders without "
        "a pickup."
    )
    async def pickup_code(self, info: Info) -> str | None:
        return await buyer_pickup_code(info, self)  # type: ignore[arg-type]  # self is a record

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> OrderRecord | None:
        _, local = from_global_id(id, "Order")
        record = await info.context.loaders.OrderByIdLoader.load(local)
        return visible_owned(info, record)  # type: ignore[no-any-return]


@strawberry.federation.type(keys=["id"], description=CUSTOMER_DESCRIPTION)
class Customer:
    is_type_of = record_type_check((CustomerRef, models.Customer))  # type: ignore[arg-type]

    @strawberry.field(description="Opaque global id of the customer.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Customer", self.id))

    @strawberry.field(description="The customer's orders, newest first (a Relay connection).")
    async def orders(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 0 to 250.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> Connection[Order]:
        check_page_size(first)
        position = None if after is None else decode_order_cursor(after)
        key = CustomerOrdersKey(self.id, first + 1, position)
        page = await info.context.loaders.CustomerOrderPagesLoader.load(key)
        return connection(page, first, encode_order_cursor)

    @strawberry.field(
        description="What the customer spent: their order totals less what was cancelled or "
        "refunded, in the currency of their newest order (orders in other currencies are "
        "left out); null without orders."
    )
    async def lifetime_value(self, info: Info) -> Money | None:
        value = await info.context.loaders.LifetimeValueByCustomerIdLoader.load(self.id)
        return None if value is None else money(value.amount_minor, value.currency_code)

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CustomerRef | None:
        local = from_global_id(id, "Customer")[1]
        return CustomerRef(local) if may_access_customer(info.context.principal, local) else None
