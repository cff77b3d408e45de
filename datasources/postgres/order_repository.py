"""SQL of checkout and orders (migration 0006). Use-cases: `domain/order/checkout.py`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from datasources.postgres.order import ORDER_COLUMNS, order_of
from domain.order.checkout import OrderLineRecord, PlacedOrder
from domain.order.fraud import RiskAssessment
from domain.order.fulfillment_service import FulfillmentRecord
from domain.order.order_pricing import OrderPricing


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
        pricing: OrderPricing,
        risk: RiskAssessment,
        card_fingerprint: str,
        address_key: str | None,
    ) -> PlacedOrder:
        """The order with its amounts and risk assessment, in one statement."""
        reasons = [
            {"code": r.code.value, "points": r.points, "detail": r.detail} for r in risk.reasons
        ]
        r = await self._conn.fetchrow(
            """INSERT INTO orders (cart_id, customer_id, channel_id, currency_code, total_minor,
                                   status, fulfillment_method, shipping_address,
                                   idempotency_key, request_hash, subtotal_minor,
                                   discount_minor, tax_minor, shipping_minor, on_hold,
                                   risk_score, risk_reasons, card_fingerprint, address_key)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14,
                       $15, $16, $17::jsonb, $18, $19)
               RETURNING request_hash, """
            + ORDER_COLUMNS,
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
            pricing.subtotal_minor,
            pricing.discount_minor,
            pricing.tax_minor,
            pricing.shipping_minor,
            risk.on_hold,
            risk.score,
            reasons,  # the pool's jsonb codec encodes it
            card_fingerprint,
            address_key,
        )
        assert r is not None
        return replace(_placed(r), record=order_of(r))

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
                                     currency_code, amount_minor, owed_minor)
               VALUES ($1, $2, $3, 'AUTHORIZED', $4, $5, $5)""",
            order_id,
            provider,
            authorization_id,
            currency_code,
            amount_minor,
        )

    async def fulfillment(self, fulfillment_id: uuid.UUID) -> FulfillmentRecord | None:
        return await _fulfillment_row(self._conn, fulfillment_id)

    async def fulfillments_of_order(self, order_id: uuid.UUID) -> list[FulfillmentRecord]:
        return (await fulfillments_by_order_ids(self._conn, [order_id]))[0]


def _placed(r: Any) -> PlacedOrder:
    return PlacedOrder(
        id=r["id"],
        number=r["number"],
        request_hash=r["request_hash"],
        status=r["status"],
        total_minor=r["total_minor"],
        currency_code=r["currency_code"],
    )


# fulfillmentUpdate (domain/order/fulfillment_service.py) --------------------

_F_COLUMNS = (
    "id, order_id, method, location_id, status, tracking, created_at, promised_at, pickup_deadline"
)


def _fulfillment(r: Any) -> FulfillmentRecord:
    return FulfillmentRecord(
        r["id"],
        r["order_id"],
        r["method"],
        r["location_id"],
        r["status"],
        r["tracking"],
        r["created_at"],
        r["promised_at"],
        r["pickup_deadline"],
    )


async def fulfillments_by_order_ids(
    db: Any, order_ids: Sequence[uuid.UUID]
) -> list[list[FulfillmentRecord]]:
    rows = await db.fetch(
        f"SELECT {_F_COLUMNS} FROM fulfillments WHERE order_id = ANY($1) ORDER BY created_at, id",
        list(order_ids),
    )
    grouped: dict[uuid.UUID, list[FulfillmentRecord]] = {i: [] for i in order_ids}
    for r in rows:
        grouped[r["order_id"]].append(_fulfillment(r))
    return [grouped[i] for i in order_ids]


async def _fulfillment_row(conn: Any, fulfillment_id: uuid.UUID) -> FulfillmentRecord | None:
    r = await conn.fetchrow(f"SELECT {_F_COLUMNS} FROM fulfillments WHERE id = $1", fulfillment_id)
    return _fulfillment(r) if r else None


async def lines_by_order_ids(
    db: Any, order_ids: Sequence[uuid.UUID]
) -> list[list[OrderLineRecord]]:
    rows = await db.fetch(
        """SELECT l.id, l.order_id, l.sku, l.quantity, l.unit_price_minor, l.total_minor,
                  o.currency_code, l.cancelled_quantity, l.discount_minor, l.tax_minor,
                  l.returned_quantity
           FROM order_lines l JOIN orders o ON o.id = l.order_id
           WHERE l.order_id = ANY($1) ORDER BY l.order_id, l.position""",
        list(order_ids),
    )
    grouped: dict[uuid.UUID, list[OrderLineRecord]] = {i: [] for i in order_ids}
    for r in rows:
        grouped[r["order_id"]].append(
            OrderLineRecord(
                r["id"],
                r["order_id"],
                r["sku"],
                r["quantity"],
                r["unit_price_minor"],
                r["total_minor"],
                r["currency_code"],
                r["cancelled_quantity"],
                r["discount_minor"],
                r["tax_minor"],
                r["returned_quantity"],
            )
        )
    return [grouped[i] for i in order_ids]
