"""Return anywhere (BORIS, issue 17 item 3): an order (online or from another till)
returned at a store's counter, asked for and received in ONE transaction.

It is the returns machinery (domain/order/returns.py), not a copy: `create_return`
plans what may come back and the refund (delivered or picked up, within 30 days, not
more than was bought: NOT_RETURNABLE), then `receive_return` at THIS store puts the
resellable units on hand here (RETURNED movement; DAMAGED/DEFECTIVE are not restocked),
refunds the original payment and takes the order's points back; the returns row records
the store (`location_id`), which is what the cross-channel share counts.

A till sale of another store (an order on the POS channel handed over elsewhere) is
NOT_RETURNABLE here: POS-only items go back where they were sold.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from domain.auth import Principal, Role, require_roles
from domain.errors import DomainError, ErrorCode, NotFound
from domain.order.aftersale import LineQuantity, ReturnReason
from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    PaymentGateway,
    Refunded,
    Voided,
)
from domain.order.returns import (
    ReturnRecord,
    ReturnStatus,
    ReturnUnitOfWork,
    create_return,
    receive_return,
)
from domain.store.pos_service import DEFAULT_CHANNEL, STORE_KINDS


@dataclass(frozen=True)
class StoreReturnShare:
    location_id: uuid.UUID
    received: int  # returns received at this store
    cross_channel: int  # of them, orders not sold at a till (online, app...)


class BorisRepository(Protocol):
    async def store(self, location_id: uuid.UUID) -> tuple[str, str] | None: ...
    async def pos_sale_locations(
        self, order_id: uuid.UUID, pos_channel: str
    ) -> list[uuid.UUID]: ...
    async def return_share(self, location_id: uuid.UUID, pos_channel: str) -> tuple[int, int]: ...


class BorisUnitOfWork(ReturnUnitOfWork, Protocol):
    @property
    def pos(self) -> BorisRepository: ...


CASH = "cash"  # the authorization id of a till sale's cash payment (store_pos.py)


class TillGateway:
    """The payment port as a till sees it: a cash payment is given back from the
    drawer, never sent to the card provider; anything else goes to `card`."""

    def __init__(self, card: PaymentGateway) -> None:
        self._card = card

    async def authorize(
        self, amount: PaymentAmount, card_token: str, idempotency_key: str
    ) -> Authorized | PaymentFailure:
        return await self._card.authorize(amount, card_token, idempotency_key)

    async def capture(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Captured | PaymentFailure:
        return await self._card.capture(authorization_id, amount, idempotency_key)

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        if authorization_id == CASH:
            return Voided(CASH, 0)
        return await self._card.void(authorization_id, idempotency_key)

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure:
        if authorization_id == CASH:
            return Refunded(f"cash:{idempotency_key}", CASH, amount, amount.amount_minor)
        return await self._card.refund(authorization_id, amount, idempotency_key)

    async def authorization_for(self, idempotency_key: str) -> Authorized | None:
        return await self._card.authorization_for(idempotency_key)


async def return_at_store(
    uow: BorisUnitOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    *,
    location_id: uuid.UUID,
    order_id: uuid.UUID,
    lines: Sequence[LineQuantity],
    reason: ReturnReason,
    note: str | None,
    idempotency_key: str,
    now: datetime,
) -> ReturnRecord:
    caller = require_roles(principal, Role.POS, Role.STORE_ASSOCIATE)
    store = await uow.pos.store(location_id)
    if store is None or store[1] not in STORE_KINDS:
        raise NotFound("Location", ["location_id"])
    sold_at = await uow.pos.pos_sale_locations(order_id, caller.channel or DEFAULT_CHANNEL)
    if sold_at and location_id not in sold_at:
        raise DomainError(
            ErrorCode.NOT_RETURNABLE,
            "A till sale goes back to the store that sold it.",
            ["order_id"],
        )
    record = await create_return(
        uow, caller, order_id, lines, reason, note, f"boris:{idempotency_key}", now
    )
    if record.status != ReturnStatus.REQUESTED:
        return record  # a replay of a return already taken back
    # The till receives what it took back: a POS key receives at its own counter as an
    # associate would (receive_return's roles), for this return only.
    receiver = replace(caller, roles=caller.roles | {Role.STORE_ASSOCIATE})
    till = TillGateway(payments)
    return await receive_return(uow, receiver, till, record.id, location_id, now)


async def store_return_share(
    uow: BorisUnitOfWork, principal: Principal | None, location_id: uuid.UUID
) -> StoreReturnShare:
    require_roles(principal, Role.POS, Role.STORE_ASSOCIATE, Role.SUPPORT)
    received, cross = await uow.pos.return_share(location_id, DEFAULT_CHANNEL)
    return StoreReturnShare(location_id, received, cross)
