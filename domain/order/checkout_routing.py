"""Checkout's use of routing: inputs from the database, the plan as stock to take.

`checkoutBegin` lists `fulfillment_options()` and holds the stock of the
preferred available option's plan; `checkoutComplete` routes the chosen
method with `route()` over the available stock *plus* what the checkout
already holds (so its own hold does not hide stock from it), keeps the hold
when it is exactly the plan, else releases it and takes each shipment's
units at its location (`reserve_allocations`).

The buyer's point is the address's `latitude`/`longitude` (no geocoder): an
address without them routes as "distance unknown" (shipping still works,
SAME_DAY and nearest-store choices need them).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from domain.cart.discounts import DiscountDefinition
from domain.errors import DomainError, ErrorCode
from domain.inventory.models import Reservation, ReservedLine
from domain.inventory.services import reserve_allocations
from domain.order.checkout_risk import RiskHistory
from domain.order.options import FulfillmentOption
from domain.order.routing import (
    FulfillmentMethod,
    GeoPoint,
    RoutingLine,
    RoutingLocation,
    RoutingPlan,
    Shipment,
)
from domain.ports import UnitOfWork

# The plan checkoutBegin holds when the buyer has not chosen yet: the first available.
HOLD_PREFERENCE = (
    FulfillmentMethod.SHIP,
    FulfillmentMethod.SHIP_FROM_STORE,
    FulfillmentMethod.SAME_DAY,
    FulfillmentMethod.PICKUP,
)


class CheckoutRoutingRepository(Protocol):
    async def routing_locations(
        self, skus: Sequence[str], pinned: uuid.UUID | None
    ) -> list[RoutingLocation]: ...
    async def lock_discounts(self, codes: Sequence[str]) -> None: ...
    async def discount_definitions(
        self, codes: Sequence[str], customer_id: uuid.UUID | None
    ) -> dict[str, DiscountDefinition]: ...
    async def risk_history(
        self,
        customer_id: uuid.UUID | None,
        address_key: str | None,
        card_fingerprint: str,
        since: datetime,
    ) -> RiskHistory: ...
    async def redeem_discounts(
        self, codes: Sequence[str], customer_id: uuid.UUID | None, order_id: uuid.UUID
    ) -> None: ...


def destination_of(address: Mapping[str, Any] | None, field: list[str]) -> GeoPoint | None:
    """The buyer's point from the address's latitude/longitude; None when absent."""
    if not address:
        return None
    lat, lon = address.get("latitude"), address.get("longitude")
    if lat is None and lon is None:
        return None
    numbers = [v for v in (lat, lon) if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != 2:
        raise DomainError(ErrorCode.INVALID, "latitude and longitude must both be numbers.", field)
    lat, lon = numbers
    try:
        return GeoPoint(float(lat), float(lon))
    except DomainError:
        raise DomainError(ErrorCode.INVALID, "Coordinates are out of range.", field) from None


def routing_lines(lines: Sequence[tuple[str, int]]) -> list[RoutingLine]:
    return [RoutingLine(sku, quantity) for sku, quantity in lines]


def line_fields(skus: Sequence[str]) -> dict[str, list[str]]:
    """sku -> the input path of its first cart line (what an OUT_OF_STOCK names)."""
    fields: dict[str, list[str]] = {}
    for index, sku in enumerate(skus):
        fields.setdefault(sku, ["cart", "lines", str(index)])
    return fields


def stock_map(
    available: Mapping[uuid.UUID, Mapping[str, int]], held: Sequence[ReservedLine] = ()
) -> dict[tuple[str, uuid.UUID], int]:
    """Available stock per (sku, location), plus the units this checkout holds itself."""
    stock: dict[tuple[str, uuid.UUID], int] = {}
    for location_id, by_sku in available.items():
        for sku, units in by_sku.items():
            stock[(sku, location_id)] = units
    for line in held:
        key = (line.sku, line.location_id)
        stock[key] = stock.get(key, 0) + line.quantity
    return stock


def allocations(plan: RoutingPlan) -> list[ReservedLine]:
    return [
        ReservedLine(line.sku, shipment.location_id, line.quantity)
        for shipment in plan.shipments
        for line in shipment.lines
    ]


def same_allocations(a: Sequence[ReservedLine], b: Sequence[ReservedLine]) -> bool:
    def units(lines: Sequence[ReservedLine]) -> Counter[tuple[str, uuid.UUID]]:
        counted: Counter[tuple[str, uuid.UUID]] = Counter()
        for line in lines:
            counted[(line.sku, line.location_id)] += line.quantity
        return counted

    return units(a) == units(b)


def shipment_lines(
    shipment: Shipment, skus: Sequence[str], remaining: dict[int, int]
) -> list[tuple[int, int]]:
    """(cart line index, quantity) of a shipment; `remaining` is what each line still
    needs, consumed in cart order (a sku on two cart lines fills the first first)."""
    taken: list[tuple[int, int]] = []
    for planned in shipment.lines:
        quantity = planned.quantity
        for index, sku in enumerate(skus):
            if quantity == 0:
                break
            if sku != planned.sku or remaining[index] == 0:
                continue
            take = min(quantity, remaining[index])
            taken.append((index, take))
            remaining[index] -= take
            quantity -= take
    return taken


def preferred_plan(
    options: Sequence[FulfillmentOption], pickup_location_id: uuid.UUID | None
) -> RoutingPlan | None:
    """What checkoutBegin holds: the chosen store's pickup, else the first available."""
    by_method = {o.method: o.result for o in options if isinstance(o.result, RoutingPlan)}
    order = (FulfillmentMethod.PICKUP,) if pickup_location_id is not None else HOLD_PREFERENCE
    for method in order:
        plan = by_method.get(method)
        if plan is not None:
            return plan
    return None


async def hold_plan(
    uow: UnitOfWork,
    plan: RoutingPlan,
    skus: Sequence[str],
    *,
    ttl_seconds: float,
    reference: str,
) -> Reservation:
    """Take the plan's units; a unit raced away is OUT_OF_STOCK naming the cart line."""
    wanted = allocations(plan)
    try:
        return await reserve_allocations(uow, wanted, ttl_seconds=ttl_seconds, reference=reference)
    except DomainError as error:
        if error.code is ErrorCode.OUT_OF_STOCK and error.field and len(error.field) == 2:
            sku = wanted[int(error.field[1])].sku
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                f"Not enough stock of {sku}: it sold out while checking out.",
                line_fields(skus)[sku],
            ) from error
        raise
