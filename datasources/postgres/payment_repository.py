"""SQL of an order's payments (use-cases: domain/order/settlement.py)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from domain.order.settlement import PaymentState


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
        return [PaymentState(**dict(r)) for r in rows]

    async def save_payment(self, payment: PaymentState) -> None:
        await self._conn.execute(
            """UPDATE payments SET status = $2, owed_minor = $3, captured_minor = $4,
                                   refunded_minor = $5, updated_at = now()
               WHERE id = $1""",
            payment.id,
            payment.status,
            payment.owed_minor,
            payment.captured_minor,
            payment.refunded_minor,
        )
