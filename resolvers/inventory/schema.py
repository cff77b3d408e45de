"""Inventory queries and mutations."""

from __future__ import annotations

import math
import uuid
from typing import Annotated

import strawberry

from datasources.postgres import inventory as inventory_db
from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError, ErrorCode
from domain.ids import from_global_id
from domain.inventory import rules, services
from domain.models import StockLevel as StockLevelRecord
from resolvers.common import MAX_PAGE
from resolvers.context import Info
from resolvers.errors import UserError, user_errors
from resolvers.inventory.cache import availability_snapshots, invalidate_availability
from resolvers.inventory.types import (
    Location,
    LocationAvailability,
    StockLevel,
    StockMovementReason,
)


@strawberry.input(description="A point on earth (WGS84).")
class GeoPointInput:
    lat: float = strawberry.field(description="Latitude, -90 to 90.")
    lon: float = strawberry.field(description="Longitude, -180 to 180.")


@strawberry.type(description="Result of inventoryAdjust.")
class InventoryAdjustPayload:
    stock_level: StockLevel | None = strawberry.field(
        description="The stock level after the change; null on error."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; empty on success."
    )


@strawberry.type(description="Result of inventorySet.")
class InventorySetPayload:
    stock_level: StockLevel | None = strawberry.field(
        description="The stock level after the count; null on error."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; empty on success."
    )


async def _change_stock(
    info: Info,
    sku: str,
    location_id: strawberry.ID,
    *,
    delta: int | None,
    on_hand: int | None,
    reason: object,
    idempotency_key: str,
) -> tuple[StockLevelRecord | None, list[UserError]]:
    try:
        _, local = from_global_id(location_id, "Location")
        async with UnitOfWork(info.context.pool) as uow:
            level = await services.adjust_stock(
                uow,
                info.context.principal,
                sku,
                local,
                delta=delta,
                set_to=on_hand,
                reason=rules.MovementReason(reason.value),  # type: ignore[attr-defined]
                idempotency_key=idempotency_key,
            )
    except DomainError as error:
        if error.code is ErrorCode.INVALID_ID:
            error.field = ["locationId"]
        return None, user_errors(error)
    await invalidate_availability(info.context, [sku])
    return level, []


@strawberry.type
class Query:
    @strawberry.field(description="Every active location, ordered by code.")
    async def locations(self, info: Info) -> list[Location]:
        return await inventory_db.active_locations(info.context.pool)  # type: ignore[return-value]

    @strawberry.field(
        description=(
            "Where SKUs can be had: per active location and SKU, the units available and "
            "whether the buyer can get them shipped, picked up or delivered the same day. "
            "Nearest first when `near` is given, else by location code. Served from a "
            "cache that every stock change clears; checkout always re-checks the database."
        )
    )
    async def availability(
        self,
        info: Info,
        skus: Annotated[list[str], strawberry.argument(description="SKUs, 1 to 250.")],
        location_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Only these locations (global ids)."),
        ] = None,
        near: Annotated[
            GeoPointInput | None,
            strawberry.argument(description="The buyer's position, for distance and same-day."),
        ] = None,
        radius_km: Annotated[
            float | None,
            strawberry.argument(description="Only locations within this distance of `near`."),
        ] = None,
    ) -> list[LocationAvailability]:
        if not 0 < len(skus) <= MAX_PAGE:
            raise DomainError(ErrorCode.INVALID, f"Give 1 to {MAX_PAGE} SKUs.", ["skus"])
        if radius_km is not None and near is None:
            raise DomainError(ErrorCode.INVALID, "radiusKm needs near.", ["radiusKm"])
        if near is not None:
            rules.validate_point(near.lat, near.lon, radius_km)
        wanted = None
        if location_ids is not None:
            wanted = set()
            for i, gid in enumerate(location_ids):
                try:
                    wanted.add(from_global_id(gid, "Location")[1])
                except DomainError as error:
                    error.field = ["locationIds", str(i)]
                    raise
        locations = {loc.id: loc for loc in await inventory_db.active_locations(info.context.pool)}
        for location in locations.values():
            info.context.loaders.LocationByIdLoader.prime(location.id, location)
        snapshots = await availability_snapshots(info.context, skus)
        offers: list[rules.Offer] = []
        codes: dict[object, str] = {}
        for sku in dict.fromkeys(skus):
            for doc in snapshots.get(sku, []):
                location = locations.get(uuid.UUID(doc["locationId"]))
                if location is None or (wanted is not None and location.id not in wanted):
                    continue
                distance = None
                if near is not None and location.latitude is not None:
                    distance = rules.haversine_km(
                        near.lat, near.lon, location.latitude, location.longitude or 0.0
                    )
                if radius_km is not None and (distance is None or distance > radius_km):
                    continue
                codes[location.id] = location.code
                offers.append(
                    rules.offer(
                        sku,
                        location.id,
                        rules.available(doc["onHand"], doc["reserved"], doc["safetyStock"]),
                        rules.Capabilities(
                            location.can_ship, location.can_pickup, location.same_day_radius_km
                        ),
                        distance,
                    )
                )
        order = {sku: i for i, sku in enumerate(skus)}
        offers.sort(
            key=lambda o: (
                math.inf if o.distance_km is None else o.distance_km,
                codes[o.location_id],
                order[o.sku],
            )
        )
        return offers  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Add or remove units at a location (staff, store associates, POS, services). "
            "Recorded in the stock ledger; a retry with the same idempotencyKey returns the "
            "first result and changes nothing."
        )
    )
    async def inventory_adjust(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The SKU.")],
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the location.")
        ],
        delta: Annotated[int, strawberry.argument(description="Units to add (negative: remove).")],
        reason: Annotated[
            StockMovementReason,
            strawberry.argument(description="Why the stock changed (ledger reason)."),
        ],  # type: ignore[valid-type]
        idempotency_key: Annotated[
            str, strawberry.argument(description="Unique per intended change, 1-200 chars.")
        ],
    ) -> InventoryAdjustPayload:
        level, errors = await _change_stock(
            info,
            sku,
            location_id,
            delta=delta,
            on_hand=None,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        return InventoryAdjustPayload(stock_level=level, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description=(
            "Set the on-hand count of a SKU at a location, e.g. after a cycle count "
            "(staff, store associates, POS, services). Idempotent by idempotencyKey."
        )
    )
    async def inventory_set(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The SKU.")],
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the location.")
        ],
        on_hand: Annotated[int, strawberry.argument(description="The counted units, 0 or more.")],
        reason: Annotated[
            StockMovementReason,
            strawberry.argument(description="Why the stock changed (ledger reason)."),
        ],  # type: ignore[valid-type]
        idempotency_key: Annotated[
            str, strawberry.argument(description="Unique per intended change, 1-200 chars.")
        ],
    ) -> InventorySetPayload:
        level, errors = await _change_stock(
            info,
            sku,
            location_id,
            delta=None,
            on_hand=on_hand,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        return InventorySetPayload(stock_level=level, user_errors=errors)  # type: ignore[arg-type]
