"""Recommendation reads and writes: a constant number of statements whatever `first` is.

RELATED and COMPLEMENTARY: one statement for the product (its status and staff picks), one
for the picks' rows and the computed ones together. FOR_YOU: one for the shopper's profile,
one ranking every visible product by the personal score (best sellers after them).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from datasources.postgres.catalog import _PRODUCT_COLUMNS, Executor, _product
from datasources.postgres.catalog_listing import _Sql
from datasources.postgres.customer_profiles import _json
from datasources.postgres.personal_score import personal_sql
from domain.catalog import recommendations as rec
from domain.customer.profile import ProfileState, state_from_json
from domain.models import Product

_COLUMNS = ", ".join(f"p.{c.strip()}" for c in _PRODUCT_COLUMNS.split(","))
_OPTION_TEXT = "(o->>'name') || ': ' || (o->>'value')"
_SOLD = (
    "SELECT v.product_id, sum(ol.quantity)::bigint AS n FROM order_lines ol "
    "JOIN variants v ON v.id = ol.variant_id JOIN orders o ON o.id = ol.order_id "
    "WHERE o.status <> 'CANCELLED' GROUP BY v.product_id"
)


@dataclass(frozen=True)
class Visibility:
    """Which products the caller may be shown: ACTIVE ones (shoppers), priced on a channel."""

    active_only: bool
    channel_code: str | None


def _visible(sql: _Sql, seen: Visibility) -> str:
    where = ["p.status = 'ACTIVE'"] if seen.active_only else ["true"]
    if seen.channel_code is not None:
        where.append(
            "EXISTS (SELECT 1 FROM variants v JOIN prices pr ON pr.variant_id = v.id "
            "JOIN channels c ON c.id = pr.channel_id WHERE v.product_id = p.id "
            f"AND c.code = {sql(seen.channel_code, 'text')})"
        )
    return " AND ".join(where)


@dataclass(frozen=True)
class SourceProduct:
    status: str
    picks: list[uuid.UUID]


async def source_product(
    db: Executor, product_id: uuid.UUID, intent: rec.RecommendationIntent
) -> SourceProduct | None:
    row = await db.fetchrow(
        """SELECT p.status, ARRAY(SELECT o.recommended_id FROM product_recommendation_overrides o
                                   WHERE o.product_id = p.id AND o.intent = $2
                                   ORDER BY o.position) AS picks
           FROM products p WHERE p.id = $1""",
        product_id,
        intent.value,
    )
    return None if row is None else SourceProduct(row["status"], list(row["picks"]))


def _picks_part(sql: _Sql, picks: Sequence[uuid.UUID], seen: Visibility, extra: str) -> str:
    return (
        f"SELECT 0 AS kind, pick.ord::float8 AS rank, {_COLUMNS}, {extra} "
        f"FROM unnest({sql(list(picks), 'uuid[]')}) WITH ORDINALITY AS pick(id, ord) "
        f"JOIN products p ON p.id = pick.id WHERE {_visible(sql, seen)}"
    )


async def related(
    db: Executor,
    product_id: uuid.UUID,
    picks: Sequence[uuid.UUID],
    seen: Visibility,
    limit: int,
) -> tuple[list[Product], list[tuple[Product, rec.Similarity]]]:
    """The visible picks in order, and the most similar other products: same type, shared
    tags and shared option values (candidates share the type or a tag)."""
    sql = _Sql([product_id, limit])
    score = (
        f"{sql(rec.TYPE_WEIGHT, 'float8')} * q.same_type::int "
        f"+ {sql(rec.TAG_WEIGHT, 'float8')} * cardinality(q.shared_tags) "
        f"+ {sql(rec.OPTION_WEIGHT, 'float8')} * cardinality(q.shared_options)"
    )
    picks_sql = _picks_part(
        sql,
        picks,
        seen,
        "false AS same_type, '{}'::text[] AS shared_tags, '{}'::text[] AS shared_options",
    )
    statement = f"""
        WITH src AS (
            SELECT p.product_type, p.tags,
                   ARRAY(SELECT DISTINCT {_OPTION_TEXT} FROM variants v,
                         jsonb_array_elements(v.options) o WHERE v.product_id = p.id) AS options
            FROM products p WHERE p.id = $1)
        {picks_sql}
        UNION ALL
        SELECT * FROM (
            SELECT 1, -({score}), q.* FROM (
                SELECT {_COLUMNS},
                       (p.product_type = src.product_type AND p.product_type <> '') AS same_type,
                       ARRAY(SELECT t FROM unnest(p.tags) t WHERE t = ANY(src.tags) ORDER BY t)
                           AS shared_tags,
                       ARRAY(SELECT DISTINCT {_OPTION_TEXT} FROM variants v,
                             jsonb_array_elements(v.options) o WHERE v.product_id = p.id
                             AND {_OPTION_TEXT} = ANY(src.options) ORDER BY 1) AS shared_options
                FROM products p, src
                WHERE p.id <> $1 AND NOT p.id = ANY({sql(list(picks), "uuid[]")})
                  AND (p.product_type = src.product_type OR p.tags && src.tags)
                  AND {_visible(sql, seen)}) q
            ORDER BY 2, q.id LIMIT $2) computed
        ORDER BY 1, 2, id LIMIT $2"""
    rows = await db.fetch(statement, *sql.args)
    picked = [_product(r) for r in rows if r["kind"] == 0]
    computed = [
        (
            _product(r),
            rec.Similarity(
                r["product_type"] if r["same_type"] else None,
                tuple(r["shared_tags"]),
                tuple(r["shared_options"]),
            ),
        )
        for r in rows
        if r["kind"] == 1
    ]
    return picked, computed


async def complementary(
    db: Executor,
    product_id: uuid.UUID,
    picks: Sequence[uuid.UUID],
    seen: Visibility,
    limit: int,
) -> tuple[list[Product], list[tuple[Product, int]]]:
    """The visible picks in order, and what orders bought most often with the product."""
    sql = _Sql([product_id, limit])
    picks_sql = _picks_part(sql, picks, seen, "0 AS orders")
    statement = f"""
        {picks_sql}
        UNION ALL
        SELECT * FROM (
            SELECT 1, -cp.orders::float8, {_COLUMNS}, cp.orders
            FROM product_co_purchases cp JOIN products p ON p.id = cp.other_id
            WHERE cp.product_id = $1 AND NOT p.id = ANY({sql(list(picks), "uuid[]")})
              AND {_visible(sql, seen)}
            ORDER BY cp.orders DESC, cp.last_order_at DESC, p.id LIMIT $2) computed
        ORDER BY 1, 2, id LIMIT $2"""
    rows = await db.fetch(statement, *sql.args)
    picked = [_product(r) for r in rows if r["kind"] == 0]
    computed = [(_product(r), int(r["orders"])) for r in rows if r["kind"] == 1]
    return picked, computed


async def profile_state(
    db: Executor, customer_id: uuid.UUID | None, anonymous_keys: Sequence[str]
) -> ProfileState | None:
    """The live profile of the customer, else of the first anonymous key (its customer's
    when the key is stitched to one)."""
    keys = ([f"customer:{customer_id}"] if customer_id else []) + list(anonymous_keys)
    if not keys:
        return None
    value = await db.fetchval(
        """SELECT cp.state
           FROM unnest($1::text[]) WITH ORDINALITY AS k(key, ord)
           LEFT JOIN interaction_links l ON l.anonymous_key = k.key
           JOIN customer_profiles cp ON cp.subject = coalesce('customer:' || l.customer_id, k.key)
           ORDER BY k.ord LIMIT 1""",
        keys,
    )
    return None if value is None else state_from_json(_json(value))


async def for_you(
    db: Executor,
    signals: rec.PersonalSignals,
    seen: Visibility,
    limit: int,
    exclude: uuid.UUID | None = None,
) -> list[tuple[Product, rec.PersonalFacts]]:
    """Every visible product ranked by the personal score, then by units sold."""
    sql = _Sql([limit])
    personal = personal_sql(sql, signals)
    viewed = sql(signals.viewed, "jsonb")
    not_this = f"AND p.id <> {sql(exclude, 'uuid')}" if exclude is not None else ""
    statement = f"""
        WITH sold AS ({_SOLD})
        SELECT {_COLUMNS}, {personal.category_score} AS category_score,
               {personal.brand_score} AS brand_score, {personal.viewed_score} AS viewed_score,
               {personal.co_purchases} AS co_purchases, {personal.score} AS score,
               coalesce(sold.n, 0) AS sold,
               (SELECT vp.title FROM product_co_purchases cp JOIN products vp
                    ON vp.id = cp.product_id
                 WHERE cp.product_id = ANY({personal.viewed_ids}) AND cp.other_id = p.id
                 ORDER BY cp.orders * ({viewed}->>cp.product_id::text)::float8 DESC, vp.id
                 LIMIT 1) AS bought_with
        FROM products p LEFT JOIN sold ON sold.product_id = p.id
        WHERE {_visible(sql, seen)} {not_this}
        ORDER BY score DESC, sold DESC, p.id LIMIT $1"""
    rows = await db.fetch(statement, *sql.args)
    return [
        (
            _product(r),
            rec.PersonalFacts(
                category=r["product_type"],
                brand=r["vendor"],
                category_score=r["category_score"],
                brand_score=r["brand_score"],
                viewed_score=r["viewed_score"],
                co_purchases=float(r["co_purchases"]),
                bought_with=r["bought_with"],
                sold=int(r["sold"]),
            ),
        )
        for r in rows
    ]


async def set_staff_picks(
    conn: asyncpg.Connection[Any],
    product_id: uuid.UUID,
    intent: rec.RecommendationIntent,
    picks: Sequence[uuid.UUID],
) -> tuple[Product | None, list[uuid.UUID]]:
    """Replace the picks; the product (None if unknown) and the picks that do not exist
    (nothing is changed then)."""
    product_row = await conn.fetchrow(
        f"SELECT {_PRODUCT_COLUMNS} FROM products WHERE id = $1 FOR UPDATE", product_id
    )
    if product_row is None:
        return None, []
    found = {
        r["id"] for r in await conn.fetch("SELECT id FROM products WHERE id = ANY($1)", list(picks))
    }
    missing = [p for p in picks if p not in found]
    if missing:
        return _product(product_row), missing
    await conn.execute(
        "DELETE FROM product_recommendation_overrides WHERE product_id = $1 AND intent = $2",
        product_id,
        intent.value,
    )
    await conn.executemany(
        "INSERT INTO product_recommendation_overrides (product_id, intent, position, "
        "recommended_id) VALUES ($1, $2, $3, $4)",
        [(product_id, intent.value, i, p) for i, p in enumerate(picks)],
    )
    return _product(product_row), []


async def order_product_ids(conn: asyncpg.Connection[Any], order_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT DISTINCT v.product_id FROM order_lines ol JOIN variants v ON v.id = ol.variant_id "
        "WHERE ol.order_id = $1",
        order_id,
    )
    return [r["product_id"] for r in rows]


async def add_co_purchases(
    conn: asyncpg.Connection[Any], pairs: Sequence[tuple[uuid.UUID, uuid.UUID]], at: datetime
) -> None:
    if not pairs:
        return
    await conn.execute(
        """INSERT INTO product_co_purchases (product_id, other_id, orders, last_order_at)
           SELECT a, b, 1, $3 FROM unnest($1::uuid[], $2::uuid[]) AS t(a, b)
           ON CONFLICT (product_id, other_id) DO UPDATE
               SET orders = product_co_purchases.orders + 1,
                   last_order_at = greatest(product_co_purchases.last_order_at, EXCLUDED.last_order_at)""",
        [a for a, _ in pairs],
        [b for _, b in pairs],
        at,
    )
