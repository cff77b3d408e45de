"""The Postgres-backed test provider answers exactly like the in-memory one, call for
call, including from a second instance on another pool (another process)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from datasources.payments.postgres_provider import PostgresTestProvider
from datasources.payments.test_provider import TestPaymentProvider
from datasources.postgres.pool import create_pool
from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    Refunded,
    Voided,
)
from tests.conftest import TestEnv

EUR = PaymentAmount


def outcome(result: Any) -> tuple[Any, ...]:
    """What a caller can rely on (ids are random)."""
    match result:
        case PaymentFailure(code, _):
            return ("failure", code.value)
        case Authorized(_, amount):
            return ("authorized", amount.amount_minor)
        case Captured(_, _, amount, total):
            return ("captured", amount.amount_minor, total)
        case Voided(_, released):
            return ("voided", released)
        case Refunded(_, _, amount, total):
            return ("refunded", amount.amount_minor, total)
    raise AssertionError(result)


async def script(first: Any, second: Any, later: Callable[[], None]) -> list[tuple[Any, ...]]:
    """The same calls on any provider; `second` is another instance (or the same one)."""
    out = []
    eur = lambda m: PaymentAmount(m, "EUR")  # noqa: E731
    for token in ("tok_declined", "tok_limit_499", "tok_limit_x", "4242", "tok_processing_error"):
        out.append(outcome(await first.authorize(eur(500), token, f"d-{token}")))
    out.append(outcome(await first.authorize(eur(0), "tok_visa", "zero")))
    auth = await first.authorize(eur(10_000), "tok_visa", "a1")
    out.append(outcome(auth))
    out.append(outcome(await first.authorize(eur(10_000), "tok_visa", "a1")))  # replay
    out.append(outcome(await first.authorize(eur(9_000), "tok_visa", "a1")))  # conflict
    found = await second.authorization_for("a1")
    out.append((found == auth, await second.authorization_for("d-tok_declined")))
    a = auth.authorization_id
    out.append(outcome(await second.capture(a, eur(4_000), "c1")))
    out.append(outcome(await second.capture(a, eur(4_000), "c1")))  # replay: no second charge
    out.append(outcome(await second.capture(a, eur(7_000), "c2")))
    out.append(outcome(await second.capture(a, PaymentAmount(100, "CHF"), "c3")))
    out.append(outcome(await second.capture("auth_nobody", eur(1), "c4")))
    out.append(outcome(await second.refund(a, eur(5_000), "r1")))
    out.append(outcome(await second.refund(a, eur(1_000), "r2")))
    out.append(outcome(await first.void(a, "v1")))
    out.append(outcome(await first.void(a, "v2")))
    out.append(outcome(await first.capture(a, eur(1), "c5")))
    full = await first.authorize(eur(300), "tok_visa", "a2")
    out.append(outcome(await second.capture(full.authorization_id, eur(300), "c6")))
    out.append(outcome(await second.void(full.authorization_id, "v3")))
    old = await first.authorize(eur(300), "tok_visa", "a3")
    later()
    out.append(outcome(await second.capture(old.authorization_id, eur(1), "c7")))
    return out


async def test_same_answers_as_the_in_memory_provider_across_instances(env: TestEnv) -> None:
    now = [datetime.now(UTC)]

    def clock() -> datetime:
        return now[0]

    def eight_days_later() -> None:
        now[0] += timedelta(days=8)

    expected = await script(memory := TestPaymentProvider(clock=clock), memory, eight_days_later)
    now[0] = datetime.now(UTC)
    one = await create_pool(env.database_url, min_size=1, max_size=2)
    two = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        got = await script(
            PostgresTestProvider(one, clock=clock),
            PostgresTestProvider(two, clock=clock),
            eight_days_later,
        )
    finally:
        await one.close()
        await two.close()
    assert got == expected
    assert ("captured", 4_000, 4_000) in got and ("voided", 6_000) in got
    assert got[-1] == ("failure", "AUTHORIZATION_EXPIRED")
