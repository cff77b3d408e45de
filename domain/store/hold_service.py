"""storeHoldCreate / storeHoldCancel over a unit of work, each one transaction.

The units are taken with `inventory.services.reserve` at the store (one
conditional UPDATE per line: OUT_OF_STOCK names the line, nothing else stays
held) and given back with `release_reservation`; the reservation sweeper
expires a hold past its TTL and puts its stock back (reason EXPIRED), so there is
no second expiry path to keep in step.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from domain.auth import Principal
from domain.errors import NotFound
from domain.inventory.rules import ReservationLine
from domain.inventory.services import release_reservation, reserve
from domain.ports import UnitOfWork
from domain.store.holds import (
    HoldLine,
    StoreHold,
    check_cancellable,
    check_hold_location,
    check_ttl,
    hold_cancelled,
    hold_customer,
    hold_placed,
    may_manage_hold,
)


class HoldRepository(Protocol):
    async def location_kind(self, location_id: uuid.UUID) -> str | None: ...
    async def customer_exists(self, customer_id: uuid.UUID) -> bool: ...
    async def add_hold(
        self,
        reservation_id: uuid.UUID,
        location_id: uuid.UUID,
        customer_id: uuid.UUID,
        now: datetime,
    ) -> uuid.UUID: ...
    async def hold_for_update(self, hold_id: uuid.UUID) -> StoreHold | None: ...
    async def mark_cancelled(self, hold_id: uuid.UUID, now: datetime) -> None: ...


class HoldUnitOfWork(UnitOfWork, Protocol):
    @property
    def holds(self) -> HoldRepository: ...


async def place_hold(
    uow: HoldUnitOfWork,
    principal: Principal | None,
    location_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    lines: Sequence[ReservationLine],
    ttl_minutes: int,
    now: datetime,
) -> StoreHold:
    customer = hold_customer(principal, customer_id)
    check_ttl(ttl_minutes)
    if not await uow.holds.customer_exists(customer):
        raise NotFound("Customer", ["customer_id"])
    check_hold_location(await uow.holds.location_kind(location_id))
    reservation = await reserve(
        uow,
        lines,
        location_id=location_id,
        ttl_seconds=ttl_minutes * 60,
        reference=f"store-hold:{customer}",
    )
    hold_id = await uow.holds.add_hold(reservation.id, location_id, customer, now)
    hold = StoreHold(
        id=hold_id,
        reservation_id=reservation.id,
        location_id=location_id,
        customer_id=customer,
        reservation_status=reservation.status.value,
        expires_at=reservation.expires_at,
        created_at=now,
        cancelled_at=None,
        lines=tuple(HoldLine(line.sku, line.quantity) for line in lines),
    )
    await uow.add_event(hold_placed(hold))
    return hold


async def cancel_hold(
    uow: HoldUnitOfWork, principal: Principal | None, hold_id: uuid.UUID, now: datetime
) -> StoreHold:
    """The customer, or staff with the ORDERS scope; anyone else NOT_FOUND."""
    hold = await uow.holds.hold_for_update(hold_id)
    if hold is None or not may_manage_hold(principal, hold):
        raise NotFound("StoreHold", ["hold_id"])
    check_cancellable(hold, now)
    reservation = await release_reservation(uow, hold.reservation_id)
    await uow.holds.mark_cancelled(hold.id, now)
    cancelled = replace(hold, reservation_status=reservation.status.value, cancelled_at=now)
    await uow.add_event(hold_cancelled(cancelled))
    return cancelled
