"""A product's options (Size, Colour...) from its variants, and picking a variant by them.

Pure: the storefront's product page asks "which options and values are there, and which
are sold out?", then "which variant is Size = M, Colour = Red?".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.errors import DomainError, ErrorCode
from domain.models import ProductVariant, SelectedOption


@dataclass(frozen=True)
class OptionValue:
    value: str
    skus: tuple[str, ...]
    """The variants having this value, by SKU, in display order."""


@dataclass(frozen=True)
class ProductOption:
    name: str
    values: tuple[OptionValue, ...]


def product_options(variants: Sequence[ProductVariant]) -> list[ProductOption]:
    """Options in the order they first appear on the variants (by position), values likewise."""
    names: dict[str, dict[str, list[str]]] = {}
    for variant in sorted(variants, key=lambda v: v.position):
        for option in variant.options:
            names.setdefault(option.name, {}).setdefault(option.value, []).append(variant.sku)
    return [
        ProductOption(name, tuple(OptionValue(v, tuple(skus)) for v, skus in values.items()))
        for name, values in names.items()
    ]


def in_stock(value: OptionValue, available: Mapping[str, int]) -> bool:
    """Whether any variant with this value can be sold now (`available` units by SKU)."""
    return any(available.get(sku, 0) > 0 for sku in value.skus)


def variant_by_selected_options(
    variants: Sequence[ProductVariant], selected: Sequence[SelectedOption]
) -> ProductVariant | None:
    """The variant having exactly these option values; None when that combination is not made.

    An option name the product does not have, or the same name twice, is the caller's mistake
    and a typed error (not a silent null)."""
    options = {o.name: {v.value for v in o.values} for o in product_options(variants)}
    wanted: dict[str, str] = {}
    for index, option in enumerate(selected):
        if option.name not in options:
            raise DomainError(
                ErrorCode.INVALID,
                f"This product has no option {option.name!r}; it has "
                f"{', '.join(repr(n) for n in options) or 'none'}.",
                ["selected_options", str(index), "name"],
            )
        if option.name in wanted:
            raise DomainError(
                ErrorCode.INVALID,
                f"Option {option.name!r} is given twice.",
                ["selected_options", str(index), "name"],
            )
        wanted[option.name] = option.value
    for variant in sorted(variants, key=lambda v: v.position):
        have = {o.name: o.value for o in variant.options}
        if all(have.get(name) == value for name, value in wanted.items()) and len(wanted) == len(
            options
        ):
            return variant
    return None
