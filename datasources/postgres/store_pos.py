"""The POS sale's statements (domain/store/pos_service.py): prices on the POS channel,
the store's on-hand taken with one conditional UPDATE per line (no oversell), and the
order written as an ordinary order (lines, one PICKED_UP fulfillment, payments)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from datasources.postgres.checkout_routing_repository import DiscountRows
from datasources.postgres.uow import UnitOfWork
from domain.store.pos import AppliedTender, PricedPosLine


class PostgresPosRepository(DiscountRows):
    async def store(self, location_id: uuid.UUID) -> tuple[str, str] | None:
        """(code, kind) of an active location."""
        r = await self._conn.fetchrow(
            "SELECT code, kind FROM locations WHERE id = $1 AND active", location_id
        )
        return None if r is None else (r["code"], r["kind"])

    async def channel(self, code: str) -> tuple[uuid.UUID, str] | None:
        r = await self._conn.fetchrow(
            "SELECT id, currency_code FROM channels WHERE code = $1", code
        )
        return None if r is None else (r["id"], r["currency_code"].strip())

    async def prices(
        self, skus: Sequence[str], channel_id: uuid.UUID, currency: str
    ) -> dict[str, tuple[uuid.UUID, int]]:
        """sku -> (variant id, unit price) of the SKUs for sale on the channel."""
        rows = await self._conn.fetch(
            """SELECT v.sku, v.id, p.amount_minor
               FROM variants v
               JOIN products pr ON pr.id = v.product_id
               JOIN prices p ON p.variant_id = v.id AND p.channel_id = $2
                             AND p.currency_code = $3
               WHERE v.sku = ANY($1::text[]) AND pr.status = 'ACTIVE'""",
            list(skus),
            channel_id,
            currency,
        )
        return {r["sku"]: (r["id"], r["amount_minor"]) for r in rows}

    async def lock_key(self, key: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)

    async def order_by_key(self, key: str) -> tuple[uuid.UUID, int, str, int] | None:
        r = await self._conn.fetchrow(
            "SELECT id, number, request_hash, total_minor FROM orders WHERE idempotency_key = $1",
            key,
        )
        return None if r is None else (r["id"], r["number"], r["request_hash"], r["total_minor"])

    async def earned_points(self, order_id: uuid.UUID) -> int:
        points = await self._conn.fetchval(
            "SELECT coalesce(sum(points), 0) FROM loyalty_ledger "
            "WHERE order_id = $1 AND kind = 'EARN'",
            order_id,
        )
        return int(points)

    async def take_on_hand(self, sku: str, location_id: uuid.UUID, quantity: int) -> bool:
        """Sell `quantity` units off the shelf, only out of what is not held for others."""
        taken = await self._conn.fetchval(
            """WITH level AS (
                   UPDATE stock_levels SET on_hand = on_hand - $3, version = version + 1,
                                           updated_at = now()
                   WHERE sku = $1 AND location_id = $2 AND on_hand - reserved >= $3
                   RETURNING sku)
               INSERT INTO stock_movements (sku, location_id, delta, reason, source)
               SELECT sku, $2, -$3, 'SOLD', 'pos' FROM level
               RETURNING 1""",
            sku,
            location_id,
            quantity,
        )
        return taken is not None

    async def insert_order(
        self,
        *,
        customer_id: uuid.UUID | None,
        channel_id: uuid.UUID,
        currency: str,
        total_minor: int,
        discount_minor: int,
        status: str,
        idempotency_key: str,
        request_hash: str,
    ) -> tuple[uuid.UUID, int]:
        r = await self._conn.fetchrow(
            """INSERT INTO orders (customer_id, channel_id, currency_code, total_minor,
                                   subtotal_minor, discount_minor, status, fulfillment_method,
                                   idempotency_key, request_hash)
               VALUES ($1, $2, $3, $4, $4::bigint + $8::bigint, $8, $5, 'PICKUP', $6, $7)
               RETURNING id, number""",
            customer_id,
            channel_id,
            currency,
            total_minor,
            status,
            idempotency_key,
            request_hash,
            discount_minor,
        )
        assert r is not None
        return r["id"], r["number"]

    async def insert_lines_and_handover(
        self, order_id: uuid.UUID, location_id: uuid.UUID, lines: Sequence[PricedPosLine]
    ) -> None:
        """The lines, and one fulfillment at the store already PICKED_UP (carried out)."""
        await self._conn.execute(
            """WITH l AS (
                   INSERT INTO order_lines (order_id, position, variant_id, sku, quantity,
                                            unit_price_minor, discount_minor, total_minor)
                   SELECT $1, t.position - 1, t.variant_id, t.sku, t.quantity, t.unit_price,
                          t.discount, t.unit_price * t.quantity - t.discount
                   FROM unnest($3::uuid[], $4::text[], $5::int[], $6::bigint[], $7::bigint[])
                        WITH ORDINALITY
                        AS t(variant_id, sku, quantity, unit_price, discount, position)
                   RETURNING id, quantity),
               f AS (
                   INSERT INTO fulfillments (order_id, method, location_id, status, promised_at)
                   VALUES ($1, 'PICKUP', $2, 'PICKED_UP', now()) RETURNING id)
               INSERT INTO fulfillment_lines (fulfillment_id, order_line_id, quantity)
               SELECT f.id, l.id, l.quantity FROM f, l""",
            order_id,
            location_id,
            [line.variant_id for line in lines],
            [line.sku for line in lines],
            [line.quantity for line in lines],
            [line.unit_price_minor for line in lines],
            [line.discount_minor for line in lines],
        )

    async def insert_payments(
        self, order_id: uuid.UUID, currency: str, tenders: Sequence[AppliedTender]
    ) -> None:
        """One captured payment per tender that pays something (cash too: provider 'cash')."""
        rows = [
            (
                order_id,
                "cash" if t.kind.value == "CASH" else "card",
                t.reference,
                currency,
                t.applied_minor,
            )
            for t in tenders
            if t.applied_minor > 0
        ]
        await self._conn.executemany(
            """INSERT INTO payments (order_id, provider, authorization_id, status,
                                     currency_code, amount_minor, captured_minor, owed_minor)
               VALUES ($1, $2, $3, 'CAPTURED', $4, $5, $5, $5)""",
            rows,
        )

    async def payments_of(self, order_id: uuid.UUID) -> list[tuple[str, str, int]]:
        rows = await self._conn.fetch(
            "SELECT provider, authorization_id, amount_minor FROM payments "
            "WHERE order_id = $1 ORDER BY created_at, id",
            order_id,
        )
        return [(r["provider"], r["authorization_id"], r["amount_minor"]) for r in rows]

    async def pos_sale_locations(self, order_id: uuid.UUID, pos_channel: str) -> list[uuid.UUID]:
        """Where a till sale (an order on the POS channel) was handed over; [] otherwise."""
        rows = await self._conn.fetch(
            """SELECT DISTINCT f.location_id FROM orders o
               JOIN channels c ON c.id = o.channel_id AND c.code = $2
               JOIN fulfillments f ON f.order_id = o.id AND f.status = 'PICKED_UP'
               WHERE o.id = $1""",
            order_id,
            pos_channel,
        )
        return [r["location_id"] for r in rows]

    async def return_share(self, location_id: uuid.UUID, pos_channel: str) -> tuple[int, int]:
        """(returns received at the store, of them orders not on the POS channel)."""
        r = await self._conn.fetchrow(
            """SELECT count(*) AS received,
                      count(*) FILTER (WHERE c.code IS DISTINCT FROM $2) AS cross_channel
               FROM returns rt
               JOIN orders o ON o.id = rt.order_id
               LEFT JOIN channels c ON c.id = o.channel_id
               WHERE rt.location_id = $1 AND rt.status = 'RECEIVED'""",
            location_id,
            pos_channel,
        )
        assert r is not None
        return int(r["received"]), int(r["cross_channel"])


class PosUnitOfWork(UnitOfWork):
    @property
    def pos(self) -> PostgresPosRepository:
        return PostgresPosRepository(self.conn)  # type: ignore[arg-type]
