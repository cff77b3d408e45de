"""SQL of checkout routing, totals and the fraud check (migration 0008).

Use-cases: domain/order/checkout.py and checkout_plan.py; exposed as `uow.routing`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from datasources.postgres.cart import discounts_by_code_and_customer
from domain.cart.discounts import DiscountDefinition
from domain.models import LocationKind
from domain.order.checkout_risk import RiskHistory
from domain.order.hours import OpeningHours
from domain.order.hours_text import parse_opening_hours
from domain.order.routing import GeoPoint, RoutingLocation


def opening_hours(text: str, time_zone: str | None) -> OpeningHours | None:
    """A location's `opening_hours` text in its `time_zone` (UTC if unknown); None: always open."""
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return parse_opening_hours(text, zone)


def _routing_location(r: asyncpg.Record) -> RoutingLocation:
    point = None
    if r["latitude"] is not None and r["longitude"] is not None:
        point = GeoPoint(r["latitude"], r["longitude"])
    return RoutingLocation(
        id=r["id"],
        kind=LocationKind(r["kind"]),
        point=point,
        ships=r["can_ship"],
        pickup=r["can_pickup"],
        same_day_radius_km=r["same_day_radius_km"],
        same_day_cutoff=r["same_day_cutoff"],
        hours=opening_hours(r["opening_hours"], r["time_zone"]),
        active=r["active"],
    )


class DiscountRows:
    """The discount rows a sale locks, prices with and redeems: shared by online checkout
    and the till (datasources/postgres/store_pos.py), so usage limits hold across both."""

    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def lock_discounts(self, codes: Sequence[str]) -> None:
        """Row locks on the codes (in id order, so two checkouts cannot deadlock) until
        commit: checkouts with a shared code serialize, and the later one counts the
        earlier one's redemption against the usage limits."""
        if codes:
            await self._conn.execute(
                "SELECT id FROM discounts WHERE code = ANY($1) ORDER BY id FOR UPDATE",
                list(codes),
            )

    async def discount_definitions(
        self, codes: Sequence[str], customer_id: uuid.UUID | None
    ) -> dict[str, DiscountDefinition]:
        if not codes:
            return {}
        found = await discounts_by_code_and_customer(
            self._conn, [(code, customer_id) for code in codes]
        )
        return {d.code: d for d in found if d is not None}

    async def redeem_discounts(
        self, codes: Sequence[str], customer_id: uuid.UUID | None, order_id: uuid.UUID
    ) -> None:
        """One redemption per applied code: usage limits count these."""
        if codes:
            await self._conn.execute(
                """INSERT INTO discount_redemptions (discount_id, customer_id, order_id)
                   SELECT id, $2, $3 FROM discounts WHERE code = ANY($1)""",
                list(codes),
                customer_id,
                order_id,
            )


class PostgresCheckoutRoutingRepository(DiscountRows):
    async def routing_locations(
        self, skus: Sequence[str], pinned: uuid.UUID | None
    ) -> list[RoutingLocation]:
        """Active locations that stock any of these skus (even sold out: routing then says
        OUT_OF_STOCK, not "nobody offers this"), plus the pinned one. Routing never needs
        the others, and fewer candidates keep its search small."""
        rows = await self._conn.fetch(
            """SELECT l.id, l.kind, l.latitude, l.longitude, l.can_ship, l.can_pickup,
                      l.same_day_radius_km, l.same_day_cutoff, l.opening_hours, l.time_zone,
                      l.active
               FROM locations l
               WHERE l.active AND (l.id = $2 OR EXISTS (
                   SELECT 1 FROM stock_levels s
                   WHERE s.location_id = l.id AND s.sku = ANY($1)))""",
            list(skus),
            pinned,
        )
        return [_routing_location(r) for r in rows]

    async def risk_history(
        self,
        customer_id: uuid.UUID | None,
        address_key: str | None,
        card_fingerprint: str,
        since: datetime,
    ) -> RiskHistory:
        r = await self._conn.fetchrow(
            """SELECT
                 (SELECT count(*) FROM orders
                   WHERE $1::uuid IS NOT NULL AND customer_id = $1 AND created_at > $4)
                   AS customer_recent,
                 (SELECT count(*) FROM orders
                   WHERE $2::text IS NOT NULL AND address_key = $2 AND created_at > $4)
                   AS address_recent,
                 (SELECT count(*) FROM orders WHERE card_fingerprint = $3 AND created_at > $4)
                   AS card_recent,
                 (SELECT count(*) FROM orders
                   WHERE $1::uuid IS NOT NULL AND customer_id = $1 AND status <> 'CANCELLED')
                   AS customer_count,
                 (SELECT avg(total_minor)::bigint FROM orders
                   WHERE $1::uuid IS NOT NULL AND customer_id = $1 AND status <> 'CANCELLED')
                   AS customer_average,
                 (SELECT created_at FROM customers WHERE id = $1) AS account_created_at""",
            customer_id,
            address_key,
            card_fingerprint,
            since,
        )
        assert r is not None
        return RiskHistory(
            customer_orders_recent=r["customer_recent"],
            address_orders_recent=r["address_recent"],
            card_orders_recent=r["card_recent"],
            customer_order_count=r["customer_count"],
            customer_average_order_minor=r["customer_average"],
            account_created_at=r["account_created_at"],
        )
