"""Settlement use-cases over an in-memory payment store and a scripted gateway: what
is skipped, and how a gateway failure becomes a typed error before anything is saved."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from domain.errors import DomainError, ErrorCode
from domain.order.fulfillment import OrderStatus
from domain.order.model import Order
from domain.order.payment_records import PaymentCall
from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    PaymentFailureCode,
    Refunded,
    Voided,
)
from domain.order.settlement import PaymentState, PaymentStatus, capture_owed, give_back

ORDER = uuid.UUID(int=7)
F = PaymentFailureCode


def order_paid_by(*payments: PaymentState) -> Order:
    """The Order aggregate with these payments (capture_owed reads them from it)."""
    return Order(ORDER, 1001, None, None, OrderStatus.FULFILLED, False, "EUR", 0, (), (), payments)


def payment(n: int, status: str, amount: int, owed: int, captured: int = 0) -> PaymentState:
    return PaymentState(
        uuid.UUID(int=n), f"auth-{n}", PaymentStatus(status), "EUR", amount, owed, captured, 0
    )


class FakePayments:
    def __init__(self, *payments: PaymentState) -> None:
        self.rows = {p.id: p for p in payments}
        self.saved: list[PaymentState] = []
        self.recorded: list[tuple[PaymentCall, str]] = []

    async def payments_for_update(self, order_id: uuid.UUID) -> list[PaymentState]:
        return list(self.rows.values())

    async def save_payment(self, payment: PaymentState) -> None:
        self.rows[payment.id] = payment
        self.saved.append(payment)

    async def record_call(self, call: PaymentCall, key: str, *_: object, **__: object) -> None:
        self.recorded.append((call, key))


class FakeUow:
    def __init__(self, *payments: PaymentState) -> None:
        self.payments = FakePayments(*payments)


class ScriptedGateway:
    """Answers each call with the failure given for it, else succeeds; records the calls."""

    def __init__(self, **failures: PaymentFailureCode) -> None:
        self.failures = failures
        self.calls: list[tuple[str, str, int]] = []

    def _failure(self, op: str) -> PaymentFailure | None:
        code = self.failures.get(op)
        return PaymentFailure(code, "scripted") if code else None

    async def authorize(
        self, amount: PaymentAmount, card_token: str, idempotency_key: str
    ) -> Authorized | PaymentFailure:
        raise AssertionError("settlement never authorizes")

    async def capture(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Captured | PaymentFailure:
        self.calls.append(("capture", authorization_id, amount.amount_minor))
        failure = self._failure("capture")
        return failure or Captured("c", authorization_id, amount, amount.amount_minor)

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        self.calls.append(("void", authorization_id, 0))
        return self._failure("void") or Voided(authorization_id, 1)

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure:
        self.calls.append(("refund", authorization_id, amount.amount_minor))
        failure = self._failure("refund")
        return failure or Refunded("r", authorization_id, amount, amount.amount_minor)


async def test_a_negative_amount_is_refused_before_any_payment_is_read() -> None:
    uow = FakeUow(payment(1, "AUTHORIZED", 1000, 1000))
    gateway = ScriptedGateway()
    with pytest.raises(DomainError) as caught:
        await give_back(uow, gateway, ORDER, -1, "cancel:x")
    assert caught.value.code is ErrorCode.INVALID
    assert gateway.calls == [] and uow.payments.saved == []


async def test_voided_payments_are_left_alone_and_the_amount_goes_to_the_next() -> None:
    voided = payment(1, "VOIDED", 500, 0)
    captured = payment(2, "CAPTURED", 1000, 1000, captured=1000)
    uow = FakeUow(voided, captured)
    gateway = ScriptedGateway()
    settlement = await give_back(uow, gateway, ORDER, 300, "return:r")
    assert (settlement.refunded_minor, settlement.voided) == (300, False)
    assert gateway.calls == [("refund", "auth-2", 300)]
    assert uow.payments.rows[voided.id] == voided
    assert uow.payments.rows[captured.id] == replace(captured, owed_minor=700, refunded_minor=300)


async def test_a_failed_refund_is_a_typed_error_and_saves_nothing() -> None:
    uow = FakeUow(payment(1, "CAPTURED", 1000, 1000, captured=1000))
    gateway = ScriptedGateway(refund=F.PROCESSING_ERROR)
    with pytest.raises(DomainError) as caught:
        await give_back(uow, gateway, ORDER, 400, "return:r")
    assert caught.value.code is ErrorCode.PAYMENT_FAILED
    assert uow.payments.saved == []


async def test_a_failed_void_other_than_already_voided_is_a_typed_error() -> None:
    uow = FakeUow(payment(1, "AUTHORIZED", 1000, 1000))
    gateway = ScriptedGateway(void=F.UNKNOWN_AUTHORIZATION)
    with pytest.raises(DomainError) as caught:
        await give_back(uow, gateway, ORDER, 1000, "cancel:x")
    assert caught.value.code is ErrorCode.PAYMENT_FAILED
    assert "UNKNOWN_AUTHORIZATION" in caught.value.message
    assert uow.payments.saved == []


async def test_an_already_voided_authorization_counts_as_released() -> None:
    uow = FakeUow(payment(1, "AUTHORIZED", 1000, 1000))
    gateway = ScriptedGateway(void=F.ALREADY_VOIDED)
    settlement = await give_back(uow, gateway, ORDER, 1000, "cancel:x")
    assert (settlement.refunded_minor, settlement.voided) == (0, False)
    assert uow.payments.saved[0].status is PaymentStatus.VOIDED


async def test_capture_takes_only_authorized_payments_that_owe_something() -> None:
    owing = payment(1, "AUTHORIZED", 1000, 600)
    nothing_owed = payment(2, "AUTHORIZED", 500, 0)
    done = payment(3, "CAPTURED", 400, 400, captured=400)
    uow = FakeUow(owing, nothing_owed, done)
    gateway = ScriptedGateway()
    order = order_paid_by(owing, nothing_owed, done)
    assert await capture_owed(uow, gateway, order, ["input"]) == 600
    assert gateway.calls == [("capture", "auth-1", 600)]
    assert uow.payments.saved == [replace(owing, status=PaymentStatus.CAPTURED, captured_minor=600)]


async def test_a_declined_capture_names_the_callers_field_and_saves_nothing() -> None:
    uow = FakeUow(payment(1, "AUTHORIZED", 1000, 1000))
    gateway = ScriptedGateway(capture=F.CARD_DECLINED)
    with pytest.raises(DomainError) as caught:
        await capture_owed(
            uow, gateway, order_paid_by(*uow.payments.rows.values()), ["input", "status"]
        )
    assert (caught.value.code, caught.value.field) == (
        ErrorCode.PAYMENT_DECLINED,
        ["input", "status"],
    )
    assert uow.payments.saved == []


async def test_a_whole_cancel_before_capture_is_a_pure_void() -> None:
    uow = FakeUow(payment(1, "AUTHORIZED", 1000, 1000))
    gateway = ScriptedGateway()
    settlement = await give_back(uow, gateway, ORDER, 1000, "cancel:x")
    assert (settlement.refunded_minor, settlement.voided) == (0, True)
    assert gateway.calls == [("void", "auth-1", 0)]
    assert (
        uow.payments.saved[0].status is PaymentStatus.VOIDED
        and uow.payments.saved[0].owed_minor == 0
    )
