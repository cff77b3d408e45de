"""Our record of every call to the payment service (table payment_transactions).

A checkout's authorization is an `AuthorizationAttempt`: written PENDING before
the provider is asked (outside any transaction), then AUTHORIZED with its order
in the transaction that places the order, FAILED on a decline, or VOIDED when
the order did not commit. Captures, voids and refunds of placed orders are
written in the transaction that decides them (settlement.py). An attempt still
PENDING or AUTHORIZED without an order after a grace period is an orphan (the
process died between authorize and commit): `void_unplaced` gives it back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.order.payments import (
    PaymentAmount,
    PaymentFailureCode,
    PaymentGateway,
    Voided,
    provider_key,
)


class AttemptState(StrEnum):
    PENDING = "PENDING"  # asked; no answer recorded (in flight, timed out, or crashed)
    AUTHORIZED = "AUTHORIZED"
    FAILED = "FAILED"
    VOIDED = "VOIDED"


class PaymentCall(StrEnum):
    AUTHORIZE = "AUTHORIZE"
    CAPTURE = "CAPTURE"
    VOID = "VOID"
    REFUND = "REFUND"


OPEN_STATES = frozenset({AttemptState.PENDING, AttemptState.AUTHORIZED})


@dataclass(frozen=True)
class AuthorizationAttempt:
    id: uuid.UUID
    idempotency_key: str  # ours, "checkout:<the checkout's key>"
    amount: PaymentAmount
    state: AttemptState
    authorization_id: str | None = None
    order_id: uuid.UUID | None = None

    @property
    def provider_key(self) -> str:
        return provider_key(self.idempotency_key)


class PaymentCallLog(Protocol):
    async def record_call(
        self,
        call: PaymentCall,
        key: str,
        amount: PaymentAmount,
        *,
        authorization_id: str,
        reference: str | None,
        order_id: uuid.UUID | None,
    ) -> None:
        """A capture/void/refund the service made, in the deciding transaction."""
        ...


class PaymentRecords(PaymentCallLog, Protocol):
    async def start_authorization(
        self, key: str, provider: str, amount: PaymentAmount
    ) -> AuthorizationAttempt:
        """The attempt with this key: a new PENDING one, or the one a retry finds."""
        ...

    async def attempt_for_update(self, key: str) -> AuthorizationAttempt | None: ...

    async def settle_attempt(
        self,
        attempt_id: uuid.UUID,
        state: AttemptState,
        *,
        authorization_id: str | None = None,
        order_id: uuid.UUID | None = None,
        failure_code: str | None = None,
    ) -> None:
        """Move a PENDING or AUTHORIZED attempt (never a FAILED or VOIDED one)."""
        ...

    async def orphan_attempts(self, created_before: datetime, limit: int) -> list[str]:
        """Keys of PENDING/AUTHORIZED attempts without an order, created before then."""
        ...


class IdempotencyLocks(Protocol):
    async def lock_idempotency_key(self, key: str) -> None: ...
    async def order_id_by_idempotency_key(self, key: str) -> uuid.UUID | None: ...


class PaymentRecordsUnitOfWork(Protocol):
    @property
    def payments(self) -> PaymentRecords: ...
    @property
    def orders(self) -> IdempotencyLocks: ...


async def void_unplaced(
    uow: PaymentRecordsUnitOfWork, gateway: PaymentGateway, key: str
) -> AttemptState | None:
    """Give back the authorization of attempt `key` if its order never committed.

    Holds the checkout's idempotency lock (the one placing the order takes), so it
    cannot void an authorization an order is committing with. A PENDING attempt
    asks the provider what the authorize call with its key did. Returns the
    attempt's new state (None: nothing to do). A failed void raises the typed
    error; the attempt stays open and the sweeper tries again."""
    checkout_key = key.removeprefix("checkout:")
    # The idempotency lock first, then the row: the order that commits takes them so.
    await uow.orders.lock_idempotency_key(checkout_key)
    attempt = await uow.payments.attempt_for_update(key)
    if attempt is None or attempt.state not in OPEN_STATES or attempt.order_id is not None:
        return None
    if await uow.orders.order_id_by_idempotency_key(checkout_key) is not None:
        return None  # placed by a concurrent retry with the same authorization
    authorization_id = attempt.authorization_id
    if authorization_id is None:
        found = await gateway.authorization_for(attempt.provider_key)
        if found is None:
            await uow.payments.settle_attempt(
                attempt.id, AttemptState.FAILED, failure_code="NOT_AUTHORIZED"
            )
            return AttemptState.FAILED
        authorization_id = found.authorization_id
    void_key = f"void:{key}"
    result = await gateway.void(authorization_id, provider_key(void_key))
    if not isinstance(result, Voided) and result.code is not PaymentFailureCode.ALREADY_VOIDED:
        raise result.to_domain_error()
    await uow.payments.settle_attempt(
        attempt.id, AttemptState.VOIDED, authorization_id=authorization_id
    )
    await uow.payments.record_call(
        PaymentCall.VOID,
        void_key,
        attempt.amount,
        authorization_id=authorization_id,
        reference=None,
        order_id=None,
    )
    return AttemptState.VOIDED
