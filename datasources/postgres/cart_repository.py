"""Cart writes inside a unit of work's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from datasources.postgres.cart import (
    _COLUMNS,
    _cart,
    _line,
    attributes_to_json,
    discounts_by_code_and_customer,
    priced_lines_by_cart_ids,
)
from domain.cart.discounts import DiscountDefinition
from domain.cart.models import Attribute, CartLine, VariantOffer
from domain.models import Channel

_UPDATABLE = {
    "customer_id",
    "updated_at",
    "expires_at",
    "status",
    "merged_into",
    "note",
    "discount_codes",
    "buyer_email",
    "buyer_phone",
    "buyer_country_code",
    "buyer_province_code",
    "fulfillment_method",
}
_LINE_COLUMNS = "id, cart_id, variant_id, quantity, attributes, position"


class PostgresCartRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def channel(self, channel_id: uuid.UUID) -> Channel | None:
        r = await self._conn.fetchrow(
            "SELECT id, code, name, currency_code FROM channels WHERE id = $1", channel_id
        )
        return Channel(r["id"], r["code"], r["name"], r["currency_code"]) if r else None

    async def currency_sold(self, channel_id: uuid.UUID, currency_code: str) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT 1 FROM prices WHERE channel_id = $1 AND currency_code = $2 LIMIT 1",
                channel_id,
                currency_code,
            )
        )

    async def offers(
        self, variant_ids: Sequence[uuid.UUID], channel_id: uuid.UUID, currency_code: str
    ) -> dict[uuid.UUID, VariantOffer]:
        rows = await self._conn.fetch(
            """SELECT v.id, v.sku, p.status, pr.amount_minor, pr.compare_at_minor
               FROM variants v JOIN products p ON p.id = v.product_id
               LEFT JOIN prices pr ON pr.variant_id = v.id AND pr.channel_id = $2
                                   AND pr.currency_code = $3
               WHERE v.id = ANY($1)""",
            list(variant_ids),
            channel_id,
            currency_code,
        )
        return {
            r["id"]: VariantOffer(
                r["id"], r["sku"], r["status"] == "ACTIVE", r["amount_minor"], r["compare_at_minor"]
            )
            for r in rows
        }

    async def customer_exists(self, customer_id: uuid.UUID, *, lock: bool) -> bool:
        lock_clause = " FOR UPDATE" if lock else ""
        return bool(
            await self._conn.fetchval(
                f"SELECT 1 FROM customers WHERE id = $1{lock_clause}", customer_id
            )
        )

    async def insert_cart(
        self, channel_id: uuid.UUID, currency_code: str, expires_at: datetime, **fields: Any
    ) -> Any:
        names = ["id", "channel_id", "currency_code", "expires_at", *fields]
        values = [uuid.uuid4(), channel_id, currency_code, expires_at, *fields.values()]
        placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
        r = await self._conn.fetchrow(
            f"INSERT INTO carts ({', '.join(names)}) VALUES ({placeholders}) RETURNING {_COLUMNS}",
            *values,
        )
        assert r is not None
        return _cart(r)

    async def cart_for_update(self, cart_id: uuid.UUID) -> Any:
        r = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM carts WHERE id = $1 FOR UPDATE", cart_id
        )
        return _cart(r) if r else None

    async def active_carts_of(
        self, customer_id: uuid.UUID, now: datetime, exclude: uuid.UUID
    ) -> list[Any]:
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM carts WHERE customer_id = $1 AND status = 'ACTIVE' "
            "AND expires_at > $2 AND id <> $3 ORDER BY updated_at FOR UPDATE",
            customer_id,
            now,
            exclude,
        )
        return [_cart(r) for r in rows]

    async def update_cart(self, cart_id: uuid.UUID, **fields: Any) -> Any:
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(fields, start=2))
        query = (
            f"UPDATE carts SET {assignments} WHERE id = $1 RETURNING {_COLUMNS}"
            if fields
            else f"SELECT {_COLUMNS} FROM carts WHERE id = $1"
        )
        r = await self._conn.fetchrow(query, cart_id, *fields.values())
        assert r is not None
        return _cart(r)

    async def lines(self, cart_id: uuid.UUID) -> list[CartLine]:
        rows = await self._conn.fetch(
            f"SELECT {_LINE_COLUMNS} FROM cart_lines WHERE cart_id = $1 "
            "ORDER BY position, created_at, id",
            cart_id,
        )
        return [_line(r) for r in rows]

    async def lines_with_offers(
        self, cart_id: uuid.UUID
    ) -> tuple[list[CartLine], dict[uuid.UUID, VariantOffer]]:
        """`lines` and the `offers` of their variants on the cart's channel and currency,
        in one statement (the cart loader's `priced_lines_by_cart_ids`)."""
        (priced,) = await priced_lines_by_cart_ids(self._conn, [cart_id])
        return [line for line, _ in priced], {line.variant_id: offer for line, offer in priced}

    async def insert_line(
        self,
        cart_id: uuid.UUID,
        variant_id: uuid.UUID,
        quantity: int,
        attributes: list[Attribute],
        position: int,
    ) -> CartLine:
        r = await self._conn.fetchrow(
            "INSERT INTO cart_lines (cart_id, variant_id, quantity, attributes, position) "
            f"VALUES ($1, $2, $3, $4, $5) RETURNING {_LINE_COLUMNS}",
            cart_id,
            variant_id,
            quantity,
            attributes_to_json(attributes),
            position,
        )
        assert r is not None
        return _line(r)

    async def update_line(
        self, line_id: uuid.UUID, quantity: int, attributes: list[Attribute]
    ) -> None:
        await self._conn.execute(
            "UPDATE cart_lines SET quantity = $2, attributes = $3, updated_at = now() "
            "WHERE id = $1",
            line_id,
            quantity,
            attributes_to_json(attributes),
        )

    async def delete_lines(self, line_ids: Sequence[uuid.UUID]) -> None:
        await self._conn.execute("DELETE FROM cart_lines WHERE id = ANY($1)", list(line_ids))

    async def discount_code_exists(self, code: str) -> bool:
        return bool(await self._conn.fetchval("SELECT 1 FROM discounts WHERE code = $1", code))

    async def segment_codes_not_eligible(
        self, codes: Sequence[str], customer_id: uuid.UUID | None
    ) -> set[str]:
        """The codes limited to segments that this customer (None: a guest) is in none of."""
        found = await discounts_by_code_and_customer(self._conn, [(c, customer_id) for c in codes])
        return {d.code for d in found if d is not None and not d.segment_eligible}

    async def existing_segment_ids(self, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self._conn.fetch("SELECT id FROM segments WHERE id = ANY($1)", list(ids))
        return {r["id"] for r in rows}

    async def existing_channel_ids(self, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self._conn.fetch("SELECT id FROM channels WHERE id = ANY($1)", list(ids))
        return {r["id"] for r in rows}

    async def insert_discount(self, d: DiscountDefinition) -> uuid.UUID:
        discount_id: uuid.UUID = await self._conn.fetchval(
            """INSERT INTO discounts (code, kind, value, currency_code, min_subtotal_minor,
                   starts_at, ends_at, usage_limit, usage_limit_per_customer, channel_ids,
                   combinable)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id""",
            d.code,
            d.kind.value,
            d.value,
            d.currency_code,
            d.min_subtotal_minor,
            d.starts_at,
            d.ends_at,
            d.usage_limit,
            d.usage_limit_per_customer,
            sorted(d.channel_ids),
            d.combinable,
        )
        if d.segment_ids:
            await self._conn.execute(
                """INSERT INTO discount_segments (discount_id, segment_id)
                   SELECT $1, unnest($2::uuid[])""",
                discount_id,
                sorted(d.segment_ids),
            )
        return discount_id
