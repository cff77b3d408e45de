"""The inventory subgraph: Location, StockLevel, and stock fields of ProductVariant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import strawberry

from domain import models
from domain.authz import may_see_stock_detail
from domain.ids import from_global_id, to_global_id
from domain.inventory import rules
from domain.inventory.rules import channel_sellable
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

    @strawberry.field(description="Opaque global id of the location.")  # type: ignore[misc]  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Location", self.id))

    code: str = strawberry.field(description="Short unique code, e.g. WH-NORTH.")
    name: str = strawberry.field(description="Display name.")
    kind: LocationKind = strawberry.field(description="Kind of location.")  # type: ignore[valid-type]
    latitude: float | None = strawberry.field(description="WGS84 latitude, if known.")
    longitude: float | None = strawberry.field(description="WGS84 longitude, if known.")
    address: str = strawberry.field(description="Street address, one line.")
    opening_hours: str = strawberry.field(
        description='Opening hours as displayed, e.g. "Mo-Sa 09:00-18:00"; empty if closed to the public.'
    )
    can_ship: bool = strawberry.field(description="Ships parcels to buyers.")
    can_pickup: bool = strawberry.field(description="Buyers can collect orders here.")
    same_day_radius_km: float = strawberry.field(
        description="Delivers the same day within this many km; 0 when it does not."
    )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Location | None:
        _, local = from_global_id(id, "Location")
        return await info.context.loaders.LocationByIdLoader.load(local)  # type: ignore[no-any-return]


def stock_detail_visible(info: Info) -> bool:
    settings = info.context.settings
    public = bool(getattr(settings, "public_stock_detail", False))
    return may_see_stock_detail(info.context.principal, public)


@strawberry.type(description="Stock of one SKU at one location.")
class StockLevel:
    is_type_of = record_type_check(models.StockLevel)

    sku: str = strawberry.field(description="The SKU.")

    @strawberry.field(
        description="Units physically at the location; null unless you hold the INVENTORY "
        "scope or the store publishes stock detail (UCG_PUBLIC_STOCK_DETAIL)."
    )
    def on_hand(self, info: Info) -> int | None:
        return self.on_hand if stock_detail_visible(info) else None

    @strawberry.field(
        description="Units held for checkouts in progress; null like onHand for the public."
    )
    def reserved(self, info: Info) -> int | None:
        return self.reserved if stock_detail_visible(info) else None

    @strawberry.field(
        description="Units kept back, never sold online; null like onHand for the public."
    )
    def safety_stock(self, info: Info) -> int | None:
        return self.safety_stock if stock_detail_visible(info) else None

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

    @strawberry.field(
        description=(
            "Units sellable now on a channel: available (onHand - reserved - safetyStock) summed "
            "over the active locations that serve it. POS counts pickup locations (store "
            "shelves); every other channel counts locations that ship or offer pickup."
        )
    )
    async def availability(
        self,
        info: Info,
        channel: Annotated[
            str | None,
            strawberry.argument(
                description="Channel code; defaults to the caller's channel, else online."
            ),
        ] = None,
    ) -> int:
        code = channel or getattr(info.context.principal, "channel", None)
        rows = await info.context.loaders.SellableStockBySkuLoader.load(self.sku)
        return channel_sellable(code, rows)

    @classmethod
    def resolve_reference(cls, sku: str) -> VariantRef:
        return VariantRef(sku)


StockMovementReason = described_enum(
    rules.MovementReason,
    "Why on-hand stock changed; recorded on every ledger movement.",
    {
        "RECEIVED": "Goods arrived (purchase order, delivery).",
        "SOLD": "Sold and handed over or shipped.",
        "RETURNED": "A buyer returned the goods to stock.",
        "DAMAGED": "Written off as damaged, lost or stolen.",
        "CYCLE_COUNT": "A physical count replaced the recorded number.",
        "CORRECTION": "A correction of an earlier mistake.",
        "TRANSFER": "Moved between locations (one movement at each end).",
        "CANCELLED": "Sold units put back on the shelf because the order was cancelled.",
    },
    name="StockMovementReason",
)


@strawberry.type(description="What one location can do for one SKU, from the buyer's point.")
class LocationAvailability:
    is_type_of = record_type_check(rules.Offer)

    sku: str = strawberry.field(description="The SKU.")
    available: int = strawberry.field(description="Units that can be promised now.")
    distance_km: float | None = strawberry.field(
        description="Great-circle distance from `near`, in km; null without `near`."
    )
    can_ship: bool = strawberry.field(description="In stock here and this location ships.")
    can_pickup: bool = strawberry.field(description="In stock here and it offers pickup.")
    can_same_day: bool = strawberry.field(
        description="In stock here and `near` lies within its same-day delivery radius."
    )

    @strawberry.field(description="The location.")
    async def location(self, info: Info) -> Location:
        return await info.context.loaders.LocationByIdLoader.load(self.location_id)  # type: ignore[attr-defined,no-any-return]
