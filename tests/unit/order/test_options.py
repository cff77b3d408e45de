"""Checkout's fulfillment options: which methods apply, their prices and promises."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

import pytest

from domain.errors import DomainError
from domain.models import LocationKind
from domain.order.options import ShippingRates, fulfillment_options
from domain.order.routing import (
    FulfillmentMethod,
    GeoPoint,
    RoutingLine,
    RoutingLocation,
    Unroutable,
    UnroutableReason,
)

M = FulfillmentMethod
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
HOME = GeoPoint(48.85, 2.35)
WAREHOUSE = RoutingLocation(
    uuid.UUID(int=1), LocationKind.WAREHOUSE, GeoPoint(50.63, 3.06), ships=True
)
STORE = RoutingLocation(
    uuid.UUID(int=2),
    LocationKind.STORE,
    GeoPoint(48.86, 2.34),
    ships=True,
    pickup=True,
    same_day_radius_km=15,
    same_day_cutoff=time(16),
)
LINES = [RoutingLine("SKU-A", 2)]


def test_all_methods_with_prices_and_promises() -> None:
    stock = {("SKU-A", WAREHOUSE.id): 5, ("SKU-A", STORE.id): 2}
    options = fulfillment_options(LINES, 3_000, [WAREHOUSE, STORE], stock, NOW, destination=HOME)
    assert [o.method for o in options] == [M.SHIP, M.PICKUP, M.SHIP_FROM_STORE, M.SAME_DAY]
    assert all(o.available for o in options)
    assert [o.price_minor for o in options] == [490, 0, 490, 990]
    by_method = {o.method: o for o in options}
    assert by_method[M.SAME_DAY].promised_at is not None
    assert by_method[M.PICKUP].promised_at is not None
    assert by_method[M.SAME_DAY].promised_at < by_method[M.SHIP].promised_at  # type: ignore[operator]


def test_free_shipping_threshold_and_unavailable_methods_say_why() -> None:
    stock = {("SKU-A", WAREHOUSE.id): 5, ("SKU-A", STORE.id): 1}
    options = fulfillment_options(LINES, 5_000, [WAREHOUSE, STORE], stock, NOW, destination=HOME)
    by_method = {o.method: o for o in options}
    assert by_method[M.SHIP].price_minor == 0
    pickup = by_method[M.PICKUP]
    assert not pickup.available and pickup.price_minor is None and pickup.promised_at is None
    assert isinstance(pickup.result, Unroutable)
    assert pickup.result.reason is UnroutableReason.OUT_OF_STOCK
    assert [(x.sku, x.available) for x in pickup.result.lines] == [("SKU-A", 1)]
    never_free = ShippingRates(free_shipping_from_minor=None)
    assert never_free.price(M.SHIP, 10**9) == 490


def test_without_an_address_only_ship_and_a_chosen_pickup_store_apply() -> None:
    stock = {("SKU-A", WAREHOUSE.id): 5, ("SKU-A", STORE.id): 2}
    assert [o.method for o in fulfillment_options(LINES, 0, [WAREHOUSE, STORE], stock, NOW)] == [
        M.SHIP,
        M.SHIP_FROM_STORE,
    ]
    chosen = fulfillment_options(
        LINES, 0, [WAREHOUSE, STORE], stock, NOW, pickup_location_id=STORE.id
    )
    assert [o.method for o in chosen] == [M.SHIP, M.PICKUP, M.SHIP_FROM_STORE]
    with pytest.raises(DomainError):
        fulfillment_options(LINES, -1, [WAREHOUSE], stock, NOW)
