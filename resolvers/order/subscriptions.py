"""Order subscriptions: live status changes of one order, resumable by sequence."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Annotated

import strawberry

from datasources.events import live
from domain import events
from domain.ids import from_global_id, to_global_id
from resolvers.common import record_type_check
from resolvers.context import Info
from resolvers.live import event_hub, overflow_closer, with_error_codes
from resolvers.order.return_types import OrderStatus


@strawberry.type(description="An order moved to a new status.")
class OrderStatusChange:
    is_type_of = record_type_check(events.OrderStatusChanged)

    @strawberry.field(description="Global id of the order.")
    def order_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Order", self.order_id))

    status: OrderStatus = strawberry.field(description="The new status.")
    previous_status: OrderStatus | None = strawberry.field(
        description="The status before this change; null when the order was just placed."
    )
    sequence: int = strawberry.field(
        description="Position of this change among the order's events, from 1, with no gap. "
        "Pass the last one you saw as `afterSequence` to resume after a disconnect."
    )
    occurred_at: datetime = strawberry.field(description="When the change was committed.")

    @strawberry.field(description="Unique id of the event (the CloudEvents id).")
    def event_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.event_id))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Status changes of one order, in order, as they happen. A customer may "
        "follow only their own orders; staff any. With `afterSequence`, first the changes "
        "after that sequence are replayed, then live ones follow with no gap and no repeat."
    )
    async def order_status_changed(
        self,
        info: Info,
        order_id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
        after_sequence: Annotated[
            int | None,
            strawberry.argument(
                description="The last sequence already seen; replay every later change first."
            ),
        ] = None,
    ) -> AsyncGenerator[OrderStatusChange, None]:
        def stream() -> AsyncIterator[events.OrderStatusChanged]:
            _, local = from_global_id(order_id, "Order")
            return live.order_status_changes(
                event_hub(info),
                info.context.pool,
                info.context.principal,
                local,
                after_sequence,
                overflow_closer(info),
            )

        async for change in with_error_codes(stream):
            yield change  # type: ignore[misc]
