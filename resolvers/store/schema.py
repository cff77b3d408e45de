"""Store mutations and queries: pickupArrival, pickupHandover, storeReadiness."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from datasources.postgres.store_repository import location_kind, readiness_summary
from datasources.postgres.store_uow import StoreUnitOfWork
from domain.authz import Scope, has_scope
from domain.errors import DomainError, ErrorCode, NotFound
from domain.ids import local_id
from domain.store.pickup import Arrival
from domain.store.services import hand_over_pickup, record_arrival
from resolvers.context import Info
from resolvers.customer.access import visible_owned
from resolvers.errors import UserError, user_errors, user_errors_field
from resolvers.order.types import Order
from resolvers.store.types import PickupArrival, StoreReadiness

MAX_READINESS_PAGE = 100
_OrderId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the Order.")]


@strawberry.type(description="Result of pickupArrival.")
class PickupArrivalPayload:
    arrival: PickupArrival | None = strawberry.field(
        description="The arrival as recorded; null on error."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of pickupHandover.")
class PickupHandoverPayload:
    order: Order | None = strawberry.field(
        description="The order after the handover (its pickup PICKED_UP); null on error."
    )
    user_errors: list[UserError] = user_errors_field()


async def _visible_order_id(info: Info, order_gid: str) -> object:
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
        try:
            local = await _visible_order_id(info, order_id)
            async with StoreUnitOfWork(info.context.pool) as uow:
                arrival: Arrival = await record_arrival(
                    uow,
                    local,  # type: ignore[arg-type]
                    bay,
                    note,
                    datetime.now(UTC),
                )
        except DomainError as error:
            return PickupArrivalPayload(arrival=None, user_errors=user_errors(error))
        return PickupArrivalPayload(arrival=arrival, user_errors=[])  # type: ignore[arg-type]

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
        try:
            local = local_id(order_id, "Order", ["orderId"])
            async with StoreUnitOfWork(info.context.pool) as uow:
                await hand_over_pickup(
                    uow,
                    info.context.principal,
                    info.context.payments,
                    info.context.settings.jwt_secret,
                    local,
                    code,
                    datetime.now(UTC),
                )
        except DomainError as error:
            return PickupHandoverPayload(order=None, user_errors=user_errors(error))
        order = await info.context.loaders.OrderByIdLoader.load(local)
        return PickupHandoverPayload(order=order, user_errors=[])


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
        if not has_scope(info.context.principal, Scope.ORDERS):
            raise DomainError(ErrorCode.FORBIDDEN, "Only store staff may read this.")
        if not 0 <= first <= MAX_READINESS_PAGE:
            raise DomainError(
                ErrorCode.INVALID, f"first must be 0 to {MAX_READINESS_PAGE}.", ["first"]
            )
        local = local_id(location_id, "Location", ["locationId"])
        if await location_kind(info.context.pool, local) is None:
            raise NotFound("Location", ["locationId"])
        return await readiness_summary(info.context.pool, local, since, first)  # type: ignore[return-value]
