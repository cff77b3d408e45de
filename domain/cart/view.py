"""A cart as shown to a shopper: priced lines, discount code results, stock warnings."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.cart.discounts import CodeEvaluation, DiscountDefinition, evaluate_codes
from domain.cart.models import CartLine, VariantOffer
from domain.cart.pricing import CartCost, LineCost, LineToPrice, price_cart
from domain.cart.rates import FulfillmentMethod, shipping_rate, tax_rule
from domain.models import Cart


class CartWarningCode(StrEnum):
    OUT_OF_STOCK = "OUT_OF_STOCK"
    NOT_ENOUGH_STOCK = "NOT_ENOUGH_STOCK"
    MERCHANDISE_UNAVAILABLE = "MERCHANDISE_UNAVAILABLE"


@dataclass(frozen=True)
class CartWarning:
    code: CartWarningCode
    message: str
    line_id: uuid.UUID
    available_quantity: int | None = None


@dataclass(frozen=True)
class LineView:
    line: CartLine
    offer: VariantOffer
    line_cost: LineCost | None
    warnings: list[CartWarning]
    currency_code: str


@dataclass(frozen=True)
class ShippingEstimate:
    method: FulfillmentMethod
    amount_minor: int | None  # None: not offered in this currency


@dataclass(frozen=True)
class CartView:
    cart: Cart
    lines: list[LineView]
    cost: CartCost
    codes: list[CodeEvaluation]
    shipping_estimates: list[ShippingEstimate]

    @property
    def warnings(self) -> list[CartWarning]:
        return [w for line in self.lines for w in line.warnings]

    @property
    def total_quantity(self) -> int:
        return sum(line.line.quantity for line in self.lines)


def stock_warnings(
    priced: Sequence[tuple[CartLine, VariantOffer]], available_by_sku: Mapping[str, int]
) -> dict[uuid.UUID, list[CartWarning]]:
    """Compare what the cart asks for (all lines of a SKU together) with what is available."""
    wanted: dict[str, int] = defaultdict(int)
    for line, offer in priced:
        wanted[offer.sku] += line.quantity
    warnings: dict[uuid.UUID, list[CartWarning]] = {}
    for line, offer in priced:
        found: list[CartWarning] = []
        if not offer.product_active or offer.price_minor is None:
            found.append(
                CartWarning(
                    CartWarningCode.MERCHANDISE_UNAVAILABLE,
                    f"{offer.sku} is no longer for sale on this channel; it is not counted.",
                    line.id,
                )
            )
        available = available_by_sku.get(offer.sku, 0)
        if available <= 0:
            found.append(
                CartWarning(
                    CartWarningCode.OUT_OF_STOCK, f"{offer.sku} is out of stock.", line.id, 0
                )
            )
        elif available < wanted[offer.sku]:
            found.append(
                CartWarning(
                    CartWarningCode.NOT_ENOUGH_STOCK,
                    f"Only {available} of {offer.sku} available.",
                    line.id,
                    available,
                )
            )
        warnings[line.id] = found
    return warnings


def build_view(
    cart: Cart,
    priced: Sequence[tuple[CartLine, VariantOffer]],
    available_by_sku: Mapping[str, int],
    definitions: Mapping[str, DiscountDefinition],
    now: datetime,
) -> CartView:
    def sellable(offer: VariantOffer) -> bool:
        return offer.product_active and offer.price_minor is not None

    to_price = [
        LineToPrice(
            line.quantity,
            offer.price_minor if sellable(offer) else None,
            offer.compare_at_minor if sellable(offer) else None,
        )
        for line, offer in priced
    ]
    subtotal = price_cart(to_price).subtotal_minor
    codes = evaluate_codes(
        cart.discount_codes,
        definitions,
        now=now,
        channel_id=cart.channel_id,
        currency_code=cart.currency_code,
        subtotal_minor=subtotal,
    )
    applied = [c.applied for c in codes if c.applied is not None]
    tax = tax_rule(cart.buyer_country_code, cart.buyer_province_code)
    method = FulfillmentMethod(cart.fulfillment_method)
    cost = price_cart(to_price, applied, shipping_rate(method, cart.currency_code), tax)
    estimates = []
    for option in FulfillmentMethod:
        rate = shipping_rate(option, cart.currency_code)
        estimate = None
        if rate is not None:
            option_cost = price_cart(to_price, applied, rate)
            estimate = (option_cost.shipping_minor or 0) - option_cost.shipping_discount_minor
        estimates.append(ShippingEstimate(option, estimate))
    warnings = stock_warnings(priced, available_by_sku)
    lines = [
        LineView(line, offer, cost.lines[i], warnings[line.id], cart.currency_code)
        for i, (line, offer) in enumerate(priced)
    ]
    return CartView(cart, lines, cost, codes, estimates)
