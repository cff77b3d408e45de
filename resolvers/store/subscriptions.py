"""storeActivity: a store's arrivals, handovers and new pickup orders, live, for its staff."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated

import strawberry

from datasources.postgres.store_activity import store_activity
from domain.store.activity import StoreActivity as StoreActivityRecord
from resolvers.context import Info
from resolvers.live import event_hub, overflow_closer, with_error_codes
from resolvers.store.access import store_location
from resolvers.store.types import StoreActivity


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Staff (ORDERS scope): what happens at one store, live: new pickup "
        'orders, buyers arriving ("I\'m here", with bay and note) and pickups handed over.'
    )
    async def store_activity(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the store Location.")
        ],
    ) -> AsyncGenerator[StoreActivity, None]:
        def stream() -> AsyncIterator[StoreActivityRecord]:
            local = store_location(info, location_id)
            return store_activity(
                event_hub(info),
                info.context.pool,
                info.context.principal,
                local,
                overflow_closer(info),
            )

        async for activity in with_error_codes(stream):
            yield StoreActivity.from_record(activity)
