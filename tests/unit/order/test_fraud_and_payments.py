"""Risk rules and the built-in test payment provider."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasources.payments.test_provider import TestPaymentProvider
from domain.errors import DomainError, ErrorCode
from domain.order.fraud import RiskInput, RiskPolicy, RiskReason, assess
from domain.order.payments import PaymentStatus


def test_a_regular_order_passes() -> None:
    result = assess(
        RiskInput(
            total_minor=5_000,
            previous_orders=3,
            largest_previous_total_minor=8_000,
            account_age_days=400,
            billing_country="NL",
            shipping_country="NL",
        )
    )
    assert result.score == 0 and result.reasons == () and not result.hold


def test_each_rule_names_its_reason() -> None:
    cases = {
        RiskReason.VELOCITY_CUSTOMER: RiskInput(1_000, orders_last_hour_by_customer=3),
        RiskReason.VELOCITY_CARD: RiskInput(1_000, orders_last_hour_by_card=5),
        RiskReason.VELOCITY_ADDRESS: RiskInput(1_000, orders_last_hour_to_address=4),
        RiskReason.HIGH_VALUE: RiskInput(250_000),
        RiskReason.ADDRESS_MISMATCH: RiskInput(1_000, billing_country="NL", shipping_country="DE"),
        RiskReason.NEW_ACCOUNT: RiskInput(1_000, account_age_days=0),
    }
    for reason, order in cases.items():
        assert assess(order).reasons == (reason,)
    # a high value in line with the customer's history is not suspicious
    assert (
        assess(RiskInput(250_000, previous_orders=4, largest_previous_total_minor=200_000)).reasons
        == ()
    )


def test_combined_signals_put_the_order_on_hold() -> None:
    result = assess(RiskInput(300_000, orders_last_hour_by_card=4, account_age_days=0))
    assert result.hold and result.score >= RiskPolicy().hold_threshold
    assert set(result.reasons) == {
        RiskReason.HIGH_VALUE,
        RiskReason.VELOCITY_CARD,
        RiskReason.NEW_ACCOUNT,
    }


@given(st.integers(0, 10**7), st.integers(0, 10), st.integers(0, 10), st.integers(0, 10))
def test_score_is_bounded_and_monotonic(
    total: int, by_customer: int, by_card: int, age: int
) -> None:
    base = assess(RiskInput(total, by_customer, by_card, account_age_days=age))
    worse = assess(RiskInput(total, by_customer + 5, by_card + 5, account_age_days=age))
    assert 0 <= base.score <= worse.score <= 100
    assert base.hold == (base.score >= 60)


async def test_payment_provider_lifecycle() -> None:
    provider = TestPaymentProvider()
    auth = await provider.authorize("tok_visa", 10_00, "EUR", "k1")
    assert auth.ok and auth.status is PaymentStatus.AUTHORIZED
    assert await provider.authorize("tok_visa", 10_00, "EUR", "k1") == auth  # idempotent
    with pytest.raises(DomainError):
        await provider.capture(auth.reference, 11_00, "c0")
    captured = await provider.capture(auth.reference, 10_00, "c1")
    assert captured.status is PaymentStatus.CAPTURED
    with pytest.raises(DomainError) as void_after_capture:
        await provider.void(auth.reference, "v1")
    assert void_after_capture.value.code is ErrorCode.INVALID_TRANSITION
    partial = await provider.refund(auth.reference, 4_00, "r1")
    assert partial.status is PaymentStatus.PARTIALLY_REFUNDED
    rest = await provider.refund(auth.reference, 6_00, "r2")
    assert rest.status is PaymentStatus.REFUNDED
    with pytest.raises(DomainError):
        await provider.refund(auth.reference, 1, "r3")


async def test_payment_declines_and_voids() -> None:
    provider = TestPaymentProvider()
    for token, reason in [
        ("tok_declined", "card_declined"),
        ("tok_insufficient_funds", "insufficient_funds"),
        ("tok_whatever", "unknown_token"),
    ]:
        result = await provider.authorize(token, 500, "EUR", token)
        assert not result.ok and result.decline_reason == reason
    auth = await provider.authorize("tok_mastercard", 500, "EUR", "m1")
    voided = await provider.void(auth.reference, "v1")
    assert voided.status is PaymentStatus.VOIDED
    assert await provider.void(auth.reference, "v1") == voided
    with pytest.raises(DomainError):
        await provider.capture(auth.reference, 100, "c1")
    with pytest.raises(DomainError) as missing:
        await provider.capture("pay_nope", 1, "c2")
    assert missing.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(DomainError):
        await provider.authorize("tok_visa", 0, "EUR", "zero")
