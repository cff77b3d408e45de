"""Store types: arrivals, the live store activity, the BOPIS readiness clock."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from datasources.postgres.store_repository import PickupReadiness, ReadinessSummary
from datasources.postgres.store_repository import StoreWorkItem as StoreWorkItemRecord
from datasources.postgres.store_repository import StoreWorkLine as StoreWorkLineRecord
from domain.ids import to_global_id
from domain.store.activity import StoreActivity as StoreActivityRecord
from domain.store.pickup import Arrival
from resolvers.context import Info
from resolvers.customer.access import visible_owned
from resolvers.order.fulfillment_types import FulfillmentStatus
from resolvers.order.types import Order


def _gid(kind: str, value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(to_global_id(kind, value))


@strawberry.type(description="A buyer's \"I'm here\" for a pickup order (curbside or in store).")
class PickupArrival:
    bay: str | None = strawberry.field(description="Curbside bay or spot; null in store.")
    note: str | None = strawberry.field(
        description='The buyer\'s note for staff, e.g. "blue van"; null if none.'
    )
    arrived_at: datetime = strawberry.field(description="When the buyer said they arrived.")
    order_id: strawberry.ID = strawberry.field(description="Global id of the order collected.")
    fulfillment_id: strawberry.ID = strawberry.field(
        description="Global id of the pickup fulfillment."
    )
    location_id: strawberry.ID = strawberry.field(description="Global id of the store.")

    @classmethod
    def from_record(cls, arrival: Arrival) -> PickupArrival:
        return cls(
            bay=arrival.bay,
            note=arrival.note,
            arrived_at=arrival.arrived_at,
            order_id=_gid("Order", arrival.order_id),
            fulfillment_id=_gid("Fulfillment", arrival.fulfillment_id),
            location_id=_gid("Location", arrival.location_id),
        )


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
    order_number: int = strawberry.field(description="The order's human-friendly number.")
    bay: str | None = strawberry.field(description="PICKUP_ARRIVED: the curbside bay, if given.")
    sku: str | None = strawberry.field(description="WORK_LINE_PICKED: SKU of the line.")
    picked_quantity: int | None = strawberry.field(
        description="WORK_LINE_PICKED: units found and picked."
    )
    short_quantity: int | None = strawberry.field(
        description="WORK_LINE_PICKED: units not found (cancelled and refunded)."
    )
    occurred_at: datetime = strawberry.field(description="When it was committed.")
    kind: StoreActivityKind = strawberry.field(description="What happened.")
    location_id: strawberry.ID = strawberry.field(description="Global id of the store.")
    order_id: strawberry.ID = strawberry.field(description="Global id of the order.")
    fulfillment_id: strawberry.ID = strawberry.field(
        description="Global id of the order's fulfillment at this store."
    )
    record: strawberry.Private[StoreActivityRecord]

    @classmethod
    def from_record(cls, activity: StoreActivityRecord) -> StoreActivity:
        return cls(
            order_number=activity.order_number,
            bay=activity.bay,
            sku=activity.sku,
            picked_quantity=activity.picked_quantity,
            short_quantity=activity.short_quantity,
            occurred_at=activity.occurred_at,
            kind=StoreActivityKind(activity.kind.value),
            location_id=_gid("Location", activity.location_id),
            order_id=_gid("Order", activity.order_id),
            fulfillment_id=_gid("Fulfillment", activity.fulfillment_id),
            record=activity,
        )

    @strawberry.field(description="PICKUP_ARRIVED: the buyer's note for staff, if any.")
    async def note(self, info: Info) -> str | None:
        if self.record.arrival_id is None:
            return None
        arrival = await info.context.loaders.ArrivalByIdLoader.load(self.record.arrival_id)
        return None if arrival is None else arrival.note

    @strawberry.field(description="The order (read as the subscriber may read it).")
    async def order(self, info: Info) -> Order | None:
        # A subscription's context (and its loaders) lives as long as the socket: read
        # the order as it is now, not as an earlier event of this stream left it.
        loader = info.context.loaders.OrderByIdLoader
        loader.clear(self.record.order_id)
        record = await loader.load(self.record.order_id)
        return visible_owned(info, record)  # type: ignore[no-any-return]

    @strawberry.field(description="WORK_LINE_PICKED: global id of the OrderLine picked.")
    def line_id(self) -> strawberry.ID | None:
        line = self.record.line_id
        return None if line is None else _gid("OrderLine", line)

    @strawberry.field(description="WORK_LINE_PICKED: the fulfillment's status after the pick.")
    def fulfillment_status(self) -> FulfillmentStatus | None:
        value = self.record.fulfillment_status
        return None if value is None else FulfillmentStatus(value)

    @strawberry.field(description="Unique id of the event (the CloudEvents id).")
    def event_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.record.event_id))


@strawberry.type(description="How long one pickup order took from placed to ready.")
class PickupReadinessTime:
    placed_at: datetime = strawberry.field(description="When the order was placed.")
    ready_at: datetime = strawberry.field(description="When it became READY_FOR_PICKUP.")
    ready_seconds: int = strawberry.field(description="Seconds from placed to ready.")
    order_id: strawberry.ID = strawberry.field(description="Global id of the order.")
    fulfillment_id: strawberry.ID = strawberry.field(
        description="Global id of the pickup fulfillment."
    )

    @classmethod
    def from_record(cls, pickup: PickupReadiness) -> PickupReadinessTime:
        return cls(
            placed_at=pickup.placed_at,
            ready_at=pickup.ready_at,
            ready_seconds=pickup.ready_seconds,
            order_id=_gid("Order", pickup.order_id),
            fulfillment_id=_gid("Fulfillment", pickup.fulfillment_id),
        )


@strawberry.type(description="A store's BOPIS readiness clock (placed -> READY_FOR_PICKUP).")
class StoreReadiness:
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
    location_id: strawberry.ID = strawberry.field(description="Global id of the store.")

    @classmethod
    def from_record(cls, summary: ReadinessSummary) -> StoreReadiness:
        return cls(
            count=summary.count,
            average_seconds=summary.average_seconds,
            median_seconds=summary.median_seconds,
            p90_seconds=summary.p90_seconds,
            recent=[PickupReadinessTime.from_record(p) for p in summary.recent],
            location_id=_gid("Location", summary.location_id),
        )


@strawberry.type(description="One line of a store's pick list.")
class StoreWorkLine:
    sku: str = strawberry.field(description="SKU to pick.")
    quantity: int = strawberry.field(description="Units of this line to pick here.")
    picked_quantity: int | None = strawberry.field(
        description="Units picked; null until the line is picked."
    )
    short_quantity: int | None = strawberry.field(
        description="Units found short when picked; null until the line is picked."
    )
    line_id: strawberry.ID = strawberry.field(
        description="Global id of the OrderLine (pass it to storeWorkLinePick)."
    )

    @classmethod
    def from_record(cls, line: StoreWorkLineRecord) -> StoreWorkLine:
        return cls(
            sku=line.sku,
            quantity=line.quantity,
            picked_quantity=line.picked_quantity,
            short_quantity=line.short_quantity,
            line_id=_gid("OrderLine", line.line_id),
        )


@strawberry.type(description="A fulfillment a store must pick: pickup, ship-from-store, same-day.")
class StoreWorkItem:
    order_number: int = strawberry.field(description="The order's human-friendly number.")
    method: str = strawberry.field(description="PICKUP, SHIP_FROM_STORE or SAME_DAY.")
    promised_at: datetime | None = strawberry.field(
        description="When the buyer was promised it (ready or delivered); the list is "
        "oldest promise first, those without one last."
    )
    created_at: datetime = strawberry.field(description="When the order placed it here.")
    lines: list[StoreWorkLine] = strawberry.field(description="What to pick, in order.")
    fulfillment_id: strawberry.ID = strawberry.field(description="Global id of the fulfillment.")
    order_id: strawberry.ID = strawberry.field(description="Global id of the order.")
    status: FulfillmentStatus = strawberry.field(description="ALLOCATED (not started) or PICKING.")

    @classmethod
    def from_record(cls, item: StoreWorkItemRecord) -> StoreWorkItem:
        return cls(
            order_number=item.order_number,
            method=item.method,
            promised_at=item.promised_at,
            created_at=item.created_at,
            lines=[StoreWorkLine.from_record(line) for line in item.lines],
            fulfillment_id=_gid("Fulfillment", item.fulfillment_id),
            order_id=_gid("Order", item.order_id),
            status=FulfillmentStatus(item.status),
        )
