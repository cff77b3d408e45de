"""Listing filters and their facet counts, Shopify-style. Pure: no I/O.

A shopper's filters are grouped by kind: values of one kind widen the list (vendor A OR
vendor B), kinds narrow it (vendor A AND size M AND price 20-50). Each facet counts the
products matching every *other* kind's filters, so picking vendor A still shows how many
products vendor B has.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from domain.errors import DomainError, ErrorCode
from domain.ids import to_global_id

MAX_FILTERS = 50
MAX_VALUE = Decimal(10) ** 10
MAX_RADIUS_KM = 500.0


@dataclass(frozen=True)
class NearPoint:
    """In stock at a pickup location within `radius_km` of (lat, lon)."""

    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class ProductFilter:
    """One filter as the client sent it: exactly one of the fields is set."""

    price_min: Decimal | None = None
    price_max: Decimal | None = None
    has_price: bool = False
    option_name: str | None = None
    option_value: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    tag: str | None = None
    available: bool | None = None
    available_at: uuid.UUID | None = None
    available_near: NearPoint | None = None


@dataclass(frozen=True)
class PriceRange:
    min: Decimal | None
    max: Decimal | None


@dataclass
class FilterSet:
    """The filters grouped by kind; an empty group does not filter."""

    vendors: list[str] = field(default_factory=list)
    product_types: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)
    price: PriceRange | None = None
    available: bool | None = None
    # Store availability, one kind: at any of these locations or near the point.
    available_at: list[uuid.UUID] = field(default_factory=list)
    available_near: NearPoint | None = None


def _count_set(f: ProductFilter) -> int:
    return sum(
        [
            f.has_price,
            f.option_name is not None or f.option_value is not None,
            f.vendor is not None,
            f.product_type is not None,
            f.tag is not None,
            f.available is not None,
            f.available_at is not None,
            f.available_near is not None,
        ]
    )


def group_filters(filters: Sequence[ProductFilter], path: list[str]) -> FilterSet:
    """Validate and group; INVALID (with the filter's index in `field`) on bad input."""
    if len(filters) > MAX_FILTERS:
        raise DomainError(ErrorCode.INVALID, f"At most {MAX_FILTERS} filters.", path)
    grouped = FilterSet()
    for i, f in enumerate(filters):
        where = [*path, str(i)]
        if _count_set(f) != 1:
            raise DomainError(
                ErrorCode.INVALID,
                "Each filter sets exactly one of price, variantOption, productVendor, "
                "productType, tag, available, availableAt, availableNear.",
                where,
            )
        if f.has_price:
            grouped.price = _price_range(f, grouped.price, where)
        elif f.option_name is not None or f.option_value is not None:
            name, value = (f.option_name or "").strip(), (f.option_value or "").strip()
            if not name or not value:
                raise DomainError(
                    ErrorCode.INVALID, "variantOption needs a name and a value.", where
                )
            values = grouped.options.setdefault(name, [])
            if value not in values:
                values.append(value)
        elif f.vendor is not None:
            _append(grouped.vendors, f.vendor, where)
        elif f.product_type is not None:
            _append(grouped.product_types, f.product_type, where)
        elif f.tag is not None:
            _append(grouped.tags, f.tag.lower(), where)
        elif f.available_at is not None:
            if f.available_at not in grouped.available_at:
                grouped.available_at.append(f.available_at)
        elif f.available_near is not None:
            grouped.available_near = _near(f.available_near, grouped.available_near, where)
        else:
            if grouped.available is not None and grouped.available != f.available:
                raise DomainError(
                    ErrorCode.INVALID, "`available` is given twice, differently.", where
                )
            grouped.available = f.available
    return grouped


def _near(point: NearPoint, before: NearPoint | None, where: list[str]) -> NearPoint:
    if before is not None:
        raise DomainError(ErrorCode.INVALID, "Give at most one availableNear filter.", where)
    field_at = [*where, "available_near"]
    if not (math.isfinite(point.lat) and -90 <= point.lat <= 90):
        raise DomainError(ErrorCode.INVALID, "lat is -90 to 90.", [*field_at, "lat"])
    if not (math.isfinite(point.lon) and -180 <= point.lon <= 180):
        raise DomainError(ErrorCode.INVALID, "lon is -180 to 180.", [*field_at, "lon"])
    if not (math.isfinite(point.radius_km) and 0 < point.radius_km <= MAX_RADIUS_KM):
        raise DomainError(
            ErrorCode.INVALID,
            f"radiusKm is above 0 and at most {MAX_RADIUS_KM:g}.",
            [*field_at, "radius_km"],
        )
    return point


def _append(values: list[str], value: str, where: list[str]) -> None:
    value = value.strip()
    if not value or len(value) > 255:
        raise DomainError(ErrorCode.INVALID, "A filter value is 1-255 characters.", where)
    if value not in values:
        values.append(value)


def _price_range(f: ProductFilter, before: PriceRange | None, where: list[str]) -> PriceRange:
    if before is not None:
        raise DomainError(ErrorCode.INVALID, "Give at most one price filter.", where)
    for bound, name in ((f.price_min, "min"), (f.price_max, "max")):
        if bound is not None and (not bound.is_finite() or not 0 <= bound <= MAX_VALUE):
            raise DomainError(
                ErrorCode.INVALID, f"Price {name} must be 0 or more.", [*where, "price", name]
            )
    if f.price_min is not None and f.price_max is not None and f.price_min > f.price_max:
        raise DomainError(
            ErrorCode.INVALID, "Price min is above price max.", [*where, "price", "min"]
        )
    return PriceRange(f.price_min, f.price_max)


# Facets --------------------------------------------------------------------------------

FACET_AVAILABLE = "filter.v.availability"
FACET_STORE = "filter.v.availability.store"
FACET_PRICE = "filter.v.price"
FACET_VENDOR = "filter.p.vendor"
FACET_TYPE = "filter.p.product_type"
FACET_TAG = "filter.p.tag"
FACET_OPTION = "filter.v.option."


@dataclass(frozen=True)
class FacetCount:
    """One row of the facet statement: which facet, which value, how many products."""

    facet: str
    value: str
    count: int
    option_name: str | None = None


@dataclass(frozen=True)
class FacetValue:
    label: str
    count: int
    input: str


@dataclass(frozen=True)
class Facet:
    id: str
    label: str
    type: str
    values: list[FacetValue]


def _input(value: dict[str, object]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def build_facets(
    rows: Iterable[FacetCount], price_min: Decimal | None, price_max: Decimal | None
) -> list[Facet]:
    """Facets in a fixed order (availability, stores, price, vendor, type, tags, options by
    name); values by count, then label. The price facet is one range value, the lowest to
    highest price among the products it counts. A store row has the location id as `value`
    and its name as `option_name`."""
    by_facet: dict[str, list[FacetCount]] = {}
    option_names: dict[str, str] = {}
    for row in rows:
        by_facet.setdefault(row.facet, []).append(row)
        if row.option_name is not None and row.facet.startswith(FACET_OPTION):
            option_names[row.facet] = row.option_name
    facets: list[Facet] = []
    available = {r.value: r.count for r in by_facet.get(FACET_AVAILABLE, [])}
    if available:
        facets.append(
            Facet(
                FACET_AVAILABLE,
                "Availability",
                "LIST",
                [
                    FacetValue("In stock", available.get("true", 0), _input({"available": True})),
                    FacetValue(
                        "Out of stock", available.get("false", 0), _input({"available": False})
                    ),
                ],
            )
        )
    stores = _sorted(by_facet.get(FACET_STORE, []))
    if stores:
        facets.append(
            Facet(
                FACET_STORE,
                "In stock at",
                "LIST",
                [
                    FacetValue(
                        r.option_name or r.value,
                        r.count,
                        _input({"availableAt": to_global_id("Location", uuid.UUID(r.value))}),
                    )
                    for r in stores
                ],
            )
        )
    priced = by_facet.get(FACET_PRICE, [])
    if price_min is not None and price_max is not None and priced:
        facets.append(
            Facet(
                FACET_PRICE,
                "Price",
                "PRICE_RANGE",
                [
                    FacetValue(
                        f"{price_min} - {price_max}",
                        priced[0].count,
                        _input({"price": {"min": str(price_min), "max": str(price_max)}}),
                    )
                ],
            )
        )
    for facet_id, label, key in (
        (FACET_VENDOR, "Vendor", "productVendor"),
        (FACET_TYPE, "Product type", "productType"),
        (FACET_TAG, "Tag", "tag"),
    ):
        values = _sorted(by_facet.get(facet_id, []))
        if values:
            facets.append(
                Facet(
                    facet_id,
                    label,
                    "LIST",
                    [FacetValue(r.value, r.count, _input({key: r.value})) for r in values],
                )
            )
    for facet_id in sorted(option_names, key=lambda f: option_names[f].lower()):
        name = option_names[facet_id]
        values = _sorted(by_facet[facet_id])
        facets.append(
            Facet(
                facet_id,
                name,
                "LIST",
                [
                    FacetValue(
                        r.value,
                        r.count,
                        _input({"variantOption": {"name": name, "value": r.value}}),
                    )
                    for r in values
                ],
            )
        )
    return facets


def _sorted(rows: list[FacetCount]) -> list[FacetCount]:
    return sorted(rows, key=lambda r: (-r.count, r.value.lower(), r.value))


def option_facet_id(name: str) -> str:
    return FACET_OPTION + name.lower().replace(" ", "_")
