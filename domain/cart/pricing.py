"""Cart pricing: pure functions over integer minor units.

Order of operations (docs/CART.md): line subtotals -> order discounts (in the
order the codes were applied, each on what is left) -> shipping (free-shipping
codes, free-over thresholds) -> tax on the discounted amounts and shipping.
Every cart-level amount that is split over lines (discounts, tax) is split by
largest remainder, so the parts always add up to the whole, to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

PPM = 1_000_000  # tax rates are parts per million: 19% = 190_000
BASIS_POINTS = 10_000  # percentage discounts: 10% = 1_000


class DiscountKind(StrEnum):
    PERCENTAGE = "PERCENTAGE"
    FIXED_AMOUNT = "FIXED_AMOUNT"
    FREE_SHIPPING = "FREE_SHIPPING"


def div_round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both non-negative, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` in proportion, by largest remainder.

    The parts sum to `total` exactly; when total <= sum(weights) no part exceeds
    its weight. Ties go to the earlier weight, so the result is deterministic.
    """
    whole = sum(weights)
    if whole == 0 or total == 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    short = total - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:short]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class LineToPrice:
    """One cart line as pricing sees it; unit_price None means not for sale now."""

    quantity: int
    unit_price_minor: int | None
    compare_at_minor: int | None = None


@dataclass(frozen=True)
class AppliedDiscount:
    """A discount code that passed eligibility (see discounts.py)."""

    code: str
    kind: DiscountKind
    value: int  # basis points for PERCENTAGE, minor units for FIXED_AMOUNT


@dataclass(frozen=True)
class TaxRule:
    """A configured tax rate for a destination."""

    rate_ppm: int
    inclusive: bool


@dataclass(frozen=True)
class ShippingRate:
    """Flat fee for a fulfillment method, free from a merchandise amount on."""

    fee_minor: int
    free_over_minor: int | None = None


@dataclass(frozen=True)
class LineCost:
    unit_price_minor: int
    compare_at_unit_minor: int | None
    subtotal_minor: int  # unit price x quantity
    discount_minor: int  # this line's share of the order discounts
    tax_minor: int  # this line's share of the tax (0 when the destination is unknown)
    total_minor: int  # subtotal - discount (+ tax when taxes are exclusive)


@dataclass(frozen=True)
class CartCost:
    subtotal_minor: int
    compare_at_subtotal_minor: int
    discount_minor: int
    shipping_minor: int | None  # before shipping discounts; None: method not offered
    shipping_discount_minor: int
    tax_minor: int | None  # None: destination unknown, no estimate
    taxes_included: bool
    total_minor: int
    lines: list[LineCost | None]  # None for a line that is not for sale
    discount_by_code: dict[str, int] = field(default_factory=dict)

    @property
    def shipping_tax_minor(self) -> int:
        return (self.tax_minor or 0) - sum(line.tax_minor for line in self.lines if line)


def _order_discounts(subtotal: int, discounts: Sequence[AppliedDiscount]) -> dict[str, int]:
    """Each order discount takes its share of what the previous ones left."""
    remaining = subtotal
    amounts: dict[str, int] = {}
    for d in discounts:
        if d.kind is DiscountKind.PERCENTAGE:
            amount = min(remaining, div_round_half_up(remaining * d.value, BASIS_POINTS))
        elif d.kind is DiscountKind.FIXED_AMOUNT:
            amount = min(remaining, d.value)
        else:
            continue
        amounts[d.code] = amount
        remaining -= amount
    return amounts


def price_cart(
    lines: Sequence[LineToPrice],
    discounts: Sequence[AppliedDiscount] = (),
    shipping: ShippingRate | None = None,
    tax: TaxRule | None = None,
) -> CartCost:
    sellable = [i for i, line in enumerate(lines) if line.unit_price_minor is not None]
    subtotals = [lines[i].quantity * (lines[i].unit_price_minor or 0) for i in sellable]
    compare_at = [
        lines[i].quantity * max(lines[i].compare_at_minor or 0, lines[i].unit_price_minor or 0)
        for i in sellable
    ]
    subtotal = sum(subtotals)

    discount_by_code = _order_discounts(subtotal, discounts)
    discount = sum(discount_by_code.values())
    line_discounts = allocate(discount, subtotals)
    discounted = [s - d for s, d in zip(subtotals, line_discounts, strict=True)]
    merchandise = subtotal - discount

    shipping_fee: int | None = None
    shipping_discount = 0
    if shipping is not None:
        free = shipping.free_over_minor is not None and merchandise >= shipping.free_over_minor
        shipping_fee = 0 if free else shipping.fee_minor
        if any(d.kind is DiscountKind.FREE_SHIPPING for d in discounts):
            shipping_discount = shipping_fee
            for d in discounts:
                if d.kind is DiscountKind.FREE_SHIPPING:
                    discount_by_code[d.code] = shipping_fee
                    break
    shipping_net = (shipping_fee or 0) - shipping_discount

    tax_total: int | None = None
    line_taxes = [0] * len(sellable)
    if tax is not None:
        base = merchandise + shipping_net
        if tax.inclusive:
            tax_total = div_round_half_up(base * tax.rate_ppm, PPM + tax.rate_ppm)
        else:
            tax_total = div_round_half_up(base * tax.rate_ppm, PPM)
        line_taxes = allocate(tax_total, [*discounted, shipping_net])[:-1]
    exclusive_tax = tax_total if tax is not None and not tax.inclusive else None

    costs: list[LineCost | None] = [None] * len(lines)
    for k, i in enumerate(sellable):
        line = lines[i]
        costs[i] = LineCost(
            unit_price_minor=line.unit_price_minor or 0,
            compare_at_unit_minor=line.compare_at_minor,
            subtotal_minor=subtotals[k],
            discount_minor=line_discounts[k],
            tax_minor=line_taxes[k],
            total_minor=discounted[k] + (line_taxes[k] if exclusive_tax is not None else 0),
        )
    return CartCost(
        subtotal_minor=subtotal,
        compare_at_subtotal_minor=sum(compare_at),
        discount_minor=discount,
        shipping_minor=shipping_fee,
        shipping_discount_minor=shipping_discount,
        tax_minor=tax_total,
        taxes_included=tax is not None and tax.inclusive,
        total_minor=merchandise + shipping_net + (exclusive_tax or 0),
        lines=costs,
        discount_by_code=discount_by_code,
    )
