"""Configured tax rates and shipping rates (defaults in code; see docs/CART.md)."""

from __future__ import annotations

from enum import StrEnum

from domain.cart.pricing import ShippingRate, TaxRule


class FulfillmentMethod(StrEnum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"
    SHIP_FROM_STORE = "SHIP_FROM_STORE"
    SAME_DAY = "SAME_DAY"


# (country, region or None) -> rule. Region rules win over the country rule.
# EU and UK prices include VAT; North American prices exclude sales tax.
TAX_RULES: dict[tuple[str, str | None], TaxRule] = {
    ("NL", None): TaxRule(210_000, inclusive=True),
    ("DE", None): TaxRule(190_000, inclusive=True),
    ("FR", None): TaxRule(200_000, inclusive=True),
    ("BE", None): TaxRule(210_000, inclusive=True),
    ("SE", None): TaxRule(250_000, inclusive=True),
    ("GB", None): TaxRule(200_000, inclusive=True),
    ("US", None): TaxRule(0, inclusive=False),
    ("US", "CA"): TaxRule(72_500, inclusive=False),
    ("US", "NY"): TaxRule(88_750, inclusive=False),
    ("CA", None): TaxRule(50_000, inclusive=False),
    ("CA", "ON"): TaxRule(130_000, inclusive=False),
}

# method -> currency -> rate. A currency missing here means the method is not offered.
SHIPPING_RATES: dict[FulfillmentMethod, dict[str, ShippingRate]] = {
    FulfillmentMethod.SHIP: {
        "EUR": ShippingRate(495, free_over_minor=5000),
        "USD": ShippingRate(595, free_over_minor=7500),
        "GBP": ShippingRate(450, free_over_minor=5000),
        "SEK": ShippingRate(4900, free_over_minor=50000),
    },
    FulfillmentMethod.PICKUP: {
        "EUR": ShippingRate(0),
        "USD": ShippingRate(0),
        "GBP": ShippingRate(0),
        "SEK": ShippingRate(0),
    },
    FulfillmentMethod.SHIP_FROM_STORE: {
        "EUR": ShippingRate(395, free_over_minor=5000),
        "USD": ShippingRate(495, free_over_minor=7500),
        "GBP": ShippingRate(395, free_over_minor=5000),
    },
    FulfillmentMethod.SAME_DAY: {
        "EUR": ShippingRate(995),
        "USD": ShippingRate(1295),
        "GBP": ShippingRate(895),
    },
}


def tax_rule(country_code: str | None, province_code: str | None) -> TaxRule | None:
    """The rule for a destination; None when the country is unknown (no estimate yet).

    A country with no configured rule is taxed at 0%, exclusive.
    """
    if country_code is None:
        return None
    if province_code is not None and (country_code, province_code) in TAX_RULES:
        return TAX_RULES[(country_code, province_code)]
    return TAX_RULES.get((country_code, None), TaxRule(0, inclusive=False))


def shipping_rate(method: FulfillmentMethod, currency_code: str) -> ShippingRate | None:
    return SHIPPING_RATES[method].get(currency_code)
