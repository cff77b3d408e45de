"""orderCancel and orderReview (use-cases in domain/order/cancel_service.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain.ids import local_id
from domain.order.aftersale import LineQuantity
from domain.order.cancel_service import CancelResult, cancel_order, review_order
from resolvers.common import Money, money
from resolvers.context import Info
from resolvers.errors import UserError, user_errors_field
from resolvers.mutation import entity_payload, run_mutation, success
from resolvers.order.cancel_enums import OrderCancelReason, OrderReviewDecision
from resolvers.order.types import Order


@strawberry.input(description="Units of one order line to cancel.")
class OrderCancelLineInput:
    line_id: strawberry.ID = strawberry.field(description="Global id of the OrderLine.")
    quantity: int = strawberry.field(
        description="Units to cancel (at most those not yet cancelled or handed over)."
    )


@strawberry.type(description="Result of orderCancel.")
class OrderCancelPayload:
    order: Order | None = strawberry.field(
        description="The order after the cancel (its status re-derived); null on error."
    )
    amount_given_back: Money | None = strawberry.field(
        description="What the buyer no longer owes for this cancel (the lines' share, plus "
        "shipping when nothing is left to fulfill); null on error."
    )
    refunded: Money | None = strawberry.field(
        description="Of that, refunded now from captured money (the rest of the authorization "
        "is voided or simply not captured); null on error."
    )
    user_errors: list[UserError] = user_errors_field()


@entity_payload("Result of orderReview.", order="The order after the decision; null on error.")
class OrderReviewPayload:
    order: Order | None


async def _order_payload(info: Info, order_id: uuid.UUID) -> OrderReviewPayload:
    return success(OrderReviewPayload, await info.context.loaders.OrderByIdLoader.load(order_id))


_OrderId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the Order.")]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Cancel an order, or some units of its lines, before they are handed "
        "over. The units go back on the shelf, the payment is voided before capture or "
        "refunded after, and the order status is re-derived, in one transaction. Allowed for "
        "the order's customer (a guest order: whoever holds the token of the cart it came "
        "from), staff with a cancel role (ADMIN, SUPPORT, STORE_ASSOCIATE, SERVICE) and an AGENT API key of the order's "
        "channel. Retry with the same idempotencyKey to get the same result, never a second "
        "refund."
    )
    async def order_cancel(
        self,
        info: Info,
        order_id: _OrderId,
        reason: Annotated[
            OrderCancelReason,
            strawberry.argument(
                description="Why; buyers and agents give CUSTOMER_REQUEST or OTHER."
            ),
        ],
        lines: Annotated[
            list[OrderCancelLineInput] | None,
            strawberry.argument(
                description="Lines and units to cancel; omit to cancel everything not yet "
                "handed over."
            ),
        ] = None,
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="Client-chosen key (1-200 chars): a retry returns the first result."
            ),
        ] = None,
    ) -> OrderCancelPayload:

        async def use_case(uow: UnitOfWork) -> CancelResult:
            local = local_id(order_id, "Order", ["orderId"])
            requested = None
            if lines is not None:
                requested = [
                    LineQuantity(
                        local_id(line.line_id, "OrderLine", ["lines", str(i), "lineId"]),
                        line.quantity,
                    )
                    for i, line in enumerate(lines)
                ]
            return await cancel_order(
                uow,
                info.context.principal,
                info.context.payments,
                local,
                requested,
                reason,
                idempotency_key,
                datetime.now(UTC),
                held_carts=info.context.held_carts,
            )

        return await run_mutation(
            info, OrderCancelPayload, use_case, present=lambda result: _cancel_payload(info, result)
        )

    @strawberry.mutation(
        description="Staff (ADMIN, SUPPORT): decide on an order held for a fraud review. "
        "APPROVE releases it to its locations; REJECT cancels it whole (reason FRAUD), "
        "putting the stock back and voiding the payment. An order not on hold is "
        "INVALID_TRANSITION."
    )
    async def order_review(
        self,
        info: Info,
        order_id: _OrderId,
        decision: Annotated[
            OrderReviewDecision, strawberry.argument(description="APPROVE or REJECT.")
        ],
        note: Annotated[
            str | None,
            strawberry.argument(description="Why, for the audit trail (at most 1000 chars)."),
        ] = None,
    ) -> OrderReviewPayload:

        async def use_case(uow: UnitOfWork) -> uuid.UUID:
            local = local_id(order_id, "Order", ["orderId"])
            await review_order(
                uow,
                info.context.principal,
                info.context.payments,
                local,
                decision,
                note,
                datetime.now(UTC),
            )
            return local

        return await run_mutation(
            info, OrderReviewPayload, use_case, present=lambda local: _order_payload(info, local)
        )


async def _cancel_payload(info: Info, result: CancelResult) -> OrderCancelPayload:
    order = await info.context.loaders.OrderByIdLoader.load(result.order_id)
    currency = order.currency_code  # type: ignore[union-attr]  # the order just cancelled
    return OrderCancelPayload(
        order=order,  # type: ignore[arg-type]  # a record
        amount_given_back=money(result.amount_minor, currency),
        refunded=money(result.refunded_minor, currency),
        user_errors=[],
    )
