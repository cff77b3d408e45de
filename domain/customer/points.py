"""Loyalty use-cases: status, earn (called by checkout), staff adjustments."""

from __future__ import annotations

import uuid
from datetime import datetime

from domain.auth import (
    Principal,
    Role,
    require_roles,
)
from domain.customer import loyalty
from domain.customer.ports import CustomerUnitOfWork
from domain.customer.services import customer_event, customer_not_found, live_customer
from domain.errors import DomainError, ErrorCode
from domain.models import Customer


async def loyalty_status(uow: CustomerUnitOfWork, customer_id: uuid.UUID) -> loyalty.LoyaltyStatus:
    entries = await uow.customers.ledger(customer_id)
    return loyalty.status_from_entries([(e.kind, e.points) for e in entries])


async def _survivor(uow: CustomerUnitOfWork, customer_id: uuid.UUID) -> Customer:
    customer = await uow.customers.get(customer_id, lock=True)
    seen = 0
    while customer is not None and customer.merged_into is not None and seen < 10:
        customer = await uow.customers.get(customer.merged_into, lock=True)
        seen += 1
    if customer is None:
        raise customer_not_found(["customer_id"])
    return customer


async def earn_points(
    uow: CustomerUnitOfWork,
    customer_id: uuid.UUID,
    order_id: uuid.UUID,
    amount_minor: int,
    currency: str,
) -> int:
    """Credit the points an order earns (to the survivor of a merge). Once per order:
    a retry returns 0 and writes nothing. Erased customers earn nothing."""
    customer = await _survivor(uow, customer_id)
    if customer.erased_at is not None:
        return 0
    status = await loyalty_status(uow, customer.id)
    points = loyalty.points_for_purchase(amount_minor, currency, status.tier)
    entry = await uow.customers.add_ledger_entry(
        customer.id, loyalty.LedgerKind.EARN.value, points, order_id, "order"
    )
    if entry is None:
        return 0
    await uow.add_event(
        customer_event(
            "ucg.customer.points_earned.v1", customer.id, orderId=str(order_id), points=points
        )
    )
    return points


async def adjust_points(
    uow: CustomerUnitOfWork,
    principal: Principal | None,
    customer_id: uuid.UUID,
    kind: loyalty.LedgerKind,
    points: int,
    reason: str,
) -> loyalty.LoyaltyStatus:
    """Staff: ADJUST (signed), REDEEM or EXPIRE (positive count taken off)."""
    require_roles(principal, Role.SUPPORT, Role.STORE_ASSOCIATE, Role.POS)
    customer = await live_customer(uow, customer_id, lock=True)
    status = await loyalty_status(uow, customer.id)
    if kind is loyalty.LedgerKind.ADJUST:
        loyalty.check_adjustment(status.balance, points, reason)
        delta = points
    elif kind in (loyalty.LedgerKind.REDEEM, loyalty.LedgerKind.EXPIRE):
        loyalty.check_redeem(status.balance, points)
        delta = -points
    else:
        raise DomainError(ErrorCode.INVALID, "Points are earned by orders.", ["kind"])
    await uow.customers.add_ledger_entry(customer.id, kind.value, delta, None, reason.strip()[:200])
    await uow.add_event(
        customer_event("ucg.customer.points_changed.v1", customer.id, kind=kind.value, points=delta)
    )
    return await loyalty_status(uow, customer.id)


async def expire_inactive_points(
    uow: CustomerUnitOfWork, customer_id: uuid.UUID, now: datetime
) -> int:
    """Book an EXPIRE of the whole balance if the account has been inactive too long.
    Safe to run again and again (a scheduler's job): an empty balance expires nothing."""
    customer = await uow.customers.get(customer_id, lock=True)
    if customer is None:
        raise customer_not_found(["customer_id"])
    entries = await uow.customers.ledger(customer.id)
    status = loyalty.status_from_entries([(e.kind, e.points) for e in entries])
    active = [
        e.created_at
        for e in entries
        if e.kind in (loyalty.LedgerKind.EARN, loyalty.LedgerKind.REDEEM)
    ]
    lapsed = loyalty.points_to_expire(status.balance, max(active, default=None), now)
    if lapsed == 0:
        return 0
    await uow.customers.add_ledger_entry(
        customer.id, loyalty.LedgerKind.EXPIRE.value, -lapsed, None, "inactivity"
    )
    await uow.add_event(
        customer_event("ucg.customer.points_changed.v1", customer.id, kind="EXPIRE", points=-lapsed)
    )
    return lapsed


REVERSAL_PREFIX = "reversal:"


async def reverse_points(
    uow: CustomerUnitOfWork,
    customer_id: uuid.UUID,
    order_id: uuid.UUID,
    given_back_minor: int,
    total_minor: int,
    key: str,
) -> int:
    """Take back the points of an order's money given back (cancelled or refunded).

    `given_back_minor` is ALL the order has given back so far, so the reversals of
    one order add up to `earned * given_back // total` however the money came back
    (a whole cancel takes back everything earned), and a retry (same `key`, or a
    later call with no new money) takes nothing more. Never below a zero balance:
    points already redeemed stay spent. An ADJUST entry linked to the order, so
    the tier (lifetime earned) is not lowered."""
    customer = await _survivor(uow, customer_id)
    entries = await uow.customers.ledger(customer.id)
    reason = f"{REVERSAL_PREFIX}{key}"[:200]
    mine = [e for e in entries if e.order_id == order_id]
    earned = sum(e.points for e in mine if e.kind is loyalty.LedgerKind.EARN)
    if earned <= 0 or total_minor <= 0 or any(e.reason == reason for e in mine):
        return 0
    reversed_before = -sum(
        e.points
        for e in mine
        if e.kind is loyalty.LedgerKind.ADJUST and e.reason.startswith(REVERSAL_PREFIX)
    )
    target = earned * min(max(given_back_minor, 0), total_minor) // total_minor
    balance = sum(e.points for e in entries)
    points = min(target - reversed_before, balance)
    if points <= 0:
        return 0
    await uow.customers.add_ledger_entry(
        customer.id, loyalty.LedgerKind.ADJUST.value, -points, order_id, reason
    )
    await uow.add_event(
        customer_event("ucg.customer.points_changed.v1", customer.id, kind="ADJUST", points=-points)
    )
    return points
