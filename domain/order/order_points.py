"""Loyalty points follow the money: what an order gives back, its points give back.

Checkout earns points on the order total (`points.earn_points`). After any
settlement that lowered what is owed (a cancel, a fraud REJECT, a missed
pickup, a received return) the points of all the money given back so far
are reversed, in the same transaction and with the settlement's key.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from domain.customer.points import reverse_points
from domain.customer.ports import CustomerUnitOfWork
from domain.order.settlement import PaymentRepository


class PointsUnitOfWork(CustomerUnitOfWork, Protocol):
    @property
    def payments(self) -> PaymentRepository: ...


async def reverse_order_points(
    uow: PointsUnitOfWork, customer_id: uuid.UUID | None, order_id: uuid.UUID, key: str
) -> int:
    """Reverse the points of what the order has given back so far (the payments'
    authorized minus owed: the order total less what is still owed)."""
    if customer_id is None:
        return 0
    payments = await uow.payments.payments_for_update(order_id)
    total = sum(p.amount_minor for p in payments)
    given_back = sum(p.amount_minor - p.owed_minor for p in payments)
    return await reverse_points(uow, customer_id, order_id, given_back, total, key)
