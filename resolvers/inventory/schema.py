"""Inventory queries and mutations."""

from __future__ import annotations

import math
import uuid
from typing import Annotated, TypeVar

import strawberry

from datasources.postgres import inventory as inventory_db
from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError, ErrorCode
from domain.ids import local_id
from domain.inventory import rules, services
from domain.models import StockLevel as StockLevelRecord
from resolvers.common import MAX_PAGE
from resolvers.context import Info
from resolvers.inventory.cache import availability_snapshots, invalidate_availability
from resolvers.inventory.types import (
    Location,
    LocationAvailability,
    StockLevel,
    StockMovementReason,
)
from resolvers.mutation import WITH_INPUT, entity_payload, run_mutation

P = TypeVar("P")


@strawberry.input(description="A point on earth (WGS84).")
class GeoPointInput:
    lat: float = strawberry.field(description="Latitude, -90 to 90.")
    lon: float = strawberry.field(description="Longitude, -180 to 180.")


@entity_payload(
    "Result of inventoryAdjust.",
    errors=WITH_INPUT,
    stock_level="The stock level after the change; null on error.",
)
class InventoryAdjustPayload:
    stock_level: StockLevel | None


@entity_payload(
    "Result of inventorySet.",
    errors=WITH_INPUT,
    stock_level="The stock level after the count; null on error.",
)
class InventorySetPayload:
    stock_level: StockLevel | None


async def _change_stock(
    info: Info,
    payload: type[P],
    sku: str,
    location_id: strawberry.ID,
    *,
    delta: int | None,
    on_hand: int | None,
    reason: object,
    idempotency_key: str,
) -> P:
    async def use_case(uow: UnitOfWork) -> StockLevelRecord:
        local = local_id(location_id, "Location", ["locationId"])
        return await services.adjust_stock(
            uow,
            info.context.principal,
            sku,
            local,
            delta=delta,
            set_to=on_hand,
            reason=rules.MovementReason(reason.value),  # type: ignore[attr-defined]
            idempotency_key=idempotency_key,
        )

    async def forget_availability(_: StockLevelRecord) -> None:
        await invalidate_availability(info.context, [sku])

    return await run_mutation(info, payload, use_case, after_commit=forget_availability)


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
            wanted = {
                local_id(gid, "Location", ["locationIds", str(i)])
                for i, gid in enumerate(location_ids)
            }
        locations = {loc.id: loc for loc in await inventory_db.active_locations(info.context.pool)}
        for location in locations.values():
            info.context.loaders.LocationByIdLoader.prime(location.id, location)
        snapshots = await availability_snapshots(info.context, skus)
        offers: list[rules.Offer] = []
        codes: dict[object, str] = {}
        for sku in dict.fromkeys(skus):
            for doc in snapshots.get(sku, []):
                place = locations.get(uuid.UUID(doc["locationId"]))
                if place is None or (wanted is not None and place.id not in wanted):
                    continue
                distance = None
                if near is not None and place.latitude is not None:
                    distance = rules.haversine_km(
                        near.lat, near.lon, place.latitude, place.longitude or 0.0
                    )
                if radius_km is not None and (distance is None or distance > radius_km):
                    continue
                codes[place.id] = place.code
                offers.append(
                    rules.offer(
                        sku,
                        place.id,
                        rules.available(doc["onHand"], doc["reserved"], doc["safetyStock"]),
                        rules.Capabilities(
                            place.can_ship, place.can_pickup, place.same_day_radius_km
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
        ],
        idempotency_key: Annotated[
            str, strawberry.argument(description="Unique per intended change, 1-200 chars.")
        ],
    ) -> InventoryAdjustPayload:
        return await _change_stock(
            info,
            InventoryAdjustPayload,
            sku,
            location_id,
            delta=delta,
            on_hand=None,
            reason=reason,
            idempotency_key=idempotency_key,
        )

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
        ],
        idempotency_key: Annotated[
            str, strawberry.argument(description="Unique per intended change, 1-200 chars.")
        ],
    ) -> InventorySetPayload:
        return await _change_stock(
            info,
            InventorySetPayload,
            sku,
            location_id,
            delta=None,
            on_hand=on_hand,
            reason=reason,
            idempotency_key=idempotency_key,
        )
