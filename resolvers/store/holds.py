"""Reserve in store: storeHoldCreate and storeHoldCancel (domain/store/hold_service.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

import strawberry

from datasources.postgres.store_uow import StoreUnitOfWork
from domain.ids import local_id, to_global_id
from domain.inventory.rules import ReservationLine
from domain.store.hold_service import cancel_hold, place_hold
from domain.store.holds import DEFAULT_TTL_MINUTES, HoldLine
from domain.store.holds import StoreHold as StoreHoldRecord
from resolvers.context import Info
from resolvers.mutation import entity_payload, optional_local_id, run_mutation
from resolvers.store.access import store_location


@strawberry.enum(description="Where a hold at a store is.")
class StoreHoldStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Held until expiresAt.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled; units back on sale.")
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="Past expiresAt; the units are (or are about to be) back on sale."
    )
    COLLECTED = strawberry.enum_value("COLLECTED", description="Sold to the customer.")


@strawberry.type(description="Units of one SKU held.")
class StoreHoldLine:
    sku: str = strawberry.field(description="SKU held.")
    quantity: int = strawberry.field(description="Units held.")

    @classmethod
    def from_record(cls, line: HoldLine) -> StoreHoldLine:
        return cls(sku=line.sku, quantity=line.quantity)


@strawberry.type(description="Items held at a store for a customer, without payment, for a time.")
class StoreHold:
    expires_at: datetime = strawberry.field(description="Until when the items are held.")
    created_at: datetime = strawberry.field(description="When the hold was placed.")
    lines: list[StoreHoldLine] = strawberry.field(description="What is held.")
    id: strawberry.ID = strawberry.field(description="Opaque global id of the hold.")
    location_id: strawberry.ID = strawberry.field(description="Global id of the store.")
    customer_id: strawberry.ID = strawberry.field(
        description="Global id of the customer the items are held for."
    )
    record: strawberry.Private[StoreHoldRecord]

    @classmethod
    def from_record(cls, hold: StoreHoldRecord) -> StoreHold:
        return cls(
            expires_at=hold.expires_at,
            created_at=hold.created_at,
            lines=[StoreHoldLine.from_record(line) for line in hold.lines],
            id=strawberry.ID(to_global_id("StoreHold", hold.id)),
            location_id=strawberry.ID(to_global_id("Location", hold.location_id)),
            customer_id=strawberry.ID(to_global_id("Customer", hold.customer_id)),
            record=hold,
        )

    @strawberry.field(description="Where the hold is now.")
    def status(self) -> StoreHoldStatus:
        return StoreHoldStatus(self.record.status(datetime.now(UTC)).value)


@strawberry.input(description="Units of one SKU to hold.")
class StoreHoldLineInput:
    sku: str = strawberry.field(description="SKU to hold.")
    quantity: int = strawberry.field(description="Units, at least 1.")


@entity_payload("Result of storeHoldCreate and storeHoldCancel.", hold="The hold; null on error.")
class StoreHoldPayload:
    hold: StoreHold | None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Reserve in store: hold items at a store for a customer, without "
        "payment, for ttlMinutes (15 minutes to 7 days, default a day). A customer holds "
        "for themself; store staff and POS (ORDERS scope) for the customer they name. "
        "Every line is taken from the store's available stock at once or none is "
        "(OUT_OF_STOCK names the line); past its time the hold expires and the stock goes "
        "back on sale."
    )
    async def store_hold_create(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the store Location.")
        ],
        lines: Annotated[
            list[StoreHoldLineInput], strawberry.argument(description="What to hold.")
        ],
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Global id of the Customer (staff); customers omit it."
            ),
        ] = None,
        ttl_minutes: Annotated[
            int, strawberry.argument(description="How long to hold, in minutes.")
        ] = DEFAULT_TTL_MINUTES,
    ) -> StoreHoldPayload:

        async def use_case(uow: StoreUnitOfWork) -> StoreHold:
            store = store_location(info, location_id)
            customer = optional_local_id(customer_id, "Customer", ["customerId"])
            wanted = [ReservationLine(line.sku, line.quantity) for line in lines]
            hold = await place_hold(
                uow,
                info.context.principal,
                store,
                customer,
                wanted,
                ttl_minutes,
                datetime.now(UTC),
            )
            return StoreHold.from_record(hold)

        return await run_mutation(info, StoreHoldPayload, use_case, unit_of_work=StoreUnitOfWork)

    @strawberry.mutation(
        description="Cancel an ACTIVE hold (its customer, or store staff with the ORDERS "
        "scope): its units go back on sale at once. A hold already cancelled or expired is "
        "INVALID_TRANSITION."
    )
    async def store_hold_cancel(
        self,
        info: Info,
        hold_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the StoreHold.")
        ],
    ) -> StoreHoldPayload:

        async def use_case(uow: StoreUnitOfWork) -> StoreHold:
            local = local_id(hold_id, "StoreHold", ["holdId"])
            hold = await cancel_hold(uow, info.context.principal, local, datetime.now(UTC))
            return StoreHold.from_record(hold)

        return await run_mutation(info, StoreHoldPayload, use_case, unit_of_work=StoreUnitOfWork)
