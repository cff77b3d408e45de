"""Store mutations and queries: pickupArrival, pickupHandover, storeReadiness."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import strawberry

from datasources.postgres.store_repository import (
    StoreWorkItem as StoreWorkItemRecord,
)
from datasources.postgres.store_repository import (
    WorkPosition,
    location_kind,
    readiness_summary,
    store_work_page,
)
from datasources.postgres.store_uow import StoreUnitOfWork
from domain.authz import Scope, has_scope
from domain.errors import DomainError, ErrorCode, NotFound
from domain.ids import local_id
from domain.store.pick_service import PickResult, pick_line
from domain.store.services import hand_over_pickup, record_arrival
from resolvers.common import (
    Connection,
    Edge,
    Money,
    check_page_size,
    connection,
    decode_cursor,
    encode_cursor,
    money,
    parse_uuid,
)
from resolvers.context import Info
from resolvers.customer.access import visible_owned
from resolvers.errors import UserError, user_errors_field
from resolvers.mutation import entity_payload, run_mutation, success
from resolvers.order.fulfillment_types import FulfillmentStatus
from resolvers.order.types import Order
from resolvers.store.access import store_location
from resolvers.store.types import PickupArrival, StoreReadiness, StoreWorkItem

MAX_READINESS_PAGE = 100
_LocationId = Annotated[
    strawberry.ID, strawberry.argument(description="Global id of the store Location.")
]
_INFINITY = "infinity"
_OrderId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the Order.")]


@entity_payload("Result of pickupArrival.", arrival="The arrival as recorded; null on error.")
class PickupArrivalPayload:
    arrival: PickupArrival | None


@entity_payload(
    "Result of pickupHandover.",
    order="The order after the handover (its pickup PICKED_UP); null on error.",
)
class PickupHandoverPayload:
    order: Order | None


@strawberry.type(description="Result of storeWorkLinePick.")
class StoreWorkLinePickPayload:
    order: Order | None = strawberry.field(
        description="The order after the pick (a short pick cancels the missing units); "
        "null on error."
    )
    fulfillment_status: FulfillmentStatus | None = strawberry.field(
        description="The fulfillment's status after the pick: PICKING while lines are left, "
        "then READY_FOR_PICKUP (pickup) or PACKED; CANCELLED if nothing was found. Null on "
        "error."
    )
    picked_quantity: int | None = strawberry.field(description="Units picked; null on error.")
    short_quantity: int | None = strawberry.field(
        description="Units found short, now cancelled; null on error."
    )
    refunded: Money | None = strawberry.field(
        description="Refunded now for the short units (0 before the payment was captured: "
        "the authorization is lowered instead); null on error."
    )
    user_errors: list[UserError] = user_errors_field()


def encode_work_cursor(item: StoreWorkItemRecord) -> str:
    promise = _INFINITY if item.promised_at is None else item.promised_at.isoformat()
    return encode_cursor(promise, item.created_at.isoformat(), str(item.fulfillment_id))


def decode_work_cursor(cursor: str) -> WorkPosition:
    promise, created, raw_id = decode_cursor(cursor, 3)
    try:
        created_at = datetime.fromisoformat(created)
        promised_at = None if promise == _INFINITY else datetime.fromisoformat(promise)
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID, "The cursor is not valid for this list.", ["after"]
        ) from None
    if created_at.tzinfo is None or (promised_at is not None and promised_at.tzinfo is None):
        raise DomainError(ErrorCode.INVALID, "The cursor is not valid for this list.", ["after"])
    return promised_at, created_at, parse_uuid(raw_id, ["after"])


def _check_staff(info: Info) -> None:
    if not has_scope(info.context.principal, Scope.ORDERS):
        raise DomainError(ErrorCode.FORBIDDEN, "Only store staff may read this.")


async def _store_id(info: Info, location_gid: str) -> uuid.UUID:
    local = store_location(info, location_gid)
    if await location_kind(info.context.pool, local) is None:
        raise NotFound("Location", ["locationId"])
    return local


async def _visible_order_id(info: Info, order_gid: str) -> uuid.UUID:
    local = local_id(order_gid, "Order", ["orderId"])
    loader = info.context.loaders.OrderByIdLoader
    order = await loader.load(local)
    loader.clear(local)  # a payload reads the order as the change leaves it
    if visible_owned(info, order) is None:
        raise NotFound("Order", ["orderId"])
    return local


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description='"I\'m here": the buyer of a pickup order (its customer; for a guest '
        "order whoever holds its cart token) tells the store they arrived, at a curbside "
        "bay or in store. Store staff following storeActivity see it at once. May be sent "
        "again (another bay); an order with nothing left to pick up is INVALID_TRANSITION."
    )
    async def pickup_arrival(
        self,
        info: Info,
        order_id: _OrderId,
        bay: Annotated[
            str | None,
            strawberry.argument(description="Curbside bay or spot (at most 20 characters)."),
        ] = None,
        note: Annotated[
            str | None,
            strawberry.argument(
                description='A note for staff, e.g. "blue van" (at most 500 characters).'
            ),
        ] = None,
    ) -> PickupArrivalPayload:

        async def use_case(uow: StoreUnitOfWork) -> PickupArrival:
            local = await _visible_order_id(info, order_id)
            arrival = await record_arrival(uow, local, bay, note, datetime.now(UTC))
            return PickupArrival.from_record(arrival)

        return await run_mutation(
            info, PickupArrivalPayload, use_case, unit_of_work=StoreUnitOfWork
        )

    @strawberry.mutation(
        description="Store staff (ORDERS scope and a fulfillment role: STORE_ASSOCIATE, "
        "SERVICE, ADMIN) hand a ready pickup to its buyer: the code the buyer shows "
        "(Order.pickupCode) must match, else PICKUP_CODE_INVALID and nothing changes. Every "
        "READY_FOR_PICKUP pickup of the order becomes PICKED_UP and its payment is captured, "
        "in one transaction."
    )
    async def pickup_handover(
        self,
        info: Info,
        order_id: _OrderId,
        code: Annotated[
            str, strawberry.argument(description="The pickup code the buyer shows (6 digits).")
        ],
    ) -> PickupHandoverPayload:

        async def use_case(uow: StoreUnitOfWork) -> uuid.UUID:
            local = local_id(order_id, "Order", ["orderId"])
            await hand_over_pickup(
                uow,
                info.context.principal,
                info.context.payments,
                info.context.settings.jwt_secret,
                local,
                code,
                datetime.now(UTC),
            )
            return local

        async def handed_over(local: uuid.UUID) -> PickupHandoverPayload:
            order = await info.context.loaders.OrderByIdLoader.load(local)
            return success(PickupHandoverPayload, order)

        return await run_mutation(
            info,
            PickupHandoverPayload,
            use_case,
            unit_of_work=StoreUnitOfWork,
            present=handed_over,
        )

    @strawberry.mutation(
        description="Store staff (ORDERS scope and a fulfillment role) pick one line of a "
        "fulfillment on the store's pick list (storeWork): pickedQuantity units found. Fewer "
        "than the line's units is a short pick: the missing units are cancelled (reason "
        "STOCK_ISSUE) and given back to the buyer (authorization lowered, or refunded after "
        "capture), so the order is never stuck. The first pick starts PICKING; once every "
        "line is picked a pickup becomes READY_FOR_PICKUP and a delivery PACKED. All in one "
        "transaction; staff following storeActivity see it. A fulfillment or line not on the "
        "list (or picked already) is NOT_IN_PICK_LIST."
    )
    async def store_work_line_pick(
        self,
        info: Info,
        location_id: _LocationId,
        fulfillment_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the Fulfillment.")
        ],
        line_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the OrderLine.")
        ],
        picked_quantity: Annotated[
            int,
            strawberry.argument(description="Units found, 0 to the line's units on the list."),
        ],
    ) -> StoreWorkLinePickPayload:

        async def use_case(uow: StoreUnitOfWork) -> PickResult:
            store = store_location(info, location_id)
            part = local_id(fulfillment_id, "Fulfillment", ["fulfillmentId"])
            line = local_id(line_id, "OrderLine", ["lineId"])
            return await pick_line(
                uow,
                info.context.principal,
                info.context.payments,
                store,
                part,
                line,
                picked_quantity,
                datetime.now(UTC),
            )

        async def picked(result: PickResult) -> StoreWorkLinePickPayload:
            order = await info.context.loaders.OrderByIdLoader.load(result.order_id)
            if order is None:  # the order the pick just changed
                raise NotFound("Order", ["fulfillmentId"])
            return StoreWorkLinePickPayload(
                order=order,  # type: ignore[arg-type]  # a record
                fulfillment_status=FulfillmentStatus(result.status.value),
                picked_quantity=result.pick.picked,
                short_quantity=result.pick.short,
                refunded=money(result.refunded_minor, order.currency_code),
                user_errors=[],
            )

        return await run_mutation(
            info,
            StoreWorkLinePickPayload,
            use_case,
            unit_of_work=StoreUnitOfWork,
            present=picked,
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="Staff (ORDERS scope): a store's BOPIS readiness clock, placed -> "
        "READY_FOR_PICKUP of every pickup made ready there (since `since`, if given)."
    )
    async def store_readiness(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the store Location.")
        ],
        since: Annotated[
            datetime | None,
            strawberry.argument(description="Count only pickups made ready from this time."),
        ] = None,
        first: Annotated[
            int,
            strawberry.argument(description="How many recent pickups to list, 0 to 100."),
        ] = 20,
    ) -> StoreReadiness:
        _check_staff(info)
        if not 0 <= first <= MAX_READINESS_PAGE:
            raise DomainError(
                ErrorCode.INVALID, f"first must be 0 to {MAX_READINESS_PAGE}.", ["first"]
            )
        local = await _store_id(info, location_id)
        summary = await readiness_summary(info.context.pool, local, since, first)
        return StoreReadiness.from_record(summary)

    @strawberry.field(
        description="Staff (ORDERS scope): what a store must pick: its PICKUP, "
        "SHIP_FROM_STORE and SAME_DAY fulfillments not yet picked (ALLOCATED or PICKING), "
        "oldest promise first, with their lines (a Relay connection)."
    )
    async def store_work(
        self,
        info: Info,
        location_id: _LocationId,
        first: Annotated[int, strawberry.argument(description="Page size, 0 to 250.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> Connection[StoreWorkItem]:
        _check_staff(info)
        check_page_size(first)
        position = None if after is None else decode_work_cursor(after)
        local = await _store_id(info, location_id)
        page = await store_work_page(info.context.pool, local, first + 1, position)
        records = connection(page, first, encode_work_cursor)
        return Connection(
            edges=[
                Edge(cursor=edge.cursor, node=StoreWorkItem.from_record(edge.node))
                for edge in records.edges
            ],
            page_info=records.page_info,
        )
