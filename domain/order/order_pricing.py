"""The money of an order at checkout: the cart's own pricing plus the method's shipping.

Nothing here re-implements pricing: discount codes are evaluated by
`domain.cart.discounts.evaluate_codes`, amounts split by
`domain.cart.pricing.price_cart` (order discounts, free-shipping codes, tax on
the discounted amounts and shipping), tax rates come from
`domain.cart.rates.tax_rule`. Shipping is `ShippingRates.price` of the method
(options.py), with the fees of the cart's rate table for the currency, so the
cart's shipping estimate and the checkout's charge agree.

Stored amounts (orders.*_minor, order_lines.*_minor) follow
the order line (`order_parts.OrderLine`): line total = price - discount + tax, order total =
subtotal - discount + tax + shipping. `tax` is the tax *added* to prices
(exclusive rules, e.g. US sales tax); where prices include tax (EU VAT) it is
0 and the tax stays inside the prices.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.cart.discounts import CodeEvaluation, DiscountDefinition, evaluate_codes
from domain.cart.pricing import LineToPrice, ShippingRate, price_cart
from domain.cart.rates import FulfillmentMethod as CartMethod
from domain.cart.rates import shipping_rate, tax_rule
from domain.order.options import ShippingRates
from domain.order.routing import FulfillmentMethod


@dataclass(frozen=True)
class LinePrice:
    discount_minor: int
    tax_minor: int  # added tax only
    total_minor: int  # price - discount + tax


@dataclass(frozen=True)
class OrderPricing:
    subtotal_minor: int
    discount_minor: int  # merchandise discounts (a free-shipping code lowers `shipping`)
    tax_minor: int  # added tax, on lines and shipping
    shipping_minor: int  # what the buyer pays for shipping
    total_minor: int
    lines: tuple[LinePrice, ...]
    applied_codes: tuple[str, ...]


def shipping_rates_for(currency_code: str) -> ShippingRates:
    """ShippingRates with the cart rate table's fees for this currency.

    A method the table does not price in this currency keeps the default fee of
    ShippingRates; the free-shipping threshold is the SHIP rate's."""
    defaults = ShippingRates()
    fees = dict(defaults.fees_minor)
    for method in FulfillmentMethod:
        rate = shipping_rate(CartMethod(method.value), currency_code)
        if rate is not None:
            fees[method] = rate.fee_minor
    ship = shipping_rate(CartMethod.SHIP, currency_code)
    free = ship.free_over_minor if ship is not None else defaults.free_shipping_from_minor
    return ShippingRates(fees_minor=fees, free_shipping_from_minor=free)


def tax_destination(
    address: Mapping[str, Any] | None, country: str | None, province: str | None
) -> tuple[str | None, str | None]:
    """The address's countryCode/provinceCode when given, else the cart buyer's."""
    if address:
        code = address.get("countryCode")
        if isinstance(code, str) and code.strip():
            region = address.get("provinceCode")
            return code.strip().upper(), (
                region.strip().upper() if isinstance(region, str) and region.strip() else None
            )
    return country, province


def price_order(
    lines: Sequence[tuple[int, int]],
    method: FulfillmentMethod,
    *,
    codes: Sequence[str],
    definitions: Mapping[str, DiscountDefinition],
    now: datetime,
    channel_id: uuid.UUID,
    currency_code: str,
    country_code: str | None,
    province_code: str | None,
) -> OrderPricing:
    """`lines` are (quantity, unit price) in cart order."""
    to_price = [LineToPrice(quantity, unit) for quantity, unit in lines]
    subtotal = price_cart(to_price).subtotal_minor
    evaluations: list[CodeEvaluation] = evaluate_codes(
        codes,
        definitions,
        now=now,
        channel_id=channel_id,
        currency_code=currency_code,
        subtotal_minor=subtotal,
    )
    applied = [e.applied for e in evaluations if e.applied is not None]
    merchandise = price_cart(to_price, applied)
    fee = shipping_rates_for(currency_code).price(
        method, merchandise.subtotal_minor - merchandise.discount_minor
    )
    tax = tax_rule(country_code, province_code)
    cost = price_cart(to_price, applied, ShippingRate(fee), tax)
    added_tax = tax is not None and not tax.inclusive
    priced = []
    for line_cost in cost.lines:
        assert line_cost is not None  # every checkout line has a price
        line_tax = line_cost.tax_minor if added_tax else 0
        priced.append(
            LinePrice(
                line_cost.discount_minor,
                line_tax,
                line_cost.subtotal_minor - line_cost.discount_minor + line_tax,
            )
        )
    shipping = (cost.shipping_minor or 0) - cost.shipping_discount_minor
    order_tax = (cost.tax_minor or 0) if added_tax else 0
    return OrderPricing(
        subtotal_minor=cost.subtotal_minor,
        discount_minor=cost.discount_minor,
        tax_minor=order_tax,
        shipping_minor=shipping,
        total_minor=cost.total_minor,
        lines=tuple(priced),
        applied_codes=tuple(a.code for a in applied),
    )
