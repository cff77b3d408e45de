"""Settling an order's payments when what the buyer owes changes.

After a cancellation or a received return, the amount owed drops by the money
given back for those units (`aftersale.LineGivenBack.amount_minor`, plus the
shipping given back). `give_back()` lowers what is owed and settles with the
payment service in the same transaction as the change (a failure rolls the
change back): money already captured beyond what is owed is refunded, and if
nothing more will be captured the uncaptured rest of the authorization is
voided (before any capture, a whole cancel is a pure void). `capture_owed()`
is the capture at the first handover: it takes what is owed, not the
authorized amount, so a line cancelled before shipping is never charged.

Idempotency keys sent to the payment service are derived from the caller's
`key` (e.g. "cancel:<id>", then `payments.provider_key`), so a retried
settlement is not paid twice. Every call the service made is recorded
(`record_call`, table payment_transactions) in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from domain.errors import DomainError, ErrorCode
from domain.order.aftersale import payment_adjustment
from domain.order.payment_records import PaymentCall, PaymentCallLog
from domain.order.payments import (
    Captured,
    PaymentAmount,
    PaymentFailureCode,
    PaymentGateway,
    Refunded,
    Voided,
    provider_key,
)

if TYPE_CHECKING:
    from domain.order.model import Order


class PaymentStatus(StrEnum):
    """An order payment's status (`payments.status`, CHECK in 0006_orders.sql)."""

    AUTHORIZED = "AUTHORIZED"  # nothing captured yet
    CAPTURED = "CAPTURED"  # captured (in part or in full)
    VOIDED = "VOIDED"  # the uncaptured rest released
    REFUNDED = "REFUNDED"  # everything captured was refunded


@dataclass(frozen=True)
class PaymentState:
    id: uuid.UUID
    authorization_id: str
    status: PaymentStatus
    currency_code: str
    amount_minor: int  # authorized
    owed_minor: int
    captured_minor: int
    refunded_minor: int
    provider: str = ""  # card / cash / the provider's name


@dataclass(frozen=True)
class Settlement:
    refunded_minor: int  # refunded now
    voided: bool  # the uncaptured rest was released now


class PaymentRepository(PaymentCallLog, Protocol):
    async def payments_for_update(self, order_id: uuid.UUID) -> list[PaymentState]: ...
    async def save_payment(self, payment: PaymentState) -> None: ...


class SettlementUnitOfWork(Protocol):
    @property
    def payments(self) -> PaymentRepository: ...


async def give_back(
    uow: SettlementUnitOfWork,
    gateway: PaymentGateway,
    order_id: uuid.UUID,
    amount_minor: int,
    key: str,
) -> Settlement:
    """Lower what is owed on the order by `amount_minor` and settle with the gateway.

    Every void comes before any refund: a void that fails then rolls back a
    settlement that has not moved money yet, so no refund the payment service
    made can be lost by the rollback. A void is asked for at most once per
    authorization: ALREADY_VOIDED (a later settlement of an order whose rest was
    released earlier) counts as done."""
    if amount_minor < 0:
        raise DomainError(ErrorCode.INVALID, "An amount given back must not be negative.")
    plans: list[tuple[PaymentState, PaymentState, int]] = []  # before, after, to refund
    voided = False
    left = amount_minor
    for payment in await uow.payments.payments_for_update(order_id):
        if payment.status is PaymentStatus.VOIDED:
            continue
        take = min(left, payment.owed_minor)
        left -= take
        owed = payment.owed_minor - take
        adjustment = payment_adjustment(
            authorized_minor=payment.amount_minor,
            captured_minor=payment.captured_minor,
            refunded_minor=payment.refunded_minor,
            new_total_minor=owed,
        )
        updated = replace(payment, owed_minor=owed)
        if adjustment.void_remaining and payment.status in (
            PaymentStatus.AUTHORIZED,
            PaymentStatus.CAPTURED,
        ):
            if payment.captured_minor < payment.amount_minor:
                voided = await _void_once(uow, gateway, order_id, payment, key) or voided
            if payment.captured_minor == 0:
                updated = replace(updated, status=PaymentStatus.VOIDED)
        plans.append((payment, updated, adjustment.refund_minor))
    refunded = 0
    for payment, updated, refund in plans:
        if refund > 0:
            money = PaymentAmount(refund, payment.currency_code)
            refund_key = f"{key}:refund:{payment.id}"
            result = await gateway.refund(payment.authorization_id, money, provider_key(refund_key))
            if not isinstance(result, Refunded):
                raise result.to_domain_error()
            await uow.payments.record_call(
                PaymentCall.REFUND,
                refund_key,
                money,
                authorization_id=payment.authorization_id,
                reference=result.refund_id,
                order_id=order_id,
            )
            refunded += refund
            total_refunded = payment.refunded_minor + refund
            updated = replace(
                updated,
                refunded_minor=total_refunded,
                status=PaymentStatus.REFUNDED
                if total_refunded == payment.captured_minor
                else updated.status,
            )
        await uow.payments.save_payment(updated)
    return Settlement(refunded, voided)


async def _void_once(
    uow: SettlementUnitOfWork,
    gateway: PaymentGateway,
    order_id: uuid.UUID,
    payment: PaymentState,
    key: str,
) -> bool:
    """Release the uncaptured rest; False if an earlier settlement already did."""
    void_key = f"{key}:void:{payment.id}"
    result = await gateway.void(payment.authorization_id, provider_key(void_key))
    if isinstance(result, Voided):
        await uow.payments.record_call(
            PaymentCall.VOID,
            void_key,
            PaymentAmount(result.released_minor, payment.currency_code),
            authorization_id=payment.authorization_id,
            reference=None,
            order_id=order_id,
        )
        return True
    if result.code is PaymentFailureCode.ALREADY_VOIDED:
        return False
    raise result.to_domain_error()


async def capture_owed(
    uow: SettlementUnitOfWork, gateway: PaymentGateway, order: Order, field: list[str]
) -> int:
    """Capture what is owed on the payments the order says are due
    (`Order.capture_owed`, read under the order's lock); return the amount captured."""
    captured = 0
    for payment in order.capture_owed():
        money = PaymentAmount(payment.owed_minor, payment.currency_code)
        capture_key = f"capture:{payment.id}"
        result = await gateway.capture(payment.authorization_id, money, provider_key(capture_key))
        if not isinstance(result, Captured):
            raise result.to_domain_error(field)
        await uow.payments.record_call(
            PaymentCall.CAPTURE,
            capture_key,
            money,
            authorization_id=payment.authorization_id,
            reference=result.capture_id,
            order_id=order.id,
        )
        captured += payment.owed_minor
        await uow.payments.save_payment(
            replace(
                payment, status=PaymentStatus.CAPTURED, captured_minor=result.captured_total_minor
            )
        )
    return captured
