"""checkoutComplete's payment steps, each failure point with an injected fault: the
authorization happens outside any transaction, a placement that fails voids it, and the
sweeper voids what a crash left open. Nothing oversold, nothing left authorized."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from datasources.payments.postgres_provider import PostgresTestProvider
from datasources.payments.timeouts import TimeLimitedGateway
from datasources.postgres.authorization_sweeper import AuthorizationSweeper
from datasources.postgres.pool import create_pool
from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError, ErrorCode
from domain.inventory.rules import ReservationLine
from domain.inventory.services import release_reservation, reserve
from domain.order import checkout
from domain.order.model import Order
from domain.order.payments import (
    Authorized,
    PaymentAmount,
    PaymentFailure,
    PaymentFailureCode,
    Voided,
)
from domain.order.routing import FulfillmentMethod
from tests.conftest import TestEnv
from tests.order_helpers import Sale, guest_carts, make_sale
from tests.stock_helpers import assert_ledger_matches

SHIP = checkout.FulfillmentChoice(
    FulfillmentMethod.SHIP, address={"line1": "Damrak 1", "city": "Amsterdam"}
)


@pytest.fixture
async def pool(env: TestEnv) -> AsyncIterator[asyncpg.Pool[Any]]:
    pool = await create_pool(env.database_url, min_size=1, max_size=6)
    yield pool
    await pool.close()


class Faulty:
    """The Postgres test provider with a fault injected around its calls."""

    def __init__(
        self,
        inner: PostgresTestProvider,
        *,
        after_authorize: Callable[[], Awaitable[None]] | None = None,
        failing_voids: int = 0,
    ) -> None:
        self.inner = inner
        self.after_authorize = after_authorize
        self.failing_voids = failing_voids

    async def authorize(
        self, amount: PaymentAmount, card_token: str, idempotency_key: str
    ) -> Authorized | PaymentFailure:
        result = await self.inner.authorize(amount, card_token, idempotency_key)
        if self.after_authorize is not None:
            await self.after_authorize()
        return result

    async def authorization_for(self, idempotency_key: str) -> Authorized | None:
        return await self.inner.authorization_for(idempotency_key)

    async def capture(self, *args: Any) -> Any:
        return await self.inner.capture(*args)

    async def refund(self, *args: Any) -> Any:
        return await self.inner.refund(*args)

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        if self.failing_voids > 0:
            self.failing_voids -= 1
            return PaymentFailure(PaymentFailureCode.PROCESSING_ERROR, "injected")
        return await self.inner.void(authorization_id, idempotency_key)


async def place(
    pool: asyncpg.Pool[Any], gateway: Any, cart: str, key: str, token: str = "tok_visa"
) -> Order:
    cart_id = uuid.UUID(cart.rsplit("/", 1)[1])
    return await checkout.complete_checkout(
        lambda: UnitOfWork(pool),
        None,
        gateway,
        cart_id=cart_id,
        choice=SHIP,
        card_token=token,
        idempotency_key=key,
        now=datetime.now(UTC),
        held_carts=frozenset({cart_id}),  # the guest who created the cart holds its token
    )


async def attempts(db: asyncpg.Connection[Any]) -> list[tuple[str, bool]]:
    rows = await db.fetch(
        "SELECT state, order_id IS NOT NULL AS placed FROM payment_transactions "
        "WHERE kind = 'AUTHORIZE' ORDER BY created_at"
    )
    return [(r["state"], r["placed"]) for r in rows]


async def open_authorizations(db: asyncpg.Connection[Any]) -> int:
    """Authorizations at the provider with money still held and no order to take it."""
    return int(
        await db.fetchval(
            """SELECT count(*) FROM test_provider_authorizations a
               WHERE NOT a.voided AND a.captured_minor < a.amount_minor
                 AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.authorization_id = a.id)"""
        )
    )


async def sweep(pool: asyncpg.Pool[Any], gateway: Any) -> int:
    sweeper = AuthorizationSweeper(pool, gateway, grace_seconds=60)
    return await sweeper.sweep_once(datetime.now(UTC) + timedelta(minutes=5))


async def take_the_stock(pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any], sale: Sale) -> None:
    """Another buyer takes every unit while the payment is out: the checkout's own hold
    has expired and was released (what the reservation sweeper does)."""
    await db.execute("UPDATE reservations SET expires_at = now() - interval '1 second'")
    async with UnitOfWork(pool) as uow:
        for held in await db.fetch("SELECT id FROM reservations WHERE status = 'ACTIVE'"):
            await release_reservation(uow, held["id"])
    async with UnitOfWork(pool) as uow:
        await reserve(
            uow, [ReservationLine(sale.sku, 1)], location_id=sale.location, ttl_seconds=600
        )


async def test_placing_fails_after_the_authorization_so_it_is_voided(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 1)
    (cart,) = await guest_carts(db, sale, 1)
    gateway = Faulty(
        PostgresTestProvider(pool), after_authorize=lambda: take_the_stock(pool, db, sale)
    )
    with pytest.raises(DomainError) as caught:
        await place(pool, gateway, cart, "k-stolen")
    assert caught.value.code is ErrorCode.OUT_OF_STOCK
    assert await attempts(db) == [("VOIDED", False)]
    assert await open_authorizations(db) == 0
    assert await db.fetchval("SELECT count(*) FROM orders") == 0
    assert await db.fetchval("SELECT count(*) FROM payment_transactions WHERE kind = 'VOID'") == 1
    await assert_ledger_matches(db)


async def test_a_price_change_while_authorizing_is_refused_and_voided(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 3)
    (cart,) = await guest_carts(db, sale, 1)

    async def reprice() -> None:
        await db.execute(
            "UPDATE prices SET amount_minor = 2499 WHERE variant_id = $1", sale.variant
        )

    gateway = Faulty(PostgresTestProvider(pool), after_authorize=reprice)
    with pytest.raises(DomainError) as caught:
        await place(pool, gateway, cart, "k-repriced")
    assert caught.value.code is ErrorCode.INVALID and caught.value.field == ["cart_id"]
    assert await attempts(db) == [("VOIDED", False)]
    assert await open_authorizations(db) == 0


async def test_a_void_that_fails_is_left_to_the_sweeper(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 1)
    (cart,) = await guest_carts(db, sale, 1)
    gateway = Faulty(
        PostgresTestProvider(pool),
        after_authorize=lambda: take_the_stock(pool, db, sale),
        failing_voids=2,
    )
    with pytest.raises(DomainError):
        await place(pool, gateway, cart, "k-void-fails")
    assert await attempts(db) == [("PENDING", False)]
    assert await open_authorizations(db) == 1
    assert await sweep(pool, gateway) == 0  # the void fails again: retried next sweep
    assert await sweep(pool, gateway) == 1
    assert await attempts(db) == [("VOIDED", False)]
    assert await open_authorizations(db) == 0


async def test_a_crash_between_authorize_and_commit_is_voided_by_the_sweeper(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 2)
    (cart,) = await guest_carts(db, sale, 1)

    async def crash() -> None:
        raise RuntimeError("the process died")

    gateway = Faulty(PostgresTestProvider(pool), after_authorize=crash)
    with pytest.raises(RuntimeError):
        await place(pool, gateway, cart, "k-crash")
    assert await attempts(db) == [("PENDING", False)]
    assert await open_authorizations(db) == 1
    # Not before the grace period: a checkout may still be between its steps.
    assert await AuthorizationSweeper(pool, gateway).sweep_once() == 0
    assert await sweep(pool, gateway) == 1
    assert await attempts(db) == [("VOIDED", False)]
    assert await open_authorizations(db) == 0
    assert await sweep(pool, gateway) == 0
    # The same key again: the authorization is spent, the buyer is told to use a new key.
    with pytest.raises(DomainError) as caught:
        await place(pool, PostgresTestProvider(pool), cart, "k-crash")
    assert caught.value.code is ErrorCode.PAYMENT_FAILED
    assert await open_authorizations(db) == 0
    placed = await place(pool, PostgresTestProvider(pool), cart, "k-crash-2")
    assert placed.number > 0


async def test_the_sweeper_wins_against_a_checkout_stuck_after_authorizing(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 1)
    (cart,) = await guest_carts(db, sale, 1)
    provider = PostgresTestProvider(pool)

    async def sweeper_runs() -> None:
        assert await sweep(pool, provider) == 1

    with pytest.raises(DomainError) as caught:
        await place(pool, Faulty(provider, after_authorize=sweeper_runs), cart, "k-late")
    assert caught.value.code is ErrorCode.PAYMENT_FAILED
    assert await db.fetchval("SELECT count(*) FROM orders") == 0
    assert await open_authorizations(db) == 0


async def test_a_slow_provider_is_a_typed_timeout_and_its_late_authorization_is_voided(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 2)
    first, second = await guest_carts(db, sale, 2)

    async def slow_reply() -> None:
        await asyncio.sleep(1)

    late = TimeLimitedGateway(Faulty(PostgresTestProvider(pool), after_authorize=slow_reply), 0.2)
    with pytest.raises(DomainError) as caught:
        await place(pool, late, first, "k-late-reply")
    assert caught.value.code is ErrorCode.PAYMENT_FAILED
    assert "PROVIDER_TIMEOUT" in caught.value.message
    # Never reached: the sweeper learns there is nothing to void.
    never = TimeLimitedGateway(PostgresTestProvider(pool, latency_seconds=1), 0.2)
    with pytest.raises(DomainError):
        await place(pool, never, second, "k-no-reply")
    assert await attempts(db) == [("PENDING", False), ("PENDING", False)]
    assert await open_authorizations(db) == 1
    assert await sweep(pool, PostgresTestProvider(pool)) == 1
    assert sorted(await attempts(db)) == [("FAILED", False), ("VOIDED", False)]
    assert await open_authorizations(db) == 0


async def test_a_decline_then_another_card_with_the_same_key_is_a_conflict(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 2)
    (cart,) = await guest_carts(db, sale, 1)
    provider = PostgresTestProvider(pool)
    with pytest.raises(DomainError) as declined:
        await place(pool, provider, cart, "k-card", token="tok_declined")
    assert declined.value.code is ErrorCode.PAYMENT_DECLINED
    with pytest.raises(DomainError) as again:
        await place(pool, provider, cart, "k-card", token="tok_visa")
    assert again.value.code is ErrorCode.PAYMENT_FAILED
    assert "IDEMPOTENCY_CONFLICT" in again.value.message
    assert await attempts(db) == [("FAILED", False)]
    assert await open_authorizations(db) == 0


async def test_a_retry_after_success_is_the_same_order_and_one_authorization(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 2)
    (cart,) = await guest_carts(db, sale, 1)
    provider = PostgresTestProvider(pool)
    first = await place(pool, provider, cart, "k-twice")
    again = await place(pool, provider, cart, "k-twice")
    assert again == first
    assert await attempts(db) == [("AUTHORIZED", True)]
    assert await db.fetchval("SELECT count(*) FROM test_provider_authorizations") == 1
    # A placed order's authorization is no orphan.
    assert await sweep(pool, provider) == 0
    assert await open_authorizations(db) == 0
