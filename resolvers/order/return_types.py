"""The Return type, its lines and enums (order subgraph)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.ids import to_global_id
from domain.order import aftersale, returns
from domain.order import fulfillment as lifecycle
from resolvers.common import Money, Node, described_enum, money, record_type_check

ReturnReason = described_enum(
    aftersale.ReturnReason,
    "Why the buyer sends goods back. DAMAGED and DEFECTIVE units are refunded but not "
    "put back on sale.",
    {
        "CHANGED_MIND": "The buyer no longer wants it.",
        "WRONG_SIZE": "It does not fit.",
        "WRONG_ITEM": "We sent the wrong item.",
        "DAMAGED": "It arrived damaged (not restocked).",
        "DEFECTIVE": "It does not work (not restocked).",
        "NOT_AS_DESCRIBED": "It differs from its description.",
        "OTHER": "Another reason; see the note.",
    },
)

ReturnStatus = described_enum(
    returns.ReturnStatus,
    "Where a return is.",
    {
        "REQUESTED": "Asked for; the goods are not back yet and no money moved.",
        "RECEIVED": "The goods arrived at a location: resellable units are back in stock "
        "and the refund was given back in the same step.",
    },
)

OrderStatus = described_enum(
    lifecycle.OrderStatus,
    "An order's status, derived from its fulfillments.",
    {
        "ON_HOLD": "Waiting for a staff review (fraud check).",
        "UNFULFILLED": "Nothing started yet.",
        "IN_PROGRESS": "Being picked or packed; nothing handed over.",
        "READY_FOR_PICKUP": "Every open fulfillment waits at the store for the buyer.",
        "PARTIALLY_FULFILLED": "Some, not all, fulfillments handed over.",
        "FULFILLED": "All handed over; some still on the way.",
        "COMPLETED": "All delivered or picked up.",
        "CANCELLED": "Every fulfillment was cancelled.",
    },
)


@strawberry.type(description="Units of one order line sent back.")
class ReturnLine:
    order_line_id: strawberry.ID = strawberry.field(
        description="Global id of the order line returned."
    )
    sku: str = strawberry.field(description="SKU of the returned units.")
    quantity: int = strawberry.field(description="Units returned.")
    refund: Money = strawberry.field(description="Money given back for these units.")
    resellable: bool = strawberry.field(
        description="True when the units go back on sale on receipt (not DAMAGED/DEFECTIVE)."
    )


@strawberry.type(description="A return of delivered or picked-up units of an order.")
class Return(Node):
    is_type_of = record_type_check(returns.ReturnRecord)

    @strawberry.field(description="Opaque global id of the return.")  # type: ignore[misc]  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Return", self.id))

    @strawberry.field(description="Global id of the order the units came from.")
    def order_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Order", self.order_id))

    @strawberry.field(description="Where the return is.")
    def status(self) -> ReturnStatus:  # type: ignore[valid-type]
        return returns.ReturnStatus(self.status)

    @strawberry.field(description="Why the goods come back.")
    def reason(self) -> ReturnReason:  # type: ignore[valid-type]
        return aftersale.ReturnReason(self.reason)

    note: str | None = strawberry.field(description="The buyer's or associate's note, if any.")

    @strawberry.field(description="The units returned, per order line.")
    def lines(self) -> list[ReturnLine]:
        currency: str = self.currency_code  # type: ignore[attr-defined]
        return [
            ReturnLine(
                order_line_id=strawberry.ID(to_global_id("OrderLine", line.order_line_id)),
                sku=line.sku,
                quantity=line.quantity,
                refund=money(line.refund_minor, currency),
                resellable=line.resellable,
            )
            for line in self.lines
        ]

    @strawberry.field(
        description="Money given back for these units (their share of the line totals; "
        "shipping is not refunded), paid when the goods are received."
    )
    def refund(self) -> Money:
        return money(self.refund_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Money refunded to the card on receipt; less than `refund` only when "
        "part of the payment was never captured (that part is released instead)."
    )
    def refunded(self) -> Money:
        return money(self.refunded_minor, self.currency_code)  # type: ignore[attr-defined]

    @strawberry.field(description="Global id of the location that received the goods; null before.")
    def location_id(self) -> strawberry.ID | None:
        value = self.location_id
        return None if value is None else strawberry.ID(to_global_id("Location", value))

    created_at: datetime = strawberry.field(description="When the return was asked for.")
    received_at: datetime | None = strawberry.field(
        description="When the goods arrived; null before."
    )
