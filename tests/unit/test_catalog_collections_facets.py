"""Collections and facets in the domain (domain/catalog/collections.py, facets.py), no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.catalog import facets
from domain.catalog.collections import (
    Collection,
    CollectionDraft,
    CollectionRule,
    RuleField,
    RuleRelation,
    breadcrumbs,
    check_parent,
    check_product_ids,
    clean_draft,
    validate_rules,
)
from domain.catalog.facets import FacetCount, ProductFilter, build_facets, group_filters
from domain.catalog.models import ProductSortKey
from domain.errors import DomainError, ErrorCode


def _collection(handle: str, parent: Collection | None = None) -> Collection:
    return Collection(
        uuid.uuid4(), handle, handle.title(), "", parent.id if parent else None, [],
        ProductSortKey.MANUAL, False, 0, None, None, None, None, datetime.now(UTC),
    )  # fmt: skip


def test_rules_are_cleaned_and_checked() -> None:
    rules = validate_rules(
        [
            CollectionRule(RuleField.TAG, RuleRelation.EQUALS, " Summer "),
            CollectionRule(RuleField.PRICE, RuleRelation.LESS_THAN, "50"),
            CollectionRule(RuleField.VENDOR, RuleRelation.NOT_EQUALS, "Noord"),
        ],
        ["input", "rules"],
    )
    assert [r.value for r in rules] == ["summer", "50", "Noord"]
    for bad in (
        CollectionRule(RuleField.TAG, RuleRelation.GREATER_THAN, "x"),
        CollectionRule(RuleField.PRICE, RuleRelation.LESS_THAN, "NaN"),
        CollectionRule(RuleField.PRICE, RuleRelation.LESS_THAN, "-1"),
        CollectionRule(RuleField.VENDOR, RuleRelation.EQUALS, " "),
    ):
        with pytest.raises(DomainError) as caught:
            validate_rules([bad], ["input", "rules"])
        assert caught.value.field == ["input", "rules", "0"]


def test_nesting_refuses_cycles_and_deep_trees() -> None:
    me, parent = uuid.uuid4(), uuid.uuid4()
    check_parent(me, parent, [parent], ["parentId"])
    check_parent(me, None, [], ["parentId"])
    with pytest.raises(DomainError):
        check_parent(me, me, [me], ["parentId"])
    with pytest.raises(DomainError):
        check_parent(me, parent, [parent, me], ["parentId"])  # parent is my descendant
    with pytest.raises(DomainError):
        check_parent(None, parent, [uuid.uuid4() for _ in range(6)], ["parentId"])


def test_breadcrumbs_run_root_first_and_stop_at_a_hidden_ancestor() -> None:
    root = _collection("clothing")
    middle = _collection("summer", root)
    leaf = _collection("hats", middle)
    by_id = {c.id: c for c in (root, middle)}
    assert [c.handle for c in breadcrumbs(leaf, by_id)] == ["clothing", "summer", "hats"]
    assert [c.handle for c in breadcrumbs(leaf, {middle.id: middle})] == ["summer", "hats"]


def test_draft_cleaning() -> None:
    changes = clean_draft(CollectionDraft(handle="summer", title=" Summer ", position=3))
    assert changes == {"handle": "summer", "title": "Summer", "position": 3}
    assert clean_draft(CollectionDraft(clear_parent=True)) == {"parent_id": None}
    for draft in (
        CollectionDraft(handle="Bad Handle"),
        CollectionDraft(sort_key=ProductSortKey.RELEVANCE),
        CollectionDraft(position=-1),
        CollectionDraft(image_url="ftp://x"),
    ):
        with pytest.raises(DomainError):
            clean_draft(draft)
    with pytest.raises(DomainError):
        check_product_ids([], ["productIds"])
    one = uuid.uuid4()
    assert check_product_ids([one, one], ["productIds"]) == [one]


def test_filters_group_by_kind() -> None:
    grouped = group_filters(
        [
            ProductFilter(vendor="Noord"),
            ProductFilter(vendor="Noord"),
            ProductFilter(vendor="Amstel"),
            ProductFilter(tag="Summer"),
            ProductFilter(option_name="Size", option_value="M"),
            ProductFilter(option_name="Size", option_value="L"),
            ProductFilter(has_price=True, price_min=Decimal("10")),
            ProductFilter(available=True),
        ],
        ["filters"],
    )
    assert grouped.vendors == ["Noord", "Amstel"] and grouped.tags == ["summer"]
    assert grouped.options == {"Size": ["M", "L"]}
    assert grouped.price == facets.PriceRange(Decimal("10"), None)
    assert grouped.available is True


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ([ProductFilter()], ["filters", "0"]),
        ([ProductFilter(vendor="a", tag="b")], ["filters", "0"]),
        (
            [ProductFilter(has_price=True, price_min=Decimal(5), price_max=Decimal(1))],
            ["filters", "0", "price", "min"],
        ),
        (
            [ProductFilter(has_price=True, price_max=Decimal("Infinity"))],
            ["filters", "0", "price", "max"],
        ),
        ([ProductFilter(available=True), ProductFilter(available=False)], ["filters", "1"]),
        ([ProductFilter(option_name="Size")], ["filters", "0"]),
    ],
)
def test_bad_filters_name_the_filter(filters: list[ProductFilter], field: list[str]) -> None:
    with pytest.raises(DomainError) as caught:
        group_filters(filters, ["filters"])
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, field)


def test_facets_are_ordered_with_ready_inputs() -> None:
    rows = [
        FacetCount(facets.FACET_VENDOR, "b", 1),
        FacetCount(facets.FACET_VENDOR, "a", 1),
        FacetCount(facets.FACET_VENDOR, "c", 5),
        FacetCount(facets.FACET_AVAILABLE, "true", 3),
        FacetCount(facets.FACET_PRICE, "", 7),
        FacetCount(facets.option_facet_id("Size"), "M", 2, "Size"),
    ]
    built = build_facets(rows, Decimal("1.50"), Decimal("20"))
    assert [f.id for f in built] == [
        facets.FACET_AVAILABLE, facets.FACET_PRICE, facets.FACET_VENDOR, "filter.v.option.size",
    ]  # fmt: skip
    assert [(v.label, v.count) for v in built[0].values] == [("In stock", 3), ("Out of stock", 0)]
    assert built[1].values[0].input == '{"price":{"min":"1.50","max":"20"}}'
    assert [v.label for v in built[2].values] == ["c", "a", "b"]
    assert built[3].values[0].input == '{"variantOption":{"name":"Size","value":"M"}}'
    assert build_facets([], None, None) == []
