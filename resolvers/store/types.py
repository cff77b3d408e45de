"""Store types: arrivals, the live store activity, the BOPIS readiness clock."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from datasources.postgres.store_repository import PickupReadiness, ReadinessSummary
from datasources.postgres.store_repository import StoreWorkItem as StoreWorkItemRecord
from datasources.postgres.store_repository import StoreWorkLine as StoreWorkLineRecord
from domain.ids import to_global_id
from domain.store.activity import StoreActivity as StoreActivityRecord
from domain.store.pickup import Arrival
from resolvers.common import record_type_check
from resolvers.context import Info
from resolvers.customer.access import visible_owned
from resolvers.order.fulfillment_types import FulfillmentStatus
from resolvers.order.types import Order
from resolvers.store.loaders import arrival_loader


def _gid(kind: str, value: object) -> strawberry.ID:
    return strawberry.ID(to_global_id(kind, value))  # type: ignore[arg-type]


@strawberry.type(description="A buyer's \"I'm here\" for a pickup order (curbside or in store).")
class PickupArrival:
    is_type_of = record_type_check(Arrival)

    @strawberry.field(description="Global id of the order collected.")
    def order_id(self) -> strawberry.ID:
        return _gid("Order", self.order_id)  # type: ignore[attr-defined]

    @strawberry.field(description="Global id of the pickup fulfillment.")
    def fulfillment_id(self) -> strawberry.ID:
        return _gid("Fulfillment", self.fulfillment_id)  # type: ignore[attr-defined]

    @strawberry.field(description="Global id of the store.")
    def location_id(self) -> strawberry.ID:
        return _gid("Location", self.location_id)  # type: ignore[attr-defined]

    bay: str | None = strawberry.field(description="Curbside bay or spot; null in store.")
    note: str | None = strawberry.field(
        description='The buyer\'s note for staff, e.g. "blue van"; null if none.'
    )
    arrived_at: datetime = strawberry.field(description="When the buyer said they arrived.")


@strawberry.enum(description="What happened at the store.")
class StoreActivityKind(Enum):
    PICKUP_ORDER_PLACED = strawberry.enum_value(
        "PICKUP_ORDER_PLACED", description="A new order is to be picked up at this store."
    )
    PICKUP_ARRIVED = strawberry.enum_value(
        "PICKUP_ARRIVED", description="A buyer arrived for a pickup (see bay and note)."
    )
    PICKUP_HANDED_OVER = strawberry.enum_value(
        "PICKUP_HANDED_OVER", description="A pickup was handed to its buyer."
    )
    WORK_LINE_PICKED = strawberry.enum_value(
        "WORK_LINE_PICKED",
        description="A line of the pick list was picked (see pickedQuantity, shortQuantity).",
    )


@strawberry.type(description="One live event of a store, for its staff.")
class StoreActivity:
    is_type_of = record_type_check(StoreActivityRecord)

    @strawberry.field(description="What happened.")
    def kind(self) -> StoreActivityKind:
        return StoreActivityKind(self.kind.value)  # type: ignore[attr-defined]

    @strawberry.field(description="Global id of the store.")
    def location_id(self) -> strawberry.ID:
        return _gid("Location", self.location_id)  # type: ignore[attr-defined]

    @strawberry.field(description="Global id of the order.")
    def order_id(self) -> strawberry.ID:
        return _gid("Order", self.order_id)  # type: ignore[attr-defined]

    order_number: int = strawberry.field(description="The order's human-friendly number.")

    @strawberry.field(description="Global id of the order's fulfillment at this store.")
    def fulfillment_id(self) -> strawberry.ID:
        return _gid("Fulfillment", self.fulfillment_id)  # type: ignore[attr-defined]

    bay: str | None = strawberry.field(description="PICKUP_ARRIVED: the curbside bay, if given.")

    @strawberry.field(description="PICKUP_ARRIVED: the buyer's note for staff, if any.")
    async def note(self, info: Info) -> str | None:
        if self.arrival_id is None:  # type: ignore[attr-defined]
            return None
        arrival = await arrival_loader(info).load(self.arrival_id)  # type: ignore[attr-defined]
        return None if arrival is None else arrival.note  # type: ignore[no-any-return]

    @strawberry.field(description="The order (read as the subscriber may read it).")
    async def order(self, info: Info) -> Order | None:
        # A subscription's context (and its loaders) lives as long as the socket: read
        # the order as it is now, not as an earlier event of this stream left it.
        loader = info.context.loaders.OrderByIdLoader
        loader.clear(self.order_id)  # type: ignore[attr-defined]
        record = await loader.load(self.order_id)  # type: ignore[attr-defined]
        return visible_owned(info, record)  # type: ignore[no-any-return]

    @strawberry.field(description="WORK_LINE_PICKED: global id of the OrderLine picked.")
    def line_id(self) -> strawberry.ID | None:
        line = self.line_id  # type: ignore[attr-defined]
        return None if line is None else _gid("OrderLine", line)

    sku: str | None = strawberry.field(description="WORK_LINE_PICKED: SKU of the line.")
    picked_quantity: int | None = strawberry.field(
        description="WORK_LINE_PICKED: units found and picked."
    )
    short_quantity: int | None = strawberry.field(
        description="WORK_LINE_PICKED: units not found (cancelled and refunded)."
    )

    @strawberry.field(description="WORK_LINE_PICKED: the fulfillment's status after the pick.")
    def fulfillment_status(self) -> FulfillmentStatus | None:
        value = self.fulfillment_status  # type: ignore[attr-defined]
        return None if value is None else FulfillmentStatus(value)

    occurred_at: datetime = strawberry.field(description="When it was committed.")

    @strawberry.field(description="Unique id of the event (the CloudEvents id).")
    def event_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.event_id))  # type: ignore[attr-defined]


@strawberry.type(description="How long one pickup order took from placed to ready.")
class PickupReadinessTime:
    is_type_of = record_type_check(PickupReadiness)

    @strawberry.field(description="Global id of the order.")
    def order_id(self) -> strawberry.ID:
        return _gid("Order", self.order_id)  # type: ignore[attr-defined]

    @strawberry.field(description="Global id of the pickup fulfillment.")
    def fulfillment_id(self) -> strawberry.ID:
        return _gid("Fulfillment", self.fulfillment_id)  # type: ignore[attr-defined]

    placed_at: datetime = strawberry.field(description="When the order was placed.")
    ready_at: datetime = strawberry.field(description="When it became READY_FOR_PICKUP.")
    ready_seconds: int = strawberry.field(description="Seconds from placed to ready.")


@strawberry.type(description="A store's BOPIS readiness clock (placed -> READY_FOR_PICKUP).")
class StoreReadiness:
    is_type_of = record_type_check(ReadinessSummary)

    @strawberry.field(description="Global id of the store.")
    def location_id(self) -> strawberry.ID:
        return _gid("Location", self.location_id)  # type: ignore[attr-defined]

    count: int = strawberry.field(description="Pickups made ready in the period.")
    average_seconds: float | None = strawberry.field(
        description="Mean seconds from placed to ready; null without pickups."
    )
    median_seconds: float | None = strawberry.field(
        description="Median seconds from placed to ready; null without pickups."
    )
    p90_seconds: float | None = strawberry.field(
        description="90th percentile of seconds from placed to ready; null without pickups."
    )
    recent: list[PickupReadinessTime] = strawberry.field(
        description="The most recent pickups made ready, newest first."
    )


@strawberry.type(description="One line of a store's pick list.")
class StoreWorkLine:
    is_type_of = record_type_check(StoreWorkLineRecord)

    @strawberry.field(description="Global id of the OrderLine (pass it to storeWorkLinePick).")
    def line_id(self) -> strawberry.ID:
        return _gid("OrderLine", self.line_id)  # type: ignore[attr-defined]

    sku: str = strawberry.field(description="SKU to pick.")
    quantity: int = strawberry.field(description="Units of this line to pick here.")
    picked_quantity: int | None = strawberry.field(
        description="Units picked; null until the line is picked."
    )
    short_quantity: int | None = strawberry.field(
        description="Units found short when picked; null until the line is picked."
    )


@strawberry.type(description="A fulfillment a store must pick: pickup, ship-from-store, same-day.")
class StoreWorkItem:
    is_type_of = record_type_check(StoreWorkItemRecord)

    @strawberry.field(description="Global id of the fulfillment.")
    def fulfillment_id(self) -> strawberry.ID:
        return _gid("Fulfillment", self.fulfillment_id)  # type: ignore[attr-defined]

    @strawberry.field(description="Global id of the order.")
    def order_id(self) -> strawberry.ID:
        return _gid("Order", self.order_id)  # type: ignore[attr-defined]

    order_number: int = strawberry.field(description="The order's human-friendly number.")
    method: str = strawberry.field(description="PICKUP, SHIP_FROM_STORE or SAME_DAY.")

    @strawberry.field(description="ALLOCATED (not started) or PICKING.")
    def status(self) -> FulfillmentStatus:
        return FulfillmentStatus(self.status)  # type: ignore[attr-defined]

    promised_at: datetime | None = strawberry.field(
        description="When the buyer was promised it (ready or delivered); the list is "
        "oldest promise first, those without one last."
    )
    created_at: datetime = strawberry.field(description="When the order placed it here.")
    lines: list[StoreWorkLine] = strawberry.field(description="What to pick, in order.")
