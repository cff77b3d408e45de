"""Checkout step (c), placing the order in one short transaction, and the helpers the
steps share (the flow is `checkout.complete_checkout`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.auth import Principal
from domain.cart.models import CartStatus
from domain.cart.validation import check_can_read
from domain.customer.points import earn_points
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import Cart
from domain.order.aftersale import OrderTotals
from domain.order.checkout_plan import hold_chosen_plan, price_for, sell_hold, take_plan
from domain.order.checkout_risk import VELOCITY_WINDOW, address_key, card_fingerprint, risk_signals
from domain.order.checkout_routing import shipment_lines
from domain.order.checkout_types import (
    CheckoutQuote,
    CheckoutUnitOfWork,
    FulfillmentChoice,
)
from domain.order.fraud import assess_risk
from domain.order.fulfillment import FulfillmentStatus
from domain.order.model import Order
from domain.order.payment_records import OPEN_STATES, AttemptState
from domain.order.payments import Authorized, PaymentAmount
from domain.order.placement import NewFulfillment, NewLine, NewPayment, Placement
from domain.order.routing import FulfillmentMethod as Method


async def open_cart(
    uow: CheckoutUnitOfWork,
    principal: Principal | None,
    cart_id: uuid.UUID,
    now: datetime,
    held: frozenset[uuid.UUID] = frozenset(),
    locked: Cart | None = None,
) -> Cart:
    """The cart, locked, if the principal may check it out (`locked`: this transaction
    has just read it FOR UPDATE, not read again)."""
    cart = locked if locked is not None else await uow.carts.cart_for_update(cart_id)
    if cart is None:
        raise NotFound("Cart", ["cart_id"])
    check_can_read(principal, cart, now, held)
    if cart.status != CartStatus.ACTIVE:
        raise DomainError(ErrorCode.INVALID, "The cart is not active.", ["cart_id"])
    return cart


async def priced_lines(uow: CheckoutUnitOfWork, cart: Cart) -> list[NewLine]:
    lines, offers = await uow.carts.lines_with_offers(cart.id)
    if not lines:
        raise DomainError(ErrorCode.INVALID, "The cart is empty.", ["cart_id"])
    drafts = []
    for index, line in enumerate(lines):
        offer = offers.get(line.variant_id)
        if offer is None or not offer.product_active or offer.price_minor is None:
            raise DomainError(
                ErrorCode.INVALID,
                "This line is not for sale on the cart's channel and currency.",
                ["cart", "lines", str(index)],
            )
        drafts.append(NewLine(line.variant_id, offer.sku, line.quantity, offer.price_minor))
    return drafts


async def replay_order(uow: CheckoutUnitOfWork, idempotency_key: str, request: str) -> Order | None:
    earlier = await uow.orders_for_update.get_by_idempotency_key(idempotency_key)
    if earlier is not None and earlier.request_hash != request:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            "This idempotencyKey was used with different input.",
            ["idempotency_key"],
        )
    return earlier


async def quote_total(
    uow: CheckoutUnitOfWork,
    principal: Principal | None,
    cart_id: uuid.UUID,
    choice: FulfillmentChoice,
    now: datetime,
    held: frozenset[uuid.UUID] = frozenset(),
    locked: Cart | None = None,
) -> CheckoutQuote:
    """What the buyer will be charged, from the cart as it is now, with the plan's stock
    held (step a): a checkout without a live hold (no checkoutBegin, or it expired) is
    refused OUT_OF_STOCK here, before any payment is asked for."""
    cart = await open_cart(uow, principal, cart_id, now, held, locked)
    drafts = await priced_lines(uow, cart)
    plan, reservation = await hold_chosen_plan(uow, cart, drafts, choice, now)
    pricing = await price_for(uow, cart, drafts, choice.method, choice.address, now)
    return CheckoutQuote(
        PaymentAmount(pricing.total_minor, cart.currency_code),
        tuple(drafts),
        plan,
        reservation.id,
    )


async def place_order(
    uow: CheckoutUnitOfWork,
    principal: Principal | None,
    *,
    cart_id: uuid.UUID,
    choice: FulfillmentChoice,
    card_token: str,
    idempotency_key: str,
    request: str,
    now: datetime,
    provider: str,
    billing_address: Mapping[str, Any] | None,
    authorized: Authorized,
    held_carts: frozenset[uuid.UUID] = frozenset(),
    quote: CheckoutQuote | None = None,
) -> Order:
    """Step (c): the order (`Order.place`: its lines, fulfillments and the authorization),
    the held stock committed, points, cart COMPLETED, events; in the caller's
    transaction."""
    await uow.orders.lock_idempotency_key(idempotency_key)
    earlier = await replay_order(uow, idempotency_key, request)
    if earlier is not None:
        return earlier  # a concurrent retry placed it, with the same authorization
    attempt = await uow.payments.attempt_for_update(f"checkout:{idempotency_key}")
    if attempt is None or attempt.state not in OPEN_STATES:
        raise DomainError(
            ErrorCode.PAYMENT_FAILED,
            "The payment authorization was released; retry with a new idempotencyKey.",
            ["payment", "token"],
        )
    cart = await open_cart(uow, principal, cart_id, now, held_carts)
    drafts = await priced_lines(uow, cart)
    plan, hold = await take_plan(uow, cart, drafts, choice, now, quote)
    # Usage limits: count redemptions only once the codes are ours until commit.
    await uow.routing.lock_discounts(cart.discount_codes)
    pricing = await price_for(uow, cart, drafts, choice.method, choice.address, now)
    total = pricing.total_minor
    if PaymentAmount(total, cart.currency_code) != authorized.amount:
        raise DomainError(
            ErrorCode.INVALID,
            "The cart's total changed during checkout; retry with a new idempotencyKey.",
            ["cart_id"],
        )

    shipping_to = None if choice.method is Method.PICKUP else choice.address
    card = card_fingerprint(card_token)
    street = address_key(shipping_to)
    history = await uow.routing.risk_history(cart.customer_id, street, card, now - VELOCITY_WINDOW)
    risk = assess_risk(
        risk_signals(
            history, total_minor=total, now=now, billing=billing_address, shipping=shipping_to
        )
    )
    # One fulfillment per plan shipment, each with its own promise; a held order's
    # fulfillments wait in ON_HOLD for orderReview.
    status = FulfillmentStatus.ON_HOLD if risk.on_hold else FulfillmentStatus.ALLOCATED
    remaining = {i: d.quantity for i, d in enumerate(drafts)}
    skus = [d.sku for d in drafts]
    order, _ = Order.place(
        number=await uow.orders_for_update.next_number(),
        customer_id=cart.customer_id,
        channel_id=cart.channel_id,
        currency_code=cart.currency_code,
        cart_id=cart.id,
        lines=[
            replace(d, discount_minor=p.discount_minor, tax_minor=p.tax_minor)
            for d, p in zip(drafts, pricing.lines, strict=True)
        ],
        fulfillments=[
            NewFulfillment(
                choice.method.value,
                shipment.location_id,
                status,
                shipment_lines(shipment, skus, remaining),
                shipment.promised_at,
            )
            for shipment in plan.shipments
        ],
        payments=[NewPayment(provider, authorized.authorization_id, total)],
        totals=OrderTotals(
            pricing.subtotal_minor,
            pricing.discount_minor,
            pricing.tax_minor,
            pricing.shipping_minor,
            total,
        ),
        placement=Placement(
            choice.method.value,
            idempotency_key,
            shipping_address=choice.address,
            card_fingerprint=card,
            address_key=street,
        ),
        request_hash=request,
        on_hold=risk.on_hold,
        risk_score=risk.score,
        risk_reasons=[
            {"code": r.code.value, "points": r.points, "detail": r.detail} for r in risk.reasons
        ],
    )
    await uow.orders_for_update.add(order)
    await uow.routing.redeem_discounts(pricing.applied_codes, cart.customer_id, order.id)
    await uow.payments.settle_attempt(
        attempt.id,
        AttemptState.AUTHORIZED,
        authorization_id=authorized.authorization_id,
        order_id=order.id,
    )
    if cart.customer_id is not None:
        await earn_points(uow, cart.customer_id, order.id, total, cart.currency_code)
    await uow.carts.update_cart(cart.id, status=CartStatus.COMPLETED.value, updated_at=now)
    await uow.orders_for_update.save(order, now)  # its order_created event
    await sell_hold(uow, cart, hold)
    return order
