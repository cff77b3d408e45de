"""Discount eligibility, stock warnings and tax/shipping configuration of carts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from domain.cart.discounts import DiscountDefinition, DiscountRejection, evaluate_codes
from domain.cart.models import CartLine, VariantOffer
from domain.cart.pricing import DiscountKind
from domain.cart.rates import FulfillmentMethod, shipping_rate, tax_rule
from domain.cart.view import CartWarningCode, build_view, stock_warnings
from domain.models import Cart

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CHANNEL = uuid.uuid4()


def evaluate(codes: list[str], *defs: DiscountDefinition, subtotal: int = 10_000) -> list[object]:
    results = evaluate_codes(
        codes,
        {d.code: d for d in defs},
        now=NOW,
        channel_id=CHANNEL,
        currency_code="EUR",
        subtotal_minor=subtotal,
    )
    return [r.rejection for r in results]


def pct(code: str, **kw: object) -> DiscountDefinition:
    return DiscountDefinition(code, DiscountKind.PERCENTAGE, 1000, **kw)  # type: ignore[arg-type]


def test_each_rejection_reason() -> None:
    hour = timedelta(hours=1)
    cases = {
        DiscountRejection.NOT_STARTED: pct("A", starts_at=NOW + hour),
        DiscountRejection.EXPIRED: pct("A", ends_at=NOW),
        DiscountRejection.CHANNEL_NOT_ELIGIBLE: pct("A", channel_ids=frozenset({uuid.uuid4()})),
        DiscountRejection.CURRENCY_NOT_ELIGIBLE: pct("A", currency_code="USD"),
        DiscountRejection.MINIMUM_SUBTOTAL_NOT_MET: pct("A", min_subtotal_minor=10_001),
        DiscountRejection.USAGE_LIMIT_REACHED: pct("A", usage_limit=3, times_used=3),
        DiscountRejection.CUSTOMER_USAGE_LIMIT_REACHED: pct(
            "A", usage_limit_per_customer=1, times_used_by_customer=1
        ),
    }
    for reason, definition in cases.items():
        assert evaluate(["A"], definition) == [reason]
    assert evaluate(["NOPE"]) == [DiscountRejection.NOT_FOUND]
    ok = pct(
        "A",
        starts_at=NOW - hour,
        ends_at=NOW + hour,
        channel_ids=frozenset({CHANNEL}),
        currency_code="EUR",
        min_subtotal_minor=10_000,
        usage_limit=3,
        times_used=2,
    )
    assert evaluate(["A"], ok) == [None]


def test_combinability() -> None:
    solo, other_solo = pct("SOLO"), pct("SOLO2")
    a, b = pct("A", combinable=True), pct("B", combinable=True)
    assert evaluate(["A", "B"], a, b) == [None, None]
    assert evaluate(["SOLO", "A"], solo, a) == [None, DiscountRejection.NOT_COMBINABLE]
    assert evaluate(["A", "SOLO"], solo, a) == [None, DiscountRejection.NOT_COMBINABLE]
    assert evaluate(["SOLO", "SOLO2"], solo, other_solo) == [
        None,
        DiscountRejection.NOT_COMBINABLE,
    ]
    # A rejected code does not block a later one.
    assert evaluate(["NOPE", "SOLO"], solo) == [DiscountRejection.NOT_FOUND, None]


def _priced(quantity: int, sku: str, **offer: object) -> tuple[CartLine, VariantOffer]:
    variant = uuid.uuid4()
    fields: dict[str, object] = {"product_active": True, "price_minor": 1000} | offer
    return (
        CartLine(uuid.uuid4(), uuid.uuid4(), variant, quantity),
        VariantOffer(variant, sku, **fields),  # type: ignore[arg-type]
    )


def test_stock_warnings_count_all_lines_of_a_sku() -> None:
    a1, a2, b, c, gone = (
        _priced(2, "A"),
        _priced(2, "A"),
        _priced(1, "B"),
        _priced(5, "C"),
        _priced(1, "D", price_minor=None),
    )
    warnings = stock_warnings([a1, a2, b, c, gone], {"A": 3, "B": 0, "C": 5, "D": 9})
    codes = {
        line.id: [(w.code, w.available_quantity) for w in ws]
        for line, ws in [
            (a1[0], warnings[a1[0].id]),
            (a2[0], warnings[a2[0].id]),
            (b[0], warnings[b[0].id]),
            (c[0], warnings[c[0].id]),
            (gone[0], warnings[gone[0].id]),
        ]
    }
    assert codes[a1[0].id] == [(CartWarningCode.NOT_ENOUGH_STOCK, 3)]
    assert codes[a2[0].id] == [(CartWarningCode.NOT_ENOUGH_STOCK, 3)]
    assert codes[b[0].id] == [(CartWarningCode.OUT_OF_STOCK, 0)]
    assert codes[c[0].id] == []
    assert codes[gone[0].id] == [(CartWarningCode.MERCHANDISE_UNAVAILABLE, None)]


def test_rates_configuration() -> None:
    assert tax_rule(None, None) is None
    assert tax_rule("US", "CA") is not None and tax_rule("US", "CA").rate_ppm == 72_500  # type: ignore[union-attr]
    assert tax_rule("US", "ZZ") == tax_rule("US", None)
    unknown = tax_rule("ZZ", None)
    assert unknown is not None and unknown.rate_ppm == 0 and not unknown.inclusive
    assert tax_rule("NL", None).inclusive  # type: ignore[union-attr]
    assert shipping_rate(FulfillmentMethod.PICKUP, "EUR").fee_minor == 0  # type: ignore[union-attr]
    assert shipping_rate(FulfillmentMethod.SAME_DAY, "JPY") is None


def test_view_prices_discounts_and_estimates() -> None:
    cart = Cart(
        uuid.uuid4(),
        CHANNEL,
        "EUR",
        None,
        NOW,
        discount_codes=["TEN", "NOPE"],
        buyer_country_code="NL",
    )
    line = _priced(2, "A", compare_at_minor=1500)
    view = build_view(cart, [line], {"A": 10}, {"TEN": pct("TEN")}, NOW)
    assert view.cost.subtotal_minor == 2000
    assert view.cost.discount_minor == 200
    assert [c.rejection for c in view.codes] == [None, DiscountRejection.NOT_FOUND]
    assert view.total_quantity == 2 and view.warnings == []
    by_method = {e.method: e.amount_minor for e in view.shipping_estimates}
    assert by_method[FulfillmentMethod.SHIP] == 495
    assert by_method[FulfillmentMethod.PICKUP] == 0
    assert view.cost.tax_minor is not None and view.cost.taxes_included
