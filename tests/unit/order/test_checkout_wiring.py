"""Pure parts of the checkout wiring: hours text, order pricing, risk signals, plan helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cart.discounts import DiscountDefinition
from domain.cart.pricing import DiscountKind
from domain.errors import DomainError, ErrorCode
from domain.inventory.models import ReservedLine
from domain.inventory.services import reserve_allocations
from domain.order.checkout_risk import (
    RiskHistory,
    address_key,
    card_fingerprint,
    postal_address,
    risk_signals,
)
from domain.order.checkout_routing import (
    destination_of,
    line_fields,
    preferred_plan,
    same_allocations,
    shipment_lines,
    stock_map,
)
from domain.order.fraud import PostalAddress, RiskDecision, assess_risk
from domain.order.hours_text import parse_opening_hours
from domain.order.options import FulfillmentOption
from domain.order.order_pricing import (
    OrderPricing,
    price_order,
    shipping_rates_for,
    tax_destination,
)
from domain.order.routing import (
    FulfillmentMethod,
    GeoPoint,
    RoutingLine,
    RoutingPlan,
    Shipment,
    Unroutable,
    UnroutableReason,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CHANNEL = uuid.uuid4()
A, B = uuid.UUID(int=1), uuid.UUID(int=2)


# -- opening hours text -------------------------------------------------------------------


def test_hours_text_ranges_single_days_and_midnight() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    hours = parse_opening_hours("Mo-Sa 09:00-20:00, Su 11:00-24:00", zone)
    assert hours is not None and hours.tz is zone
    assert hours.weekly[:6] == ((time(9), time(20)),) * 6
    assert hours.weekly[6] == (time(11), time.max)


def test_hours_text_wraps_overrides_and_leaves_other_days_closed() -> None:
    hours = parse_opening_hours("Fr-Mo 10:00-18:00; Sa 12:00-14:00", UTC)
    assert hours is not None
    assert hours.weekly == (
        (time(10), time(18)),
        None,
        None,
        None,
        (time(10), time(18)),
        (time(12), time(14)),  # the later group wins
        (time(10), time(18)),
    )


@pytest.mark.parametrize(
    "text",
    ["", "   ", "daily", "Xx 09:00-10:00", "Mo-Zz 09:00-10:00", "Mo 18:00-09:00", "Mo 25:00-26:00"],
)
def test_hours_text_empty_or_unreadable_is_always_open(text: str) -> None:
    assert parse_opening_hours(text, UTC) is None


# -- pricing ------------------------------------------------------------------------------


def _price(**overrides: object) -> OrderPricing:
    args: dict[str, object] = {
        "codes": [],
        "definitions": {},
        "now": NOW,
        "channel_id": CHANNEL,
        "currency_code": "EUR",
        "country_code": None,
        "province_code": None,
    }
    args.update(overrides)
    lines = args.pop("lines", [(2, 1999)])
    method = args.pop("method", FulfillmentMethod.SHIP)
    return price_order(lines, method, **args)  # type: ignore[arg-type]


def test_shipping_uses_the_cart_rate_table_and_its_free_threshold() -> None:
    rates = shipping_rates_for("EUR")
    assert rates.price(FulfillmentMethod.SHIP, 4999) == 495
    assert rates.price(FulfillmentMethod.SHIP_FROM_STORE, 4999) == 395
    assert rates.price(FulfillmentMethod.SHIP, 5000) == 0
    assert rates.price(FulfillmentMethod.SAME_DAY, 10**6) == 995
    # SEK has no SHIP_FROM_STORE rate: the default fee; an unknown currency: all defaults.
    assert shipping_rates_for("SEK").price(FulfillmentMethod.SHIP_FROM_STORE, 0) == 490
    assert shipping_rates_for("XXX").free_shipping_from_minor == 5_000


def test_tax_destination_prefers_the_address_country() -> None:
    assert tax_destination({"countryCode": " us ", "provinceCode": "ny"}, "NL", None) == (
        "US",
        "NY",
    )
    assert tax_destination({"countryCode": "DE", "provinceCode": ""}, "NL", "X") == ("DE", None)
    assert tax_destination({"city": "Paris"}, "FR", None) == ("FR", None)
    assert tax_destination(None, None, None) == (None, None)


def test_vat_inclusive_prices_add_no_tax() -> None:
    priced = _price(country_code="NL")
    assert priced.tax_minor == 0
    assert priced.total_minor == 3998 + 495
    assert [line.tax_minor for line in priced.lines] == [0]


def test_exclusive_tax_discount_and_free_shipping_code() -> None:
    definitions = {
        "TEN": DiscountDefinition("TEN", DiscountKind.PERCENTAGE, 1000, combinable=True),
        "SHIPFREE": DiscountDefinition("SHIPFREE", DiscountKind.FREE_SHIPPING, 0, combinable=True),
    }
    priced = _price(
        codes=["TEN", "SHIPFREE", "NOPE"],
        definitions=definitions,
        country_code="US",
        province_code="NY",
        lines=[(2, 1999), (1, 500)],
    )
    p = priced
    assert p.subtotal_minor == 4498 and p.discount_minor == 450
    assert p.shipping_minor == 0 and p.applied_codes == ("TEN", "SHIPFREE")
    assert p.tax_minor == 359  # 8.875% of 40.48
    assert p.total_minor == 4498 - 450 + 359
    assert sum(line.total_minor for line in p.lines) == p.total_minor


@given(
    st.lists(st.tuples(st.integers(1, 5), st.integers(0, 20_000)), min_size=1, max_size=5),
    st.sampled_from(list(FulfillmentMethod)),
    st.sampled_from([None, "US", "NL"]),
)
def test_total_is_subtotal_minus_discount_plus_tax_plus_shipping(
    lines: list[tuple[int, int]], method: FulfillmentMethod, country: str | None
) -> None:
    definitions = {"FIVE": DiscountDefinition("FIVE", DiscountKind.FIXED_AMOUNT, 500, "EUR")}
    p = _price(lines=lines, method=method, codes=["FIVE"], definitions=definitions,
               country_code=country)  # fmt: skip
    assert p.total_minor == (p.subtotal_minor - p.discount_minor + p.tax_minor + p.shipping_minor)
    assert sum(x.discount_minor for x in p.lines) == p.discount_minor
    assert sum(x.tax_minor for x in p.lines) <= p.tax_minor


# -- risk signals -------------------------------------------------------------------------


def test_address_key_normalizes_and_needs_a_street() -> None:
    a = {"line1": " Damrak  1 ", "postalCode": "1012 LG", "city": "Amsterdam", "countryCode": "nl"}
    b = {"line1": "damrak 1", "postalCode": "1012lg", "city": "AMSTERDAM", "countryCode": "NL"}
    assert address_key(a) == address_key(b) == "damrak 1|1012lg|amsterdam|nl"
    assert address_key({"city": "Amsterdam"}) is None and address_key(None) is None
    assert card_fingerprint("tok_visa") != card_fingerprint("tok_amex")
    assert "tok_visa" not in card_fingerprint("tok_visa")


def test_signals_carry_history_and_addresses_into_the_rules() -> None:
    assert postal_address({"countryCode": "DE", "postalCode": 10115}) == PostalAddress("DE", "")
    assert postal_address({"postalCode": "1"}) is None and postal_address(None) is None
    signals = risk_signals(
        RiskHistory(card_orders_recent=3),
        total_minor=120_000,
        now=NOW,
        billing={"countryCode": "DE"},
        shipping={"countryCode": "NL"},
    )
    assessed = assess_risk(signals)
    assert assessed.decision is RiskDecision.HOLD and assessed.score == 80


# -- plan helpers -------------------------------------------------------------------------


def test_destination_from_latitude_longitude() -> None:
    field = ["fulfillment", "address"]
    assert destination_of(None, field) is None
    assert destination_of({"city": "x"}, field) is None
    assert destination_of({"latitude": 52, "longitude": 4.9}, field) == GeoPoint(52.0, 4.9)
    for bad in ({"latitude": "52", "longitude": 4}, {"latitude": True, "longitude": 4},
                {"latitude": 52}, {"latitude": 91, "longitude": 0}):  # fmt: skip
        with pytest.raises(DomainError) as caught:
            destination_of(bad, field)
        assert caught.value.code is ErrorCode.INVALID and caught.value.field == field


def test_stock_map_counts_the_checkouts_own_hold() -> None:
    stock = stock_map(
        {A: {"X": 2}, B: {"Y": 0}}, [ReservedLine("X", A, 1), ReservedLine("Z", B, 3)]
    )
    assert stock == {("X", A): 3, ("Y", B): 0, ("Z", B): 3}


def test_same_allocations_ignores_order_and_splitting() -> None:
    one = [ReservedLine("X", A, 2), ReservedLine("Y", B, 1)]
    other = [ReservedLine("Y", B, 1), ReservedLine("X", A, 1), ReservedLine("X", A, 1)]
    assert same_allocations(one, other)
    assert not same_allocations(one, [ReservedLine("X", B, 2), ReservedLine("Y", B, 1)])


def test_shipment_lines_fill_cart_lines_in_order() -> None:
    shipment = Shipment(A, (RoutingLine("X", 3), RoutingLine("Y", 1)), None, NOW)
    remaining = {0: 2, 1: 1, 2: 4}
    assert shipment_lines(shipment, ["X", "Y", "X"], remaining) == [(0, 2), (2, 1), (1, 1)]
    assert remaining == {0: 0, 1: 0, 2: 3}
    assert line_fields(["X", "Y", "X"]) == {
        "X": ["cart", "lines", "0"],
        "Y": ["cart", "lines", "1"],
    }


def test_preferred_plan_is_the_chosen_store_else_the_first_available() -> None:
    def plan(method: FulfillmentMethod) -> FulfillmentOption:
        return FulfillmentOption(method, RoutingPlan(method, ()), 0, NOW)

    missing = FulfillmentOption(
        FulfillmentMethod.SHIP,
        Unroutable(FulfillmentMethod.SHIP, UnroutableReason.OUT_OF_STOCK, ()),
        None,
        None,
    )
    options = [missing, plan(FulfillmentMethod.PICKUP), plan(FulfillmentMethod.SAME_DAY)]
    chosen = preferred_plan(options, None)
    assert chosen is not None and chosen.method is FulfillmentMethod.SAME_DAY
    pinned = preferred_plan(options, A)
    assert pinned is not None and pinned.method is FulfillmentMethod.PICKUP
    assert preferred_plan([missing], A) is None


async def test_reserve_allocations_refuses_empty_or_non_positive_lines() -> None:
    for lines in ([], [ReservedLine("X", A, 0)]):
        with pytest.raises(DomainError) as caught:
            await reserve_allocations(None, lines, ttl_seconds=60)  # type: ignore[arg-type]
        assert caught.value.code is ErrorCode.INVALID
