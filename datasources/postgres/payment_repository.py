"""SQL of an order's payments (use-cases: domain/order/settlement.py) and of our record of
every payment call (payment_transactions, domain/order/payment_records.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from domain.order.payment_records import AttemptState, AuthorizationAttempt, PaymentCall
from domain.order.payments import PaymentAmount, provider_key
from domain.order.settlement import PaymentState, PaymentStatus


class PostgresPaymentRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def payments_for_update(self, order_id: uuid.UUID) -> list[PaymentState]:
        rows = await self._conn.fetch(
            """SELECT id, authorization_id, status, currency_code, amount_minor, owed_minor,
                      captured_minor, refunded_minor
               FROM payments WHERE order_id = $1 ORDER BY created_at, id FOR UPDATE""",
            order_id,
        )
        return [PaymentState(**{**dict(r), "status": PaymentStatus(r["status"])}) for r in rows]

    async def save_payment(self, payment: PaymentState) -> None:
        await self._conn.execute(
            """UPDATE payments SET status = $2, owed_minor = $3, captured_minor = $4,
                                   refunded_minor = $5, updated_at = now()
               WHERE id = $1""",
            payment.id,
            payment.status.value,
            payment.owed_minor,
            payment.captured_minor,
            payment.refunded_minor,
        )

    # payment_transactions (domain/order/payment_records.py)

    async def start_authorization(
        self, key: str, provider: str, amount: PaymentAmount
    ) -> AuthorizationAttempt:
        # New: the inserted row; a retry: the row already there (one statement either way).
        r = await self._conn.fetchrow(
            """WITH new AS (
                 INSERT INTO payment_transactions (kind, state, provider, idempotency_key,
                                                   provider_key, amount_minor, currency_code)
                 VALUES ('AUTHORIZE', 'PENDING', $1, $2, $3, $4, $5)
                 ON CONFLICT (kind, idempotency_key) DO NOTHING
                 RETURNING id, idempotency_key, amount_minor, currency_code, state,
                           authorization_id, order_id)
               SELECT * FROM new
               UNION ALL
               SELECT id, idempotency_key, amount_minor, currency_code, state,
                      authorization_id, order_id
               FROM payment_transactions
               WHERE kind = 'AUTHORIZE' AND idempotency_key = $2
                 AND NOT EXISTS (SELECT 1 FROM new)""",
            provider,
            key,
            provider_key(key),
            amount.amount_minor,
            amount.currency_code,
        )
        if r is not None:
            return _attempt_of(r)
        # The conflicting row was committed after this statement's snapshot: read it now.
        attempt = await self._attempt(key, lock=False)
        assert attempt is not None
        return attempt

    async def attempt_for_update(self, key: str) -> AuthorizationAttempt | None:
        return await self._attempt(key, lock=True)

    async def _attempt(self, key: str, *, lock: bool) -> AuthorizationAttempt | None:
        r = await self._conn.fetchrow(
            "SELECT id, idempotency_key, amount_minor, currency_code, state, authorization_id, "
            "order_id FROM payment_transactions WHERE kind = 'AUTHORIZE' "
            "AND idempotency_key = $1" + (" FOR UPDATE" if lock else ""),
            key,
        )
        return None if r is None else _attempt_of(r)

    async def settle_attempt(
        self,
        attempt_id: uuid.UUID,
        state: AttemptState,
        *,
        authorization_id: str | None = None,
        order_id: uuid.UUID | None = None,
        failure_code: str | None = None,
    ) -> None:
        await self._conn.execute(
            """UPDATE payment_transactions
               SET state = $2, authorization_id = coalesce($3, authorization_id),
                   order_id = coalesce($4, order_id), failure_code = $5, updated_at = now()
               WHERE id = $1 AND state IN ('PENDING', 'AUTHORIZED')""",
            attempt_id,
            state.value,
            authorization_id,
            order_id,
            failure_code,
        )

    async def orphan_attempts(self, created_before: datetime, limit: int) -> list[str]:
        rows = await self._conn.fetch(
            """SELECT idempotency_key FROM payment_transactions
               WHERE kind = 'AUTHORIZE' AND order_id IS NULL
                 AND state IN ('PENDING', 'AUTHORIZED') AND created_at < $1
               ORDER BY created_at LIMIT $2""",
            created_before,
            limit,
        )
        return [r["idempotency_key"] for r in rows]

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
        # A retried settlement (same key) finds its first row: the call was made once.
        await self._conn.execute(
            """INSERT INTO payment_transactions (kind, state, provider, idempotency_key,
                   provider_key, authorization_id, provider_reference, order_id, amount_minor,
                   currency_code)
               SELECT $1, 'SUCCEEDED', coalesce(
                          (SELECT provider FROM payments WHERE authorization_id = $4 LIMIT 1),
                          (SELECT provider FROM payment_transactions
                           WHERE kind = 'AUTHORIZE' AND authorization_id = $4 LIMIT 1),
                          'test'),
                      $2, $3, $4, $5, $6, $7, $8
               ON CONFLICT (kind, idempotency_key) DO NOTHING""",
            call.value,
            key,
            provider_key(key),
            authorization_id,
            reference,
            order_id,
            amount.amount_minor,
            amount.currency_code,
        )


def _attempt_of(r: asyncpg.Record) -> AuthorizationAttempt:
    return AuthorizationAttempt(
        r["id"],
        r["idempotency_key"],
        PaymentAmount(r["amount_minor"], r["currency_code"].strip()),
        AttemptState(r["state"]),
        r["authorization_id"],
        r["order_id"],
    )
