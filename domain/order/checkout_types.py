"""Checkout's values and ports (the use-cases are in checkout.py, which re-exports these)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.cart.ports import CartRepository
from domain.customer.ports import CustomerRepository
from domain.models import OutboxEvent
from domain.order.checkout_routing import CheckoutRoutingRepository
from domain.order.model import OrderRepository as AggregateRepository
from domain.order.options import FulfillmentOption
from domain.order.payment_records import PaymentRecords
from domain.order.payments import PaymentAmount
from domain.order.placement import NewLine
from domain.order.routing import FulfillmentMethod as Method
from domain.order.routing import RoutingPlan
from domain.ports import CatalogRepository, InventoryRepository


@dataclass(frozen=True)
class FulfillmentChoice:
    method: Method
    location_id: uuid.UUID | None = None
    address: dict[str, Any] | None = None


@dataclass(frozen=True)
class CheckoutQuote:
    """Step (a) of checkoutComplete: the amount to authorize, and the lines and plan it
    priced with the stock held for that plan, so step (c) takes the hold without routing
    again when the cart and the hold are still what they were."""

    amount: PaymentAmount
    drafts: tuple[NewLine, ...]  # the cart lines at their prices, before discounts
    plan: RoutingPlan
    reservation_id: uuid.UUID


@dataclass(frozen=True)
class CheckoutStarted:
    cart_id: uuid.UUID
    reservation_id: uuid.UUID
    expires_at: datetime
    total_minor: int
    currency_code: str
    # Every method with its plan or why not, priced (shipping, after free-shipping codes).
    options: tuple[FulfillmentOption, ...] = ()


class OrderRepository(Protocol):
    async def lock_idempotency_key(self, key: str) -> None: ...
    async def order_id_by_idempotency_key(self, key: str) -> uuid.UUID | None: ...
    async def checkout_reservation(self, cart_id: uuid.UUID) -> uuid.UUID | None: ...
    async def save_checkout(
        self, cart_id: uuid.UUID, reservation_id: uuid.UUID, expires_at: datetime
    ) -> None: ...
    async def delete_checkout(self, cart_id: uuid.UUID) -> None: ...


class CheckoutUnitOfWork(Protocol):
    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def inventory(self) -> InventoryRepository: ...
    @property
    def carts(self) -> CartRepository: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def orders_for_update(self) -> AggregateRepository: ...
    @property
    def routing(self) -> CheckoutRoutingRepository: ...
    @property
    def payments(self) -> PaymentRecords: ...
    async def add_event(self, event: OutboxEvent) -> int: ...
