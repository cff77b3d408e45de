"""orderReturnCreate / orderReturnReceive (use-cases in domain/order/returns.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain.ids import local_id
from domain.order import aftersale, returns
from resolvers.context import Info
from resolvers.errors import UserError, user_errors_field
from resolvers.mutation import run_mutation
from resolvers.order.return_types import Return, ReturnReason
from resolvers.order.types import Order


@strawberry.input(description="Units of one order line to send back.")
class ReturnLineInput:
    line_id: strawberry.ID = strawberry.field(description="Global id of the OrderLine.")
    quantity: int = strawberry.field(description="Units to return (at least 1).")


@strawberry.type(description="Result of orderReturnCreate and orderReturnReceive.")
class OrderReturnPayload:
    return_: Return | None = strawberry.field(
        name="return",
        description="The return (the same one on a replay of its idempotencyKey, or when "
        "received again); null on error.",
    )
    order: Order | None = strawberry.field(
        description="Its order, with its lines and returns; null on error."
    )
    user_errors: list[UserError] = user_errors_field()


async def _payload(info: Info, record: returns.ReturnRecord) -> OrderReturnPayload:
    order = await info.context.loaders.OrderByIdLoader.load(record.order_id)
    return OrderReturnPayload(return_=record, order=order, user_errors=[])  # type: ignore[arg-type]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Ask to return delivered or picked-up units (the order's customer, or "
        "staff). Allowed within 30 days of delivery, for units not yet returned. Nothing "
        "moves until the goods are received (orderReturnReceive). Retry with the same "
        "idempotencyKey to get the same return."
    )
    async def order_return_create(
        self,
        info: Info,
        order_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the Order.")
        ],
        lines: Annotated[
            list[ReturnLineInput], strawberry.argument(description="The units to return.")
        ],
        reason: Annotated[
            ReturnReason,
            strawberry.argument(description="Why; DAMAGED/DEFECTIVE units are not restocked."),
        ],
        idempotency_key: Annotated[
            str,
            strawberry.argument(description="Client-chosen key (1-200 chars) making retries safe."),
        ],
        note: Annotated[
            str | None, strawberry.argument(description="Free text, at most 1000 characters.")
        ] = None,
    ) -> OrderReturnPayload:

        async def use_case(uow: UnitOfWork) -> returns.ReturnRecord:
            local = local_id(order_id, "Order", ["orderId"])
            wanted = [
                aftersale.LineQuantity(
                    local_id(line.line_id, "OrderLine", ["lines", str(i), "lineId"]), line.quantity
                )
                for i, line in enumerate(lines)
            ]
            return await returns.create_return(
                uow,
                info.context.principal,
                local,
                wanted,
                aftersale.ReturnReason(reason),
                note,
                idempotency_key,
                datetime.now(UTC),
            )

        return await run_mutation(
            info, OrderReturnPayload, use_case, present=lambda record: _payload(info, record)
        )

    @strawberry.mutation(
        description="Staff and store associates: the returned goods arrived at a location. "
        "Resellable units go back on hand there (RETURNED stock movement), the refund is "
        "given back to the card, the return becomes RECEIVED. Receiving again changes nothing."
    )
    async def order_return_receive(
        self,
        info: Info,
        return_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the Return.")
        ],
        location_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="Global id of the Location receiving the goods."),
        ],
    ) -> OrderReturnPayload:

        async def use_case(uow: UnitOfWork) -> returns.ReturnRecord:
            local = local_id(return_id, "Return", ["returnId"])
            location = local_id(location_id, "Location", ["locationId"])
            return await returns.receive_return(
                uow,
                info.context.principal,
                info.context.payments,
                local,
                location,
                datetime.now(UTC),
            )

        return await run_mutation(
            info, OrderReturnPayload, use_case, present=lambda record: _payload(info, record)
        )
