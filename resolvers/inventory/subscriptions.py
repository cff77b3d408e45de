"""Inventory subscriptions: live stock changes for chosen SKUs and locations."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Annotated

import strawberry

from datasources.events import live
from domain import events
from domain.ids import from_global_id, to_global_id
from resolvers.common import record_type_check
from resolvers.context import Info
from resolvers.inventory.types import stock_detail_visible
from resolvers.live import event_hub, overflow_closer, with_error_codes
from resolvers.shared_events import share


def _staff(info: Info) -> bool:
    return stock_detail_visible(info)


@strawberry.type(description="Stock of one SKU at one location changed.")
class StockChange:
    is_type_of = record_type_check(events.StockChanged)

    sku: str = strawberry.field(description="The SKU.")

    @strawberry.field(description="Global id of the location.")
    def location_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Location", self.location_id))

    available: int = strawberry.field(description="Units sellable now at this location.")

    @strawberry.field(
        description="Units physically at the location (INVENTORY scope, or public stock detail; else null)."
    )
    def on_hand(self, info: Info) -> int | None:
        return self.on_hand if _staff(info) else None

    @strawberry.field(
        description="Units held for checkouts in progress (INVENTORY scope, or public stock detail; else null)."
    )
    def reserved(self, info: Info) -> int | None:
        return self.reserved if _staff(info) else None

    sequence: int = strawberry.field(
        description="Position of this change among the stock level's events, from 1."
    )
    occurred_at: datetime = strawberry.field(description="When the change was committed.")


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Stock changes as they happen, for the given SKUs (all if omitted) at the "
        "given locations (all if omitted). Stock availability is public, like `availability`."
    )
    async def stock_changed(
        self,
        info: Info,
        skus: Annotated[
            list[str] | None, strawberry.argument(description="SKUs to follow (1 to 250).")
        ] = None,
        location_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Global ids of locations to follow (1 to 100)."),
        ] = None,
    ) -> AsyncGenerator[StockChange, None]:
        def stream() -> AsyncIterator[events.StockChanged]:
            locations: list[uuid.UUID] | None = None
            if location_ids is not None:
                locations = [from_global_id(i, "Location")[1] for i in location_ids]
            return live.stock_changes(
                event_hub(info), skus, locations, overflow_closer(info), share
            )

        async for change in with_error_codes(stream):
            yield change  # type: ignore[misc]
