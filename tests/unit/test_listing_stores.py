"""Store availability filters and facet (issue 15 item 3): at a location, near a point."""

from __future__ import annotations

import json
import uuid

import pytest

from domain.catalog.facets import (
    FACET_STORE,
    FacetCount,
    NearPoint,
    ProductFilter,
    build_facets,
    group_filters,
)
from domain.errors import DomainError, ErrorCode

DAM, ZUID = uuid.UUID(int=1), uuid.UUID(int=2)


def test_store_filters_are_one_kind_of_several_locations_and_one_point() -> None:
    grouped = group_filters(
        [
            ProductFilter(available_at=DAM),
            ProductFilter(available_at=ZUID),
            ProductFilter(available_at=DAM),
            ProductFilter(available_near=NearPoint(52.37, 4.89, 3)),
        ],
        ["filters"],
    )
    assert grouped.available_at == [DAM, ZUID]
    assert grouped.available_near == NearPoint(52.37, 4.89, 3)


@pytest.mark.parametrize(
    ("near", "field"),
    [
        (NearPoint(91, 0, 1), "lat"),
        (NearPoint(float("nan"), 0, 1), "lat"),
        (NearPoint(0, -181, 1), "lon"),
        (NearPoint(0, 0, 0), "radius_km"),
        (NearPoint(0, 0, 501), "radius_km"),
    ],
)
def test_a_bad_point_is_invalid_on_its_field(near: NearPoint, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        group_filters([ProductFilter(available_near=near)], ["filters"])
    assert caught.value.code is ErrorCode.INVALID
    assert caught.value.field == ["filters", "0", "available_near", field]


def test_two_points_or_two_fields_in_one_filter_are_refused() -> None:
    near = NearPoint(52.37, 4.89, 3)
    with pytest.raises(DomainError) as twice:
        group_filters(
            [ProductFilter(available_near=near), ProductFilter(available_near=near)], ["f"]
        )
    assert twice.value.field == ["f", "1"]
    with pytest.raises(DomainError) as both:
        group_filters([ProductFilter(available_at=DAM, available_near=near)], ["f"])
    assert both.value.field == ["f", "0"]


def test_the_store_facet_names_each_store_and_selects_it_by_id() -> None:
    rows = [
        FacetCount(FACET_STORE, str(ZUID), 3, "Zuidas store"),
        FacetCount(FACET_STORE, str(DAM), 7, "Dam Square store"),
    ]
    (facet,) = build_facets(rows, None, None)
    assert (facet.id, facet.label) == (FACET_STORE, "In stock at")
    assert [(v.label, v.count) for v in facet.values] == [
        ("Dam Square store", 7),
        ("Zuidas store", 3),
    ]
    assert json.loads(facet.values[0].input) == {"availableAt": f"gid://ucg/Location/{DAM}"}
