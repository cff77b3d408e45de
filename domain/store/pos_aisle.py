"""Endless aisle (issue 17 item 2): from the till, order what this store lacks, for home
delivery or pickup at another store, paid at the till by card.

It is the online checkout, not a copy of it: a cart on the POS channel for the
customer (or a guest), `begin_checkout` (the same routing rules as online hold the
plan's stock), then `complete_checkout` (authorization outside a transaction, the order
placed in one transaction with its outbox event). The idempotency key is the order's
("aisle:<key>"): a retry after success answers the first order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.auth import Principal, Role, require_roles
from domain.cart.models import BuyerIdentityInput, CartPolicy, LineInput
from domain.cart.ports import CartUnitOfWork
from domain.cart.rates import FulfillmentMethod as CartMethod
from domain.cart.services import create_cart
from domain.customer.identity import IdentityKind
from domain.errors import DomainError, ErrorCode, NotFound
from domain.order.checkout import begin_checkout, complete_checkout, release_checkout
from domain.order.checkout_types import CheckoutUnitOfWork, FulfillmentChoice
from domain.order.model import Order
from domain.order.payments import PaymentGateway
from domain.order.routing import FulfillmentMethod
from domain.store.pos import PosLine, check_lines
from domain.store.pos_service import (
    DEFAULT_CHANNEL,
    STORE_KINDS,
    PosRepository,
    resolve_customer,
)


class AisleUnitOfWork(CheckoutUnitOfWork, CartUnitOfWork, Protocol):
    @property
    def pos(self) -> PosRepository: ...


AisleUnitsOfWork = Callable[[], AbstractAsyncContextManager[AisleUnitOfWork]]


@dataclass(frozen=True)
class AisleOrder:
    order: Order
    sold_at: uuid.UUID  # the store whose till took the order
    customer_id: uuid.UUID | None


def check_destination(
    till: uuid.UUID,
    method: FulfillmentMethod,
    pickup_location_id: uuid.UUID | None,
    address: dict[str, Any] | None,
) -> None:
    if method is FulfillmentMethod.PICKUP:
        if pickup_location_id is None:
            raise DomainError(
                ErrorCode.INVALID, "Pickup needs the store to pick up at.", ["pickup_location_id"]
            )
        if pickup_location_id == till:
            raise DomainError(
                ErrorCode.INVALID,
                "Endless aisle is for another store; sell from this one with posSaleComplete.",
                ["pickup_location_id"],
            )
    elif method is FulfillmentMethod.SHIP:
        if address is None:
            raise DomainError(ErrorCode.INVALID, "Delivery needs an address.", ["address"])
    else:
        raise DomainError(ErrorCode.INVALID, "SHIP or PICKUP.", ["method"])


async def endless_aisle_order(
    uows: AisleUnitsOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    policy: CartPolicy,
    *,
    location_id: uuid.UUID,
    lines: Sequence[PosLine],
    method: FulfillmentMethod,
    pickup_location_id: uuid.UUID | None,
    address: dict[str, Any] | None,
    card_token: str,
    customer_id: uuid.UUID | None,
    customer_lookup: tuple[IdentityKind, str] | None,
    idempotency_key: str,
    now: datetime,
) -> AisleOrder:
    caller = require_roles(principal, Role.POS, Role.STORE_ASSOCIATE)
    if not 1 <= len(idempotency_key) <= 200:
        raise DomainError(ErrorCode.INVALID, "idempotencyKey is 1-200 chars.", ["idempotency_key"])
    check_lines(lines)
    check_destination(location_id, method, pickup_location_id, address)
    key = f"aisle:{idempotency_key}"
    async with uows() as uow:
        await uow.pos.lock_key(key)
        store = await uow.pos.store(location_id)
        if store is None or store[1] not in STORE_KINDS:
            raise NotFound("Location", ["location_id"])
        customer = await resolve_customer(uow, caller, customer_id, customer_lookup)
        earlier = await uow.orders_for_update.get_by_idempotency_key(key)
        if earlier is not None:
            return AisleOrder(earlier, location_id, customer)
        channel = await uow.pos.channel(caller.channel or DEFAULT_CHANNEL)
        if channel is None:
            raise DomainError(ErrorCode.INVALID, "There is no POS channel.", ["location_id"])
        prices = await uow.pos.prices([line.sku for line in lines], channel[0], channel[1])
        wanted = []
        for index, line in enumerate(lines):
            offer = prices.get(line.sku)
            if offer is None:
                raise DomainError(
                    ErrorCode.VARIANT_UNAVAILABLE,
                    "This SKU is not for sale on the POS channel.",
                    ["lines", str(index), "sku"],
                )
            wanted.append(LineInput(offer[0], line.quantity))
        cart = await create_cart(
            uow,
            caller,
            policy,
            channel_id=channel[0],
            currency_code=channel[1],
            lines=wanted,
            buyer=BuyerIdentityInput(customer_id=customer),
            note=f"Endless aisle at store {store[0]}",
            fulfillment_method=CartMethod(method.value),
        )
        await begin_checkout(
            uow,
            caller,
            cart.id,
            now,
            location_id=pickup_location_id,
            address=address,
        )
    choice = FulfillmentChoice(method, pickup_location_id, address)
    try:
        order = await complete_checkout(
            uows,
            caller,
            payments,
            cart_id=cart.id,
            choice=choice,
            card_token=card_token,
            idempotency_key=key,
            now=now,
        )
    except BaseException:
        async with uows() as uow:
            await release_checkout(uow, cart.id)
        raise
    return AisleOrder(order, location_id, customer)
