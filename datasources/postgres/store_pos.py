"""The POS sale's statements (domain/store/pos_service.py): prices on the POS channel,
the store's on-hand taken with one conditional UPDATE per line (no oversell). The order
itself is an ordinary order, written by the Order aggregate's repository."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from datasources.postgres.checkout_routing_repository import DiscountRows
from datasources.postgres.uow import UnitOfWork


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
