"""The order row as the read side shows it: the one read projection of an order.

GraphQL `Order`, the `orders` connection, `Customer.orders` and every payload that
returns an order read an `OrderRecord`, a page of them in one statement (their lines
and fulfillments come in batches, as the aggregate's own frozen parts:
`order_parts.OrderLine`, `order_parts.Fulfillment`). Changes never go through it:
they go through the `Order` aggregate (domain/order/model.py), loaded whole and
locked, whose `record()` is this projection of it (a reply right after a checkout
needs no read).

Kept apart from the aggregate on purpose (CQRS): the aggregate is only whole with
its lines, fulfillments and payments under the order's row lock; a listing of 250
orders needs only the order rows, without a lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from domain.order.fulfillment import OrderStatus


@dataclass(frozen=True)
class OrderRecord:
    id: uuid.UUID
    number: int
    customer_id: uuid.UUID | None
    status: OrderStatus
    currency_code: str
    total_minor: int
    created_at: datetime
    # The amounts charged at checkout (total = subtotal - discount + tax + shipping).
    subtotal_minor: int = 0
    discount_minor: int = 0
    tax_minor: int = 0
    shipping_minor: int = 0
    on_hold: bool = False
    risk_score: int = 0
    risk_reasons: tuple[Mapping[str, object], ...] = ()
    cancelled_at: datetime | None = None  # set when the whole order became CANCELLED
    cancel_reason: str | None = None  # a `cancellation.CancelReason` value
    cart_id: uuid.UUID | None = None  # the cart it was checked out from: a guest's holds it
