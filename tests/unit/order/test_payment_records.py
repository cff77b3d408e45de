"""`void_unplaced` over in-memory records: what it leaves alone and how it reports."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from datasources.payments.test_provider import TestPaymentProvider
from domain.errors import DomainError, ErrorCode
from domain.order.payment_records import AttemptState, AuthorizationAttempt, void_unplaced
from domain.order.payments import PaymentAmount, provider_key

EUR = PaymentAmount(1000, "EUR")


class Records:
    def __init__(self, attempt: AuthorizationAttempt | None) -> None:
        self.attempt = attempt
        self.calls: list[str] = []

    async def attempt_for_update(self, key: str) -> AuthorizationAttempt | None:
        return self.attempt

    async def settle_attempt(self, attempt_id: uuid.UUID, state: AttemptState, **_: object) -> None:
        assert self.attempt is not None
        self.attempt = replace(self.attempt, state=state)

    async def record_call(self, call: object, key: str, *_: object, **__: object) -> None:
        self.calls.append(key)


class Orders:
    def __init__(self, placed: bool) -> None:
        self.placed = placed
        self.locked: list[str] = []

    async def lock_idempotency_key(self, key: str) -> None:
        self.locked.append(key)

    async def order_id_by_idempotency_key(self, key: str) -> uuid.UUID | None:
        return uuid.UUID(int=1) if self.placed else None


class Uow:
    def __init__(self, attempt: AuthorizationAttempt | None, placed: bool = False) -> None:
        self.payments = Records(attempt)
        self.orders = Orders(placed)


def attempt(authorization_id: str | None) -> AuthorizationAttempt:
    return AuthorizationAttempt(
        uuid.uuid4(), "checkout:k1", EUR, AttemptState.AUTHORIZED, authorization_id
    )


async def test_an_unknown_key_or_a_placed_order_is_left_alone() -> None:
    gateway = TestPaymentProvider()
    missing = Uow(None)
    assert await void_unplaced(missing, gateway, "checkout:k1") is None  # type: ignore[arg-type]
    assert missing.orders.locked == ["k1"]
    placed = Uow(attempt("auth_x"), placed=True)
    assert await void_unplaced(placed, gateway, "checkout:k1") is None  # type: ignore[arg-type]
    assert placed.payments.attempt is not None
    assert placed.payments.attempt.state is AttemptState.AUTHORIZED


async def test_an_already_voided_authorization_counts_as_voided_and_others_raise() -> None:
    gateway = TestPaymentProvider()
    auth = await gateway.authorize(EUR, "tok_visa", provider_key("checkout:k1"))
    assert not hasattr(auth, "code")
    await gateway.void(auth.authorization_id, "elsewhere")  # type: ignore[union-attr]
    uow = Uow(attempt(None))
    assert await void_unplaced(uow, gateway, "checkout:k1") is AttemptState.VOIDED  # type: ignore[arg-type]
    assert uow.payments.calls == ["void:checkout:k1"]
    unknown = Uow(attempt("auth_nobody_knows"))
    with pytest.raises(DomainError) as caught:
        await void_unplaced(unknown, gateway, "checkout:k1")  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.PAYMENT_FAILED
