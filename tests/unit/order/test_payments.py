"""The payment port's built-in test provider: tokens, limits, captures, voids, refunds, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasources.payments.test_provider import DECLINING_TOKENS, TestPaymentProvider
from domain.errors import ErrorCode
from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    PaymentFailureCode,
    PaymentGateway,
    Refunded,
    Voided,
)

F = PaymentFailureCode
EUR = "EUR"


def eur(minor: int) -> PaymentAmount:
    return PaymentAmount(minor, EUR)


async def authorized(p: TestPaymentProvider, minor: int = 10_000) -> str:
    result = await p.authorize(eur(minor), "tok_visa", f"auth-{minor}")
    assert isinstance(result, Authorized)
    return result.authorization_id


def test_provider_implements_the_port() -> None:
    gateway: PaymentGateway = TestPaymentProvider()
    assert gateway is not None


@pytest.mark.parametrize("token", ["tok_visa", "tok_mastercard", "tok_amex", "tok_limit_500"])
async def test_approving_tokens(token: str) -> None:
    p = TestPaymentProvider()
    result = await p.authorize(eur(500), token, "k")
    assert isinstance(result, Authorized)
    assert result.amount == eur(500)
    auth = p.authorization(result.authorization_id)
    assert auth is not None and auth.captured_minor == 0


@pytest.mark.parametrize(
    ("token", "code"),
    [
        *((token, code) for token, (code, _) in DECLINING_TOKENS.items()),
        ("tok_limit_499", F.INSUFFICIENT_FUNDS),
        ("tok_limit_x", F.INVALID_CARD_TOKEN),
        ("4242424242424242", F.INVALID_CARD_TOKEN),
    ],
)
async def test_declining_tokens(token: str, code: PaymentFailureCode) -> None:
    result = await TestPaymentProvider().authorize(eur(500), token, "k")
    assert isinstance(result, PaymentFailure)
    assert result.code is code
    error = result.to_domain_error(["payment", "cardToken"])
    expected = (
        ErrorCode.PAYMENT_FAILED if code is F.PROCESSING_ERROR else ErrorCode.PAYMENT_DECLINED
    )
    assert error.code is expected
    assert error.field == ["payment", "cardToken"]
    assert result.retryable == (code is F.PROCESSING_ERROR)


async def test_invalid_amounts_are_refused() -> None:
    p = TestPaymentProvider()
    for amount in (eur(0), eur(-1), PaymentAmount(100, "euro")):
        result = await p.authorize(amount, "tok_visa", f"k{amount}")
        assert isinstance(result, PaymentFailure) and result.code is F.INVALID_AMOUNT
    auth_id = await authorized(p)
    for op in (p.capture, p.refund):
        result = await op(auth_id, eur(0), "z")
        assert isinstance(result, PaymentFailure) and result.code is F.INVALID_AMOUNT


async def test_partial_captures_up_to_the_authorized_amount_then_refunds() -> None:
    p = TestPaymentProvider()
    auth_id = await authorized(p, 10_000)
    first = await p.capture(auth_id, eur(6_000), "cap-1")
    assert isinstance(first, Captured) and first.captured_total_minor == 6_000
    too_much = await p.capture(auth_id, eur(4_001), "cap-2")
    assert isinstance(too_much, PaymentFailure)
    assert too_much.code is F.AMOUNT_EXCEEDS_AUTHORIZED
    assert too_much.to_domain_error().code is ErrorCode.PAYMENT_FAILED
    second = await p.capture(auth_id, eur(4_000), "cap-3")
    assert isinstance(second, Captured) and second.captured_total_minor == 10_000
    refund = await p.refund(auth_id, eur(2_500), "ref-1")
    assert isinstance(refund, Refunded) and refund.refunded_total_minor == 2_500
    over = await p.refund(auth_id, eur(7_501), "ref-2")
    assert isinstance(over, PaymentFailure) and over.code is F.AMOUNT_EXCEEDS_CAPTURED
    fully = await p.void(auth_id, "void-1")
    assert isinstance(fully, PaymentFailure) and fully.code is F.FULLY_CAPTURED


async def test_void_releases_the_rest_and_blocks_later_captures() -> None:
    p = TestPaymentProvider()
    auth_id = await authorized(p, 10_000)
    assert isinstance(await p.capture(auth_id, eur(3_000), "cap"), Captured)
    voided = await p.void(auth_id, "void")
    assert voided == Voided(auth_id, 7_000)
    again = await p.void(auth_id, "void-again")
    assert isinstance(again, PaymentFailure) and again.code is F.ALREADY_VOIDED
    late = await p.capture(auth_id, eur(1), "cap-late")
    assert isinstance(late, PaymentFailure) and late.code is F.ALREADY_VOIDED
    # The captured part can still be refunded.
    assert isinstance(await p.refund(auth_id, eur(3_000), "ref"), Refunded)


async def test_unknown_authorization_currency_mismatch_and_expiry() -> None:
    clock = [datetime(2026, 11, 23, tzinfo=UTC)]
    p = TestPaymentProvider(clock=lambda: clock[0])
    for result in (
        await p.capture("auth_nope", eur(1), "a"),
        await p.void("auth_nope", "b"),
        await p.refund("auth_nope", eur(1), "c"),
    ):
        assert isinstance(result, PaymentFailure) and result.code is F.UNKNOWN_AUTHORIZATION
    auth_id = await authorized(p)
    usd = await p.capture(auth_id, PaymentAmount(100, "USD"), "usd")
    assert isinstance(usd, PaymentFailure) and usd.code is F.CURRENCY_MISMATCH
    clock[0] += timedelta(days=7, seconds=1)
    expired = await p.capture(auth_id, eur(100), "late")
    assert isinstance(expired, PaymentFailure) and expired.code is F.AUTHORIZATION_EXPIRED


async def test_same_key_returns_the_first_answer_and_never_charges_twice() -> None:
    p = TestPaymentProvider()
    first = await p.authorize(eur(1_000), "tok_visa", "checkout-42")
    again = await p.authorize(eur(1_000), "tok_visa", "checkout-42")
    assert first == again
    other = await p.authorize(eur(2_000), "tok_visa", "checkout-42")
    assert isinstance(other, PaymentFailure) and other.code is F.IDEMPOTENCY_CONFLICT
    assert isinstance(first, Authorized)
    auth_id = first.authorization_id
    cap = await p.capture(auth_id, eur(1_000), "cap")
    assert await p.capture(auth_id, eur(1_000), "cap") == cap  # not a second capture
    ref = await p.refund(auth_id, eur(100), "ref")
    assert await p.refund(auth_id, eur(100), "ref") == ref
    auth = p.authorization(auth_id)
    assert auth is not None and (auth.captured_minor, auth.refunded_minor) == (1_000, 100)
    declined = await p.authorize(eur(1), "tok_declined", "d")
    assert await p.authorize(eur(1), "tok_declined", "d") == declined
    # A transient error is not remembered: the same key may succeed on retry.
    transient = await p.authorize(eur(1), "tok_processing_error", "t")
    assert isinstance(transient, PaymentFailure) and transient.retryable
    assert isinstance(await p.authorize(eur(1), "tok_visa", "t"), Authorized)
    second = await authorized(p, 500)
    voided = await p.void(second, "v")
    assert await p.void(second, "v") == voided


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["capture", "refund", "void"]), st.integers(1, 4_000)),
        max_size=12,
    )
)
async def test_random_operations_never_break_the_money_invariants(
    operations: list[tuple[str, int]],
) -> None:
    p = TestPaymentProvider()
    auth_id = await authorized(p, 10_000)
    for index, (op, minor) in enumerate(operations):
        key = f"{op}-{index}"
        if op == "capture":
            await p.capture(auth_id, eur(minor), key)
        elif op == "refund":
            await p.refund(auth_id, eur(minor), key)
        else:
            await p.void(auth_id, key)
        auth = p.authorization(auth_id)
        assert auth is not None
        assert 0 <= auth.refunded_minor <= auth.captured_minor <= 10_000
