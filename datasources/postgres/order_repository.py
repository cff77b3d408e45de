"""SQL of checkout and orders (migration 0006). Use-cases: `domain/order/checkout.py`."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from domain.order.checkout import OrderLineDraft, PlacedOrder


class PostgresOrderRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def lock_idempotency_key(self, key: str) -> None:
        """Serialize every checkout with this key until the transaction ends."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)

    async def order_by_idempotency_key(self, key: str) -> PlacedOrder | None:
        r = await self._conn.fetchrow(
            "SELECT id, number, request_hash, status, total_minor, currency_code "
            "FROM orders WHERE idempotency_key = $1",
            key,
        )
        return _placed(r) if r else None

    async def order_by_cart(self, cart_id: uuid.UUID) -> PlacedOrder | None:
        r = await self._conn.fetchrow(
            "SELECT id, number, request_hash, status, total_minor, currency_code "
            "FROM orders WHERE cart_id = $1",
            cart_id,
        )
        return _placed(r) if r else None

    async def checkout_reservation(self, cart_id: uuid.UUID) -> uuid.UUID | None:
        value: uuid.UUID | None = await self._conn.fetchval(
            "SELECT reservation_id FROM checkouts WHERE cart_id = $1", cart_id
        )
        return value

    async def save_checkout(
        self, cart_id: uuid.UUID, reservation_id: uuid.UUID, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            """INSERT INTO checkouts (cart_id, reservation_id, expires_at) VALUES ($1, $2, $3)
               ON CONFLICT (cart_id) DO UPDATE
               SET reservation_id = EXCLUDED.reservation_id, expires_at = EXCLUDED.expires_at,
                   created_at = now()""",
            cart_id,
            reservation_id,
            expires_at,
        )

    async def delete_checkout(self, cart_id: uuid.UUID) -> None:
        await self._conn.execute("DELETE FROM checkouts WHERE cart_id = $1", cart_id)

    async def insert_order(
        self,
        *,
        cart_id: uuid.UUID,
        customer_id: uuid.UUID | None,
        channel_id: uuid.UUID,
        currency_code: str,
        total_minor: int,
        status: str,
        method: str,
        address: dict[str, Any] | None,
        idempotency_key: str,
        request_hash: str,
    ) -> PlacedOrder:
        r = await self._conn.fetchrow(
            """INSERT INTO orders (cart_id, customer_id, channel_id, currency_code, total_minor,
                                   status, fulfillment_method, shipping_address,
                                   idempotency_key, request_hash)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
               RETURNING id, number, request_hash, status, total_minor, currency_code""",
            cart_id,
            customer_id,
            channel_id,
            currency_code,
            total_minor,
            status,
            method,
            None if address is None else json.dumps(address),
            idempotency_key,
            request_hash,
        )
        return _placed(r)

    async def insert_line(
        self, order_id: uuid.UUID, position: int, line: OrderLineDraft
    ) -> uuid.UUID:
        value: uuid.UUID = await self._conn.fetchval(
            """INSERT INTO order_lines (order_id, position, variant_id, sku, quantity,
                                        unit_price_minor, total_minor)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
            order_id,
            position,
            line.variant_id,
            line.sku,
            line.quantity,
            line.unit_price_minor,
            line.unit_price_minor * line.quantity,
        )
        return value

    async def insert_fulfillment(
        self,
        order_id: uuid.UUID,
        method: str,
        location_id: uuid.UUID,
        status: str,
        lines: list[tuple[uuid.UUID, int]],
    ) -> uuid.UUID:
        fulfillment_id: uuid.UUID = await self._conn.fetchval(
            """INSERT INTO fulfillments (order_id, method, location_id, status)
               VALUES ($1, $2, $3, $4) RETURNING id""",
            order_id,
            method,
            location_id,
            status,
        )
        await self._conn.executemany(
            "INSERT INTO fulfillment_lines (fulfillment_id, order_line_id, quantity) "
            "VALUES ($1, $2, $3)",
            [(fulfillment_id, line_id, quantity) for line_id, quantity in lines],
        )
        return fulfillment_id

    async def insert_payment(
        self,
        order_id: uuid.UUID,
        provider: str,
        authorization_id: str,
        amount_minor: int,
        currency_code: str,
    ) -> None:
        await self._conn.execute(
            """INSERT INTO payments (order_id, provider, authorization_id, status,
                                     currency_code, amount_minor)
               VALUES ($1, $2, $3, 'AUTHORIZED', $4, $5)""",
            order_id,
            provider,
            authorization_id,
            currency_code,
            amount_minor,
        )


def _placed(r: Any) -> PlacedOrder:
    return PlacedOrder(
        id=r["id"],
        number=r["number"],
        request_hash=r["request_hash"],
        status=r["status"],
        total_minor=r["total_minor"],
        currency_code=r["currency_code"],
    )
