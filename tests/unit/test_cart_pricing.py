"""Pricing rules of the cart: property tests over integer minor units."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.cart.pricing import (
    AppliedDiscount,
    DiscountKind,
    LineToPrice,
    ShippingRate,
    TaxRule,
    allocate,
    div_round_half_up,
    price_cart,
)

lines_st = st.lists(
    st.builds(
        LineToPrice,
        quantity=st.integers(1, 999),
        unit_price_minor=st.one_of(st.none(), st.integers(0, 1_000_000)),
        compare_at_minor=st.one_of(st.none(), st.integers(0, 1_000_000)),
    ),
    max_size=30,
)
discount_st = st.one_of(
    st.builds(
        AppliedDiscount,
        code=st.text("ABC", min_size=1, max_size=3),
        kind=st.just(DiscountKind.PERCENTAGE),
        value=st.integers(0, 10_000),
    ),
    st.builds(
        AppliedDiscount,
        code=st.text("XYZ", min_size=1, max_size=3),
        kind=st.just(DiscountKind.FIXED_AMOUNT),
        value=st.integers(0, 10_000_000),
    ),
    st.builds(
        AppliedDiscount,
        code=st.just("SHIPFREE"),
        kind=st.just(DiscountKind.FREE_SHIPPING),
        value=st.just(0),
    ),
)
discounts_st = st.lists(discount_st, max_size=4, unique_by=lambda d: d.code)
shipping_st = st.one_of(
    st.none(),
    st.builds(
        ShippingRate,
        fee_minor=st.integers(0, 5_000),
        free_over_minor=st.one_of(st.none(), st.integers(0, 100_000)),
    ),
)
tax_st = st.one_of(
    st.none(), st.builds(TaxRule, rate_ppm=st.integers(0, 300_000), inclusive=st.booleans())
)


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), max_size=50))
def test_allocation_conserves_every_cent(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    if sum(weights) == 0:
        assert parts == [0] * len(weights)
        return
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    if total <= sum(weights):
        assert all(p <= w for p, w in zip(parts, weights, strict=True))
    # Each part is within one cent of its exact share.
    for p, w in zip(parts, weights, strict=True):
        assert abs(p * sum(weights) - total * w) < sum(weights)


def test_allocation_splits_a_cent_deterministically() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(1, [5, 5]) == [1, 0]
    assert allocate(10, [0, 0]) == [0, 0]


def test_round_half_up() -> None:
    assert div_round_half_up(5, 10) == 1
    assert div_round_half_up(4, 10) == 0
    assert div_round_half_up(15, 10) == 2


@given(lines_st, discounts_st, shipping_st, tax_st)
def test_totals_are_the_sum_of_their_parts(
    lines: list[LineToPrice],
    discounts: list[AppliedDiscount],
    shipping: ShippingRate | None,
    tax: TaxRule | None,
) -> None:
    cost = price_cart(lines, discounts, shipping, tax)
    priced = [c for c in cost.lines if c is not None]
    # Lines not for sale are not counted.
    assert len(priced) == sum(1 for line in lines if line.unit_price_minor is not None)
    assert cost.subtotal_minor == sum(c.subtotal_minor for c in priced)
    assert cost.discount_minor == sum(c.discount_minor for c in priced)
    assert cost.compare_at_subtotal_minor >= cost.subtotal_minor
    shipping_net = (cost.shipping_minor or 0) - cost.shipping_discount_minor
    exclusive_tax = 0 if tax is None or tax.inclusive else (cost.tax_minor or 0)
    assert cost.total_minor == (
        cost.subtotal_minor - cost.discount_minor + shipping_net + exclusive_tax
    )
    assert cost.total_minor == sum(c.total_minor for c in priced) + shipping_net + (
        cost.shipping_tax_minor if exclusive_tax else 0
    )
    if tax is None:
        assert cost.tax_minor is None and not cost.taxes_included
    else:
        assert sum(c.tax_minor for c in priced) + cost.shipping_tax_minor == cost.tax_minor
    for line, c in zip(lines, cost.lines, strict=True):
        if c is not None:
            assert c.subtotal_minor == line.quantity * c.unit_price_minor


@given(lines_st, discounts_st, shipping_st, tax_st)
def test_no_negative_amounts_and_discounts_never_exceed_the_subtotal(
    lines: list[LineToPrice],
    discounts: list[AppliedDiscount],
    shipping: ShippingRate | None,
    tax: TaxRule | None,
) -> None:
    cost = price_cart(lines, discounts, shipping, tax)
    assert 0 <= cost.discount_minor <= cost.subtotal_minor
    assert 0 <= cost.shipping_discount_minor <= (cost.shipping_minor or 0)
    assert cost.total_minor >= 0 and (cost.tax_minor or 0) >= 0
    assert cost.shipping_tax_minor >= 0
    for c in cost.lines:
        if c is not None:
            assert 0 <= c.discount_minor <= c.subtotal_minor
            assert c.tax_minor >= 0 and c.total_minor >= 0
    assert sum(cost.discount_by_code.values()) == (
        cost.discount_minor + cost.shipping_discount_minor
    )


def test_known_cart() -> None:
    """Three lines of 10.00, 10% off, shipping 4.95 free over 50, NL VAT 21% included."""
    lines = [LineToPrice(1, 1000), LineToPrice(1, 1000), LineToPrice(1, 1000, 1500)]
    cost = price_cart(
        lines,
        [AppliedDiscount("TEN", DiscountKind.PERCENTAGE, 1000)],
        ShippingRate(495, free_over_minor=5000),
        TaxRule(210_000, inclusive=True),
    )
    assert cost.subtotal_minor == 3000
    assert cost.compare_at_subtotal_minor == 3500
    assert cost.discount_minor == 300
    assert [c.discount_minor for c in cost.lines if c] == [100, 100, 100]
    assert cost.shipping_minor == 495
    # (2700 + 495) * 21 / 121 = 554.50 -> 555 (half up)
    assert cost.tax_minor == 555 and cost.taxes_included
    assert cost.total_minor == 2700 + 495


def test_exclusive_tax_and_free_shipping() -> None:
    cost = price_cart(
        [LineToPrice(3, 333)],
        [AppliedDiscount("SHIP", DiscountKind.FREE_SHIPPING, 0)],
        ShippingRate(595),
        TaxRule(88_750, inclusive=False),
    )
    assert cost.shipping_minor == 595 and cost.shipping_discount_minor == 595
    assert cost.tax_minor == 89  # 999 * 8.875% = 88.66
    assert cost.total_minor == 999 + 89
    assert cost.discount_by_code == {"SHIP": 595}


def test_sequential_discounts_take_from_what_is_left() -> None:
    cost = price_cart(
        [LineToPrice(1, 1000)],
        [
            AppliedDiscount("FIVE", DiscountKind.FIXED_AMOUNT, 500),
            AppliedDiscount("HALF", DiscountKind.PERCENTAGE, 5000),
            AppliedDiscount("BIG", DiscountKind.FIXED_AMOUNT, 10_000),
        ],
    )
    assert cost.discount_by_code == {"FIVE": 500, "HALF": 250, "BIG": 250}
    assert cost.total_minor == 0
