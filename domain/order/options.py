"""Fulfillment options offered at checkout: each method's plan, price and promise.

`checkoutBegin` shows the buyer every method that can serve the cart, with its
price and the latest promised time of its shipments; a method that cannot
serve it is listed with the reason and the lines at fault, so the storefront
can explain ("2 left for pickup at Rivoli") instead of hiding it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.errors import DomainError, ErrorCode
from domain.order.routing import (
    FulfillmentMethod,
    GeoPoint,
    RoutingLine,
    RoutingLocation,
    RoutingPlan,
    RoutingPolicy,
    StockMap,
    Unroutable,
    route,
)


@dataclass(frozen=True)
class ShippingRates:
    """Prices per method in the cart's currency (minor units); set per channel."""

    fees_minor: dict[FulfillmentMethod, int] = field(
        default_factory=lambda: {
            FulfillmentMethod.SHIP: 490,
            FulfillmentMethod.SHIP_FROM_STORE: 490,
            FulfillmentMethod.SAME_DAY: 990,
            FulfillmentMethod.PICKUP: 0,
        }
    )
    # SHIP and SHIP_FROM_STORE are free from this merchandise total (None: never).
    free_shipping_from_minor: int | None = 5_000

    def price(self, method: FulfillmentMethod, merchandise_minor: int) -> int:
        """One price per order, however many shipments the plan needs (a split is our
        choice, not the buyer's)."""
        free = self.free_shipping_from_minor
        if (
            method in (FulfillmentMethod.SHIP, FulfillmentMethod.SHIP_FROM_STORE)
            and free is not None
            and merchandise_minor >= free
        ):
            return 0
        return self.fees_minor.get(method, 0)


@dataclass(frozen=True)
class FulfillmentOption:
    method: FulfillmentMethod
    result: RoutingPlan | Unroutable
    price_minor: int | None  # None when unavailable
    promised_at: datetime | None  # the latest shipment's promise; None when unavailable

    @property
    def available(self) -> bool:
        return isinstance(self.result, RoutingPlan)


def fulfillment_options(
    lines: Sequence[RoutingLine],
    merchandise_minor: int,
    locations: Iterable[RoutingLocation],
    stock: StockMap,
    now: datetime,
    *,
    destination: GeoPoint | None = None,
    pickup_location_id: uuid.UUID | None = None,
    rates: ShippingRates | None = None,
    policy: RoutingPolicy | None = None,
) -> tuple[FulfillmentOption, ...]:
    """Every method that applies to what the buyer told us, in a fixed order.

    Without an address only PICKUP at a chosen store (and SHIP, which can still
    be promised roughly) are listed; SAME_DAY needs an address."""
    if merchandise_minor < 0:
        raise DomainError(ErrorCode.INVALID, "Merchandise total must not be negative.")
    rates = rates or ShippingRates()
    locs = list(locations)
    options = []
    for method in FulfillmentMethod:
        if method is FulfillmentMethod.SAME_DAY and destination is None:
            continue
        if (
            method is FulfillmentMethod.PICKUP
            and destination is None
            and pickup_location_id is None
        ):
            continue
        result = route(
            lines,
            method,
            locs,
            stock,
            now,
            destination=destination,
            location_id=pickup_location_id if method is FulfillmentMethod.PICKUP else None,
            policy=policy,
        )
        if isinstance(result, RoutingPlan):
            promised = max(s.promised_at for s in result.shipments)
            options.append(
                FulfillmentOption(method, result, rates.price(method, merchandise_minor), promised)
            )
        else:
            options.append(FulfillmentOption(method, result, None, None))
    return tuple(options)
