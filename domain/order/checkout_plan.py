"""Checkout's plan and price: route the chosen method, take exactly its stock, price it.

Helpers of the use-cases in checkout.py (see checkout_routing.py for the rules).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.inventory.models import Reservation, ReservationStatus
from domain.inventory.services import commit_reservation, release_reservation
from domain.models import Cart
from domain.order.checkout_routing import (
    allocations,
    destination_of,
    hold_plan,
    line_fields,
    routing_lines,
    same_allocations,
    stock_map,
)
from domain.order.checkout_types import (
    CheckoutQuote,
    CheckoutUnitOfWork,
    FulfillmentChoice,
)
from domain.order.order_pricing import OrderPricing, price_order, tax_destination
from domain.order.placement import NewLine
from domain.order.routing import FulfillmentMethod as Method
from domain.order.routing import (
    RoutingLocation,
    RoutingPlan,
    Unroutable,
    UnroutableReason,
    route,
)

CHECKOUT_TTL_SECONDS = 15 * 60


def pinned_location(choice: FulfillmentChoice) -> uuid.UUID | None:
    return choice.location_id if choice.method is Method.PICKUP else None


async def routing_inputs(
    uow: CheckoutUnitOfWork,
    drafts: list[NewLine],
    pinned: uuid.UUID | None,
    held: Reservation | None,
) -> tuple[list[RoutingLocation], dict[tuple[str, uuid.UUID], int]]:
    """Locations that hold some of the cart (and the pinned store), and the stock
    available to this checkout: what is free plus what its own live hold has."""
    skus = sorted({d.sku for d in drafts})
    locations = await uow.routing.routing_locations(skus, pinned)
    available = await uow.inventory.available_by_location(skus)
    own = held.lines if held is not None and held.status is ReservationStatus.ACTIVE else []
    return locations, stock_map(available, own)


async def price_for(
    uow: CheckoutUnitOfWork,
    cart: Cart,
    drafts: list[NewLine],
    method: Method,
    address: Mapping[str, Any] | None,
    now: datetime,
) -> OrderPricing:
    definitions = await uow.routing.discount_definitions(cart.discount_codes, cart.customer_id)
    country, province = tax_destination(address, cart.buyer_country_code, cart.buyer_province_code)
    return price_order(
        [(d.quantity, d.unit_price_minor) for d in drafts],
        method,
        codes=cart.discount_codes,
        definitions=definitions,
        now=now,
        channel_id=cart.channel_id,
        currency_code=cart.currency_code,
        country_code=country,
        province_code=province,
    )


async def hold_chosen_plan(
    uow: CheckoutUnitOfWork,
    cart: Cart,
    drafts: list[NewLine],
    choice: FulfillmentChoice,
    now: datetime,
) -> tuple[RoutingPlan, Reservation]:
    """Route the chosen method and hold exactly the plan's stock: the checkout's hold
    when it is the plan, else a fresh hold per shipment (the old hold is released), saved
    as the checkout's hold."""
    pinned = pinned_location(choice)
    skus = [d.sku for d in drafts]
    held_id = await uow.orders.checkout_reservation(cart.id)
    held = await uow.inventory.lock_reservation(held_id) if held_id is not None else None
    locations, stock = await routing_inputs(uow, drafts, pinned, held)
    result = route(
        routing_lines([(d.sku, d.quantity) for d in drafts]),
        choice.method,
        locations,
        stock,
        now,
        destination=destination_of(choice.address, ["fulfillment", "address"]),
        location_id=pinned,
    )
    if isinstance(result, Unroutable):
        if result.reason is UnroutableReason.NO_ELIGIBLE_LOCATION and not any(stock.values()):
            # Nothing in stock anywhere: that is what the buyer needs to hear.
            result = replace(result, reason=UnroutableReason.OUT_OF_STOCK)
        raise result.to_domain_error(line_fields(skus))
    live = held is not None and held.status is ReservationStatus.ACTIVE
    if (
        held is not None
        and live
        and not held.expired
        and same_allocations(held.lines, allocations(result))
    ):
        reservation = held
    else:
        if held is not None and live:
            await release_reservation(uow, held.id)
        reservation = await hold_plan(
            uow,
            result,
            skus,
            ttl_seconds=CHECKOUT_TTL_SECONDS,
            reference=f"checkout:{cart.id}",
        )
        await uow.orders.save_checkout(cart.id, reservation.id, reservation.expires_at)
    return result, reservation


async def _quoted_hold(
    uow: CheckoutUnitOfWork, drafts: list[NewLine], quote: CheckoutQuote | None
) -> Reservation | None:
    if quote is None or tuple(drafts) != quote.drafts:
        return None
    held = await uow.inventory.lock_reservation(quote.reservation_id)
    if (
        held is None
        or held.status is not ReservationStatus.ACTIVE
        or held.expired
        or not same_allocations(held.lines, allocations(quote.plan))
    ):
        return None
    return held


async def take_plan(
    uow: CheckoutUnitOfWork,
    cart: Cart,
    drafts: list[NewLine],
    choice: FulfillmentChoice,
    now: datetime,
    quote: CheckoutQuote | None = None,
) -> tuple[RoutingPlan, Reservation]:
    """The chosen plan and the live hold of exactly its stock (`hold_chosen_plan`), to be
    sold with `sell_hold`. With the quote of step (a): when the cart's lines are the ones
    it priced and its hold is still live with the plan's allocations, that plan is taken as
    it is (no routing again; the caller holds the cart's lock, which a new checkoutBegin
    needs to replace the hold)."""
    reused = await _quoted_hold(uow, drafts, quote)
    if reused is not None and quote is not None:
        return quote.plan, reused
    return await hold_chosen_plan(uow, cart, drafts, choice, now)


async def sell_hold(uow: CheckoutUnitOfWork, cart: Cart, reservation: Reservation) -> None:
    """Held stock becomes sold. The placing transaction does this last: the stock rows
    (one row for every buyer of a hot SKU) stay locked only from here to its commit."""
    await commit_reservation(uow, reservation.id, source=f"checkout:{cart.id}", locked=reservation)
    await uow.orders.delete_checkout(cart.id)
