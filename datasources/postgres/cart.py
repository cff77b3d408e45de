"""Cart reads, batched by key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import many_per_key, one_per_key
from domain.cart.discounts import DiscountDefinition
from domain.cart.models import Attribute, CartLine, VariantOffer
from domain.cart.pricing import DiscountKind
from domain.models import Cart

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"
_COLUMNS = (
    "id, channel_id, currency_code, customer_id, created_at, updated_at, expires_at, status, "
    "merged_into, note, discount_codes, buyer_email, buyer_phone, buyer_country_code, "
    "buyer_province_code, fulfillment_method"
)


def _cart(r: asyncpg.Record) -> Cart:
    return Cart(
        r["id"],
        r["channel_id"],
        r["currency_code"],
        r["customer_id"],
        r["created_at"],
        updated_at=r["updated_at"],
        expires_at=r["expires_at"],
        status=r["status"],
        merged_into=r["merged_into"],
        note=r["note"],
        discount_codes=list(r["discount_codes"]),
        buyer_email=r["buyer_email"],
        buyer_phone=r["buyer_phone"],
        buyer_country_code=r["buyer_country_code"],
        buyer_province_code=r["buyer_province_code"],
        fulfillment_method=r["fulfillment_method"],
    )


def attributes_from_json(value: Any) -> list[Attribute]:
    return [Attribute(a["key"], a["value"]) for a in value]


def attributes_to_json(attributes: Sequence[Attribute]) -> list[dict[str, str]]:
    return [{"key": a.key, "value": a.value} for a in attributes]


def _line(r: asyncpg.Record) -> CartLine:
    return CartLine(
        r["id"],
        r["cart_id"],
        r["variant_id"],
        r["quantity"],
        attributes_from_json(r["attributes"]),
        r["position"],
    )


async def carts_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Cart | None]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM carts WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(_cart, rows), lambda c: c.id)


async def carts_by_customer_ids(
    db: Executor, customer_ids: Sequence[uuid.UUID]
) -> list[list[Cart]]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM carts WHERE customer_id = ANY($1) ORDER BY created_at DESC",
        customer_ids,
    )
    return many_per_key(customer_ids, map(_cart, rows), lambda c: c.customer_id)


async def priced_lines_by_cart_ids(
    db: Executor, cart_ids: Sequence[uuid.UUID]
) -> list[list[tuple[CartLine, VariantOffer]]]:
    """Each cart's lines with what they sell for now on the cart's channel and currency."""
    rows = await db.fetch(
        """SELECT l.id, l.cart_id, l.variant_id, l.quantity, l.attributes, l.position,
                  v.sku, p.status, pr.amount_minor, pr.compare_at_minor
           FROM cart_lines l
           JOIN carts c ON c.id = l.cart_id
           JOIN variants v ON v.id = l.variant_id
           JOIN products p ON p.id = v.product_id
           LEFT JOIN prices pr ON pr.variant_id = l.variant_id AND pr.channel_id = c.channel_id
                               AND pr.currency_code = c.currency_code
           WHERE l.cart_id = ANY($1)
           ORDER BY l.position, l.created_at, l.id""",
        cart_ids,
    )
    items = (
        (
            _line(r),
            VariantOffer(
                r["variant_id"],
                r["sku"],
                r["status"] == "ACTIVE",
                r["amount_minor"],
                r["compare_at_minor"],
            ),
        )
        for r in rows
    )
    return many_per_key(cart_ids, items, lambda item: item[0].cart_id)


def _definition(r: asyncpg.Record) -> DiscountDefinition:
    return DiscountDefinition(
        code=r["code"],
        kind=DiscountKind(r["kind"]),
        value=r["value"],
        currency_code=r["currency_code"],
        min_subtotal_minor=r["min_subtotal_minor"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        usage_limit=r["usage_limit"],
        usage_limit_per_customer=r["usage_limit_per_customer"],
        channel_ids=frozenset(r["channel_ids"]),
        combinable=r["combinable"],
        times_used=r["times_used"],
        times_used_by_customer=r["times_used_by_customer"],
        segment_ids=frozenset(r["segment_ids"]),
        customer_segment_ids=frozenset(r["customer_segment_ids"]),
    )


async def discounts_by_code_and_customer(
    db: Executor, keys: Sequence[tuple[str, uuid.UUID | None]]
) -> list[DiscountDefinition | None]:
    """Keys are (code, customer id or None); usage counts come with each definition."""
    rows = await db.fetch(
        """SELECT k.ord, d.code, d.kind, d.value, d.currency_code, d.min_subtotal_minor,
                  d.starts_at, d.ends_at, d.usage_limit, d.usage_limit_per_customer,
                  d.channel_ids, d.combinable,
                  (SELECT count(*) FROM discount_redemptions r
                    WHERE r.discount_id = d.id) AS times_used,
                  (SELECT count(*) FROM discount_redemptions r
                    WHERE r.discount_id = d.id AND r.customer_id = k.customer_id)
                    AS times_used_by_customer,
                  ARRAY(SELECT ds.segment_id FROM discount_segments ds
                         WHERE ds.discount_id = d.id) AS segment_ids,
                  ARRAY(SELECT ds.segment_id FROM discount_segments ds
                         JOIN segment_memberships m ON m.segment_id = ds.segment_id
                         WHERE ds.discount_id = d.id AND m.customer_id = k.customer_id)
                    AS customer_segment_ids
           FROM unnest($1::text[], $2::uuid[]) WITH ORDINALITY AS k(code, customer_id, ord)
           JOIN discounts d ON d.code = k.code""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    found = {r["ord"]: _definition(r) for r in rows}
    return [found.get(i + 1) for i in range(len(keys))]
