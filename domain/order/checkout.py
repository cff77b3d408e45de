"""Checkout use-cases: orchestration over a unit of work (SQL in order_repository.py).

`begin_checkout` holds the cart's stock for a TTL (at the best locations, or
at the chosen pickup store) and returns the fulfillment options.
`complete_checkout` turns a cart into an order in ONE transaction: order,
lines (price snapshot), fulfillments (one per location the stock is held
at), committed stock, payment authorization, loyalty points, cart COMPLETED,
outbox events. Any failure rolls it all back. A declined payment is a
PAYMENT_DECLINED error; the caller then releases the checkout's reservation
in a separate transaction (`release_checkout`).

Idempotency: checkouts with the same key are serialized by a transaction
advisory lock; a replay returns the stored order (same input) or
IDEMPOTENCY_CONFLICT (different input). The unique index on
`orders.idempotency_key` is the backstop.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from domain.auth import Principal
from domain.authz import may_use_cart
from domain.cart.models import CartStatus, VariantOffer
from domain.cart.validation import check_can_read
from domain.customer.points import earn_points
from domain.errors import DomainError, ErrorCode, NotFound
from domain.inventory.models import Reservation, ReservationStatus
from domain.inventory.rules import ReservationLine
from domain.inventory.services import release_reservation, reserve
from domain.models import Cart
from domain.order.checkout_plan import (
    CHECKOUT_TTL_SECONDS,
    price_for,
    routing_inputs,
    take_plan,
)
from domain.order.checkout_risk import (
    VELOCITY_WINDOW,
    address_key,
    card_fingerprint,
    risk_signals,
)
from domain.order.checkout_routing import (
    destination_of,
    hold_plan,
    preferred_plan,
    routing_lines,
    shipment_lines,
)
from domain.order.checkout_types import (
    CheckoutStarted,
    CheckoutUnitOfWork,
    FulfillmentChoice,
    OrderLineDraft,
    OrderLineRecord,
    OrderRepository,
    PlacedOrder,
)
from domain.order.events import order_created
from domain.order.fraud import assess_risk
from domain.order.fulfillment import FulfillmentStatus, OrderStatus
from domain.order.idempotency import check_key, fingerprint
from domain.order.options import fulfillment_options
from domain.order.order_pricing import (
    shipping_rates_for,
)
from domain.order.payments import Authorized, PaymentAmount, PaymentGateway
from domain.order.routing import FulfillmentMethod as Method

__all__ = [
    "CheckoutStarted",
    "CheckoutUnitOfWork",
    "FulfillmentChoice",
    "OrderLineDraft",
    "OrderLineRecord",
    "OrderRepository",
    "PlacedOrder",
    "begin_checkout",
    "complete_checkout",
    "release_checkout",
    "request_hash",
]

CHECKOUT_TTL = timedelta(seconds=CHECKOUT_TTL_SECONDS)


def request_hash(
    cart_id: uuid.UUID,
    choice: FulfillmentChoice,
    card_token: str,
    billing: Mapping[str, Any] | None = None,
) -> str:
    body: dict[str, Any] = {
        "cart": str(cart_id),
        "method": choice.method.value,
        "location": None if choice.location_id is None else str(choice.location_id),
        "address": choice.address,
        "token": card_token,
    }
    if billing is not None:  # only when given: keys stored before it existed still match
        body["billing"] = dict(billing)
    return fingerprint(body)


async def _open_cart(
    uow: CheckoutUnitOfWork,
    principal: Principal | None,
    cart_id: uuid.UUID,
    now: datetime,
    held: frozenset[uuid.UUID] = frozenset(),
) -> Cart:
    cart: Cart | None = await uow.carts.cart_for_update(cart_id)
    if cart is None:
        raise NotFound("Cart", ["cartId"])
    check_can_read(principal, cart, now, held)
    if cart.status != CartStatus.ACTIVE:
        raise DomainError(ErrorCode.INVALID, "The cart is not active.", ["cartId"])
    return cart


async def _priced_lines(uow: CheckoutUnitOfWork, cart: Cart) -> list[OrderLineDraft]:
    lines = await uow.carts.lines(cart.id)
    if not lines:
        raise DomainError(ErrorCode.INVALID, "The cart is empty.", ["cartId"])
    offers: dict[uuid.UUID, VariantOffer] = await uow.carts.offers(
        [line.variant_id for line in lines], cart.channel_id, cart.currency_code
    )
    drafts = []
    for index, line in enumerate(lines):
        offer = offers.get(line.variant_id)
        if offer is None or not offer.product_active or offer.price_minor is None:
            raise DomainError(
                ErrorCode.INVALID,
                "This line is not for sale on the cart's channel and currency.",
                ["cart", "lines", str(index)],
            )
        drafts.append(OrderLineDraft(line.variant_id, offer.sku, line.quantity, offer.price_minor))
    return drafts


def _reservation_lines(drafts: list[OrderLineDraft]) -> list[ReservationLine]:
    return [ReservationLine(d.sku, d.quantity) for d in drafts]


async def _hold(
    uow: CheckoutUnitOfWork,
    cart: Cart,
    drafts: list[OrderLineDraft],
    location_id: uuid.UUID | None,
    now: datetime,
) -> Reservation:
    try:
        return await reserve(
            uow,
            _reservation_lines(drafts),
            location_id=location_id,
            ttl_seconds=CHECKOUT_TTL.total_seconds(),
            reference=f"checkout:{cart.id}",
        )
    except DomainError as error:
        if error.code is ErrorCode.OUT_OF_STOCK and error.field and len(error.field) == 2:
            # reserve() names ["lines", i]; the buyer knows the cart's line.
            index = int(error.field[1])
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                f"Not enough stock of {drafts[index].sku} for {drafts[index].quantity} units.",
                ["cart", "lines", str(index)],
            ) from error
        raise


async def begin_checkout(
    uow: CheckoutUnitOfWork,
    principal: Principal | None,
    cart_id: uuid.UUID,
    now: datetime,
    *,
    location_id: uuid.UUID | None = None,
    address: Mapping[str, Any] | None = None,
    held_carts: frozenset[uuid.UUID] = frozenset(),
) -> CheckoutStarted:
    """Hold the cart's stock for CHECKOUT_TTL and list the fulfillment options.

    The hold follows the plan of the chosen pickup store, else of the first available
    method (SHIP, SHIP_FROM_STORE, SAME_DAY, PICKUP); with no available method it
    falls back to the best locations. A second call replaces the earlier hold."""
    cart = await _open_cart(uow, principal, cart_id, now, held_carts)
    drafts = await _priced_lines(uow, cart)
    destination = destination_of(address, ["address"])
    earlier = await uow.orders.checkout_reservation(cart.id)
    if earlier is not None:
        await _release_if_active(uow, earlier)
    locations, stock = await routing_inputs(uow, drafts, location_id, None)
    if location_id is not None and location_id not in {loc.id for loc in locations}:
        raise NotFound("Location", ["pickupLocationId"])
    merchandise = await price_for(uow, cart, drafts, Method.SHIP, address, now)
    options = fulfillment_options(
        routing_lines([(d.sku, d.quantity) for d in drafts]),
        merchandise.subtotal_minor - merchandise.discount_minor,
        locations,
        stock,
        now,
        destination=destination,
        pickup_location_id=location_id,
        rates=shipping_rates_for(cart.currency_code),
    )
    priced = []
    for option in options:
        if option.available:  # the shipping line after free-shipping codes
            cost = await price_for(uow, cart, drafts, option.method, address, now)
            option = replace(option, price_minor=cost.shipping_minor)
        priced.append(option)
    plan = preferred_plan(priced, location_id)
    if plan is not None:
        reservation = await hold_plan(
            uow,
            plan,
            [d.sku for d in drafts],
            ttl_seconds=CHECKOUT_TTL.total_seconds(),
            reference=f"checkout:{cart.id}",
        )
    else:
        reservation = await _hold(uow, cart, drafts, location_id, now)
    await uow.orders.save_checkout(cart.id, reservation.id, reservation.expires_at)
    return CheckoutStarted(
        cart.id,
        reservation.id,
        reservation.expires_at,
        sum(d.unit_price_minor * d.quantity for d in drafts),
        cart.currency_code,
        tuple(priced),
    )


async def _release_if_active(uow: CheckoutUnitOfWork, reservation_id: uuid.UUID) -> None:
    current = await uow.inventory.lock_reservation(reservation_id)
    if current is not None and current.status is ReservationStatus.ACTIVE:
        await release_reservation(uow, reservation_id)


def _check_choice(choice: FulfillmentChoice, idempotency_key: str) -> None:
    check_key(idempotency_key)
    if (
        choice.method in (Method.SHIP, Method.SHIP_FROM_STORE, Method.SAME_DAY)
        and not choice.address
    ):
        raise DomainError(
            ErrorCode.INVALID, "This method needs a delivery address.", ["fulfillment", "address"]
        )
    if choice.method is Method.PICKUP and choice.location_id is None:
        raise DomainError(
            ErrorCode.INVALID, "A pickup needs the store.", ["fulfillment", "locationId"]
        )


async def complete_checkout(
    uow: CheckoutUnitOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    *,
    cart_id: uuid.UUID,
    choice: FulfillmentChoice,
    card_token: str,
    idempotency_key: str,
    now: datetime,
    provider: str = "test",
    billing_address: Mapping[str, Any] | None = None,
    held_carts: frozenset[uuid.UUID] = frozenset(),
) -> PlacedOrder:
    _check_choice(choice, idempotency_key)
    request = request_hash(cart_id, choice, card_token, billing_address)
    # The replay is bound to the caller before the key is looked up: only who may use the
    # cart gets its order back (a key's stored request names its cart), so a guessed key
    # answers NOT_FOUND like any cart of someone else.
    bound: Cart | None = await uow.carts.cart_for_update(cart_id)
    if bound is None or not may_use_cart(principal, bound.customer_id, cart_id in held_carts):
        raise NotFound("Cart", ["cartId"])
    await uow.orders.lock_idempotency_key(idempotency_key)
    earlier = await uow.orders.order_by_idempotency_key(idempotency_key)
    if earlier is not None:
        if earlier.request_hash != request:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                "This idempotencyKey was used with different input.",
                ["idempotencyKey"],
            )
        return earlier
    cart = await _open_cart(uow, principal, cart_id, now, held_carts)
    drafts = await _priced_lines(uow, cart)
    plan = await take_plan(uow, cart, drafts, choice, now)
    # Usage limits: count redemptions only once the codes are ours until commit.
    await uow.routing.lock_discounts(cart.discount_codes)
    pricing = await price_for(uow, cart, drafts, choice.method, choice.address, now)
    total = pricing.total_minor

    shipping_to = None if choice.method is Method.PICKUP else choice.address
    card = card_fingerprint(card_token)
    street = address_key(shipping_to)
    history = await uow.routing.risk_history(cart.customer_id, street, card, now - VELOCITY_WINDOW)
    risk = assess_risk(
        risk_signals(
            history, total_minor=total, now=now, billing=billing_address, shipping=shipping_to
        )
    )
    order = await uow.orders.insert_order(
        cart_id=cart.id,
        customer_id=cart.customer_id,
        channel_id=cart.channel_id,
        currency_code=cart.currency_code,
        total_minor=total,
        status=(OrderStatus.ON_HOLD if risk.on_hold else OrderStatus.UNFULFILLED).value,
        method=choice.method.value,
        address=choice.address,
        idempotency_key=idempotency_key,
        request_hash=request,
    )
    await uow.routing.save_amounts(order.id, pricing, risk, card, street)
    line_ids = await uow.routing.insert_lines(
        order.id, [(d.variant_id, d.sku, d.quantity, d.unit_price_minor) for d in drafts], pricing
    )
    # One fulfillment per plan shipment, each with its own promise; a held order's
    # fulfillments wait in ON_HOLD for orderReview.
    status = FulfillmentStatus.ON_HOLD if risk.on_hold else FulfillmentStatus.ALLOCATED
    remaining = {i: d.quantity for i, d in enumerate(drafts)}
    for shipment in plan.shipments:
        taken = shipment_lines(shipment, [d.sku for d in drafts], remaining)
        await uow.routing.insert_fulfillment(
            order.id,
            choice.method.value,
            shipment.location_id,
            status.value,
            shipment.promised_at,
            [(line_ids[i], quantity) for i, quantity in taken],
        )
    await uow.routing.redeem_discounts(pricing.applied_codes, cart.customer_id, order.id)

    # Last external step: a decline raises and everything above rolls back.
    result = await payments.authorize(
        PaymentAmount(total, cart.currency_code), card_token, f"checkout:{idempotency_key}"
    )
    if not isinstance(result, Authorized):
        raise result.to_domain_error(["payment", "token"])
    try:
        await uow.orders.insert_payment(
            order.id, provider, result.authorization_id, total, cart.currency_code
        )
        if cart.customer_id is not None:
            await earn_points(uow, cart.customer_id, order.id, total, cart.currency_code)
        await uow.carts.update_cart(cart.id, status=CartStatus.COMPLETED.value, updated_at=now)
        await uow.add_event(
            order_created(
                order.id,
                order.number,
                cart.customer_id,
                cart.channel_id,
                cart.currency_code,
                total,
                OrderStatus(order.status),
            )
        )
    except BaseException:
        # The transaction rolls back: give the authorization back too (best effort).
        await payments.void(result.authorization_id, f"void:{idempotency_key}")
        raise
    return order


async def release_checkout(uow: CheckoutUnitOfWork, cart_id: uuid.UUID) -> None:
    """After a failed checkoutComplete: give the checkout's held stock back."""
    held_id = await uow.orders.checkout_reservation(cart_id)
    if held_id is not None:
        await _release_if_active(uow, held_id)
        await uow.orders.delete_checkout(cart_id)
