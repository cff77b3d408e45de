"""The inventory subgraph: Location, StockLevel, and stock fields of ProductVariant."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from domain import models
from domain.ids import from_global_id, to_global_id
from resolvers.common import VARIANT_DESCRIPTION, Node, described_enum, record_type_check
from resolvers.context import Info

LocationKind = described_enum(
    models.LocationKind,
    "What a location is: a warehouse, a shop, or a dark store (delivery only).",
    {
        "WAREHOUSE": "A distribution centre: ships parcels, no walk-in customers.",
        "STORE": "A shop: sells at the till, offers pickup, may ship from store.",
        "DARK_STORE": "A closed micro-warehouse for fast, same-day local delivery.",
    },
)


@strawberry.federation.type(keys=["id"], description="A place that holds stock.")
class Location(Node):
    is_type_of = record_type_check(models.Location)

    @strawberry.field(description="Opaque global id of the location.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Location", self.id))  # type: ignore[arg-type]

    code: str = strawberry.field(description="Short unique code, e.g. WH-NORTH.")
    name: str = strawberry.field(description="Display name.")
    kind: LocationKind = strawberry.field(description="Kind of location.")  # type: ignore[valid-type]
    latitude: float | None = strawberry.field(description="WGS84 latitude, if known.")
    longitude: float | None = strawberry.field(description="WGS84 longitude, if known.")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Location | None:
        _, local = from_global_id(id, "Location")
        return await info.context.loaders.LocationByIdLoader.load(local)  # type: ignore[no-any-return]


@strawberry.type(description="Stock of one SKU at one location.")
class StockLevel:
    is_type_of = record_type_check(models.StockLevel)

    sku: str = strawberry.field(description="The SKU.")
    on_hand: int = strawberry.field(description="Units physically at the location.")
    reserved: int = strawberry.field(description="Units held for checkouts in progress.")
    safety_stock: int = strawberry.field(description="Units kept back, never sold online.")
    available: int = strawberry.field(
        description="Units that can be sold now: onHand - reserved - safetyStock, never below 0."
    )

    @strawberry.field(description="Where this stock is.")
    async def location(self, info: Info) -> Location:
        return await info.context.loaders.LocationByIdLoader.load(self.location_id)  # type: ignore[attr-defined,no-any-return]


@dataclass
class VariantRef:
    """A variant known to this subgraph only by its SKU (the federation key)."""

    sku: str


@strawberry.federation.type(keys=["sku"], description=VARIANT_DESCRIPTION)
class ProductVariant:
    is_type_of = record_type_check((VariantRef, models.ProductVariant))  # type: ignore[arg-type]

    sku: str = strawberry.field(description="Stock keeping unit, unique across the catalog.")

    @strawberry.field(description="Stock of this variant at every active location.")
    async def stock_levels(self, info: Info) -> list[StockLevel]:
        return await info.context.loaders.StockLevelsBySkuLoader.load(self.sku)  # type: ignore[no-any-return]

    @strawberry.field(description="Units sellable now, summed over every active location.")
    async def availability(self, info: Info) -> int:
        levels = await info.context.loaders.StockLevelsBySkuLoader.load(self.sku)
        return sum(level.available for level in levels)

    @classmethod
    def resolve_reference(cls, sku: str) -> VariantRef:
        return VariantRef(sku)
