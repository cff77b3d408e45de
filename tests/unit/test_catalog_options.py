"""Options from variants and variant selection (domain/catalog/options.py), without I/O."""

import uuid

import pytest

from domain.catalog.options import in_stock, product_options, variant_by_selected_options
from domain.errors import DomainError, ErrorCode
from domain.models import ProductVariant, SelectedOption

PRODUCT = uuid.uuid4()


def variant(sku: str, position: int, **options: str) -> ProductVariant:
    return ProductVariant(
        uuid.uuid4(),
        PRODUCT,
        sku,
        " / ".join(options.values()),
        [SelectedOption(k, v) for k, v in options.items()],
        position=position,
    )


VARIANTS = [
    variant("RED-S", 1, Colour="Red", Size="S"),
    variant("RED-M", 2, Colour="Red", Size="M"),
    variant("BLUE-M", 3, Colour="Blue", Size="M"),
]


def test_options_and_values_come_in_display_order_with_their_variants() -> None:
    options = product_options(list(reversed(VARIANTS)))
    assert [(o.name, [(v.value, v.skus) for v in o.values]) for o in options] == [
        ("Colour", [("Red", ("RED-S", "RED-M")), ("Blue", ("BLUE-M",))]),
        ("Size", [("S", ("RED-S",)), ("M", ("RED-M", "BLUE-M"))]),
    ]


def test_a_value_is_in_stock_when_any_of_its_variants_is() -> None:
    colour, size = product_options(VARIANTS)
    available = {"RED-S": 0, "RED-M": 2}
    assert [in_stock(v, available) for v in colour.values] == [True, False]
    assert [in_stock(v, available) for v in size.values] == [False, True]


def test_selecting_options_finds_the_variant_or_none() -> None:
    pick = [SelectedOption("Size", "M"), SelectedOption("Colour", "Blue")]
    assert variant_by_selected_options(VARIANTS, pick) is VARIANTS[2]
    absent = [SelectedOption("Size", "S"), SelectedOption("Colour", "Blue")]
    assert variant_by_selected_options(VARIANTS, absent) is None
    partial = [SelectedOption("Size", "M")]
    assert variant_by_selected_options(VARIANTS, partial) is None


@pytest.mark.parametrize(
    ("selected", "field"),
    [
        ([SelectedOption("Material", "Linen")], ["selected_options", "0", "name"]),
        (
            [SelectedOption("Size", "M"), SelectedOption("Size", "S")],
            ["selected_options", "1", "name"],
        ),
    ],
)
def test_unknown_or_repeated_option_names_are_typed_errors(
    selected: list[SelectedOption], field: list[object]
) -> None:
    with pytest.raises(DomainError) as caught:
        variant_by_selected_options(VARIANTS, selected)
    assert caught.value.code is ErrorCode.INVALID and caught.value.field == field
