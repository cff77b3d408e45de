"""Checkout use-cases: orchestration over a unit of work (SQL in order_repository.py).

`begin_checkout` holds the cart's stock for a TTL (at the best locations, or
at the chosen pickup store) and returns the fulfillment options.
`complete_checkout` turns a cart into an order: it prices the cart, asks the
payment service for an authorization outside any transaction, then writes in
ONE short transaction the order, lines (price snapshot), fulfillments (one per
location the stock is held at), committed stock, the payment, loyalty points,
cart COMPLETED, outbox events. No row lock is held while the payment service
is called. A failure after the authorization voids it. A declined payment is a
PAYMENT_DECLINED error; the caller then releases the checkout's reservation in
a separate transaction (`release_checkout`).

Idempotency: the placing transactions of the same key are serialized by a
transaction advisory lock; a replay returns the stored order (same input) or
IDEMPOTENCY_CONFLICT (different input), and the provider's idempotency key is
derived from the checkout's, so a retry never authorizes twice. The unique
index on `orders.idempotency_key` is the backstop.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from domain.auth import Principal
from domain.authz import may_use_cart
from domain.errors import DomainError, ErrorCode, NotFound
from domain.inventory.models import Reservation, ReservationStatus
from domain.inventory.rules import ReservationLine
from domain.inventory.services import release_reservation, reserve
from domain.models import Cart
from domain.order.checkout_place import (
    open_cart,
    place_order,
    priced_lines,
    quote_total,
    replay_order,
)
from domain.order.checkout_plan import (
    CHECKOUT_TTL_SECONDS,
    price_for,
    routing_inputs,
)
from domain.order.checkout_routing import (
    destination_of,
    hold_plan,
    preferred_plan,
    routing_lines,
)
from domain.order.checkout_types import (
    CheckoutStarted,
    CheckoutUnitOfWork,
    FulfillmentChoice,
    OrderRepository,
)
from domain.order.idempotency import check_key, fingerprint
from domain.order.model import Order
from domain.order.options import fulfillment_options
from domain.order.order_pricing import (
    shipping_rates_for,
)
from domain.order.payment_records import AttemptState, void_unplaced
from domain.order.payments import Authorized, PaymentGateway
from domain.order.payments import PaymentFailureCode as F
from domain.order.placement import NewLine
from domain.order.routing import FulfillmentMethod as Method

__all__ = [
    "CheckoutStarted",
    "CheckoutUnitOfWork",
    "FulfillmentChoice",
    "OrderRepository",
    "begin_checkout",
    "complete_checkout",
    "release_checkout",
    "UnitsOfWork",
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


def _reservation_lines(drafts: list[NewLine]) -> list[ReservationLine]:
    return [ReservationLine(d.sku, d.quantity) for d in drafts]


async def _hold(
    uow: CheckoutUnitOfWork,
    cart: Cart,
    drafts: list[NewLine],
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
    cart = await open_cart(uow, principal, cart_id, now, held_carts)
    drafts = await priced_lines(uow, cart)
    destination = destination_of(address, ["address"])
    earlier = await uow.orders.checkout_reservation(cart.id)
    if earlier is not None:
        await _release_if_active(uow, earlier)
    locations, stock = await routing_inputs(uow, drafts, location_id, None)
    if location_id is not None and location_id not in {loc.id for loc in locations}:
        raise NotFound("Location", ["pickup_location_id"])
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
            ErrorCode.INVALID, "A pickup needs the store.", ["fulfillment", "location_id"]
        )


UnitsOfWork = Callable[[], AbstractAsyncContextManager[CheckoutUnitOfWork]]


async def complete_checkout(
    uows: UnitsOfWork,
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
) -> Order:
    """Place the order in three steps, with no network call inside a transaction:
    (a) price and validate, recording the authorization attempt; (b) authorize with
    the provider, keyed by the checkout's idempotency key; (c) one short transaction
    turning the held stock into sold stock and writing the order. If (c) fails the
    authorization is voided (else the sweeper voids it: `void_unplaced`)."""
    _check_choice(choice, idempotency_key)
    request = request_hash(cart_id, choice, card_token, billing_address)
    key = f"checkout:{idempotency_key}"
    async with uows() as uow:  # (a)
        # The replay is bound to the caller before the key is looked up: only who may use
        # the cart gets its order back (a key's stored request names its cart), so a
        # guessed key answers NOT_FOUND like any cart of someone else.
        bound = await uow.carts.cart_for_update(cart_id)
        if bound is None or not may_use_cart(principal, bound.customer_id, cart_id in held_carts):
            raise NotFound("Cart", ["cart_id"])
        earlier = await replay_order(uow, idempotency_key, request)
        if earlier is not None:
            return earlier
        quote = await quote_total(uow, principal, cart_id, choice, now, held_carts, bound)
        amount = quote.amount
        attempt = await uow.payments.start_authorization(key, provider, amount)
    result = await payments.authorize(amount, card_token, attempt.provider_key)  # (b)
    if not isinstance(result, Authorized):
        if not result.outcome_unknown and result.code is not F.IDEMPOTENCY_CONFLICT:
            async with uows() as uow:
                await uow.payments.settle_attempt(
                    attempt.id, AttemptState.FAILED, failure_code=result.code.value
                )
        raise result.to_domain_error(["payment", "token"])
    try:
        async with uows() as uow:  # (c)
            return await place_order(
                uow,
                principal,
                cart_id=cart_id,
                choice=choice,
                card_token=card_token,
                idempotency_key=idempotency_key,
                request=request,
                now=now,
                provider=provider,
                billing_address=billing_address,
                authorized=result,
                held_carts=held_carts,
                quote=quote,
            )
    except BaseException:
        # Best effort: a void that fails now is retried by the authorization sweeper.
        with contextlib.suppress(Exception):
            async with uows() as uow:
                await void_unplaced(uow, payments, key)
        raise


async def release_checkout(uow: CheckoutUnitOfWork, cart_id: uuid.UUID) -> None:
    """After a failed checkoutComplete: give the checkout's held stock back."""
    held_id = await uow.orders.checkout_reservation(cart_id)
    if held_id is not None:
        await _release_if_active(uow, held_id)
        await uow.orders.delete_checkout(cart_id)
