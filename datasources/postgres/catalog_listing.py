"""Product listings: one statement for a page, one for its facet counts, whatever the size.

Used by `products` and `Collection.products`: full-text search, a collection's membership
(its listed products, or its rules), the shopper's filters, and every sort order, with
keyset pagination after (sort value, id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from datasources.postgres.catalog import _PRODUCT_COLUMNS, Executor, _product, translation_match
from datasources.postgres.personal_score import personal_sql
from domain.catalog import facets
from domain.catalog.collections import CollectionRule, RuleField, RuleRelation
from domain.catalog.facets import FacetCount, FilterSet
from domain.catalog.models import ProductSortKey
from domain.catalog.recommendations import PersonalSignals
from domain.models import Product
from domain.money import _EXPONENTS

_EXPONENT_SQL = (
    "CASE pr.currency_code "
    + " ".join(f"WHEN '{code}' THEN {exp}" for code, exp in sorted(_EXPONENTS.items()))
    + " ELSE 2 END"
)


@dataclass(frozen=True)
class CollectionScope:
    """Limit a listing to one collection: its rules, or (none) its listed products."""

    collection_id: uuid.UUID
    rules: list[CollectionRule]


@dataclass
class Listing:
    """What a listing is over; the same for its pages and its facets."""

    tsquery: str | None = None
    channel_code: str | None = None
    active_only: bool = True
    scope: CollectionScope | None = None
    filters: FilterSet = field(default_factory=FilterSet)
    # A market's price list is its channel's prices in its currency (domain/catalog/markets).
    currency_code: str | None = None
    # The shopper's profile signals: what the PERSONAL sort ranks by.
    personal: PersonalSignals | None = None


class _Sql:
    """Arguments collected while a statement is written."""

    def __init__(self, first: list[Any] | None = None) -> None:
        self.args: list[Any] = list(first or [])

    def __call__(self, value: Any, cast: str = "") -> str:
        self.args.append(value)
        return f"${len(self.args)}{'::' + cast if cast else ''}"


class _Price:
    """The price expression, its argument bound only when a statement uses it (an unused
    parameter has no type and fails the statement)."""

    def __init__(
        self, sql: _Sql, channel_code: str | None, currency_code: str | None = None
    ) -> None:
        self._sql, self._channel_code, self._text = sql, channel_code, ""
        self._currency_code = currency_code

    def __str__(self) -> str:
        if not self._text:
            self._text = _price_expr(self._sql, self._channel_code, self._currency_code)
        return self._text


def _price_expr(sql: _Sql, channel_code: str | None, currency_code: str | None = None) -> str:
    """The product's lowest variant price in major units (on the channel when given, in the
    currency when given)."""
    channel = (
        f" AND pr.channel_id IN (SELECT id FROM channels WHERE code = {sql(channel_code, 'text')})"
        if channel_code is not None
        else ""
    )
    if currency_code is not None:
        channel += f" AND pr.currency_code = {sql(currency_code, 'text')}"
    return (
        "(SELECT min(pr.amount_minor::numeric / power(10::numeric, "
        f"{_EXPONENT_SQL})) FROM variants v JOIN prices pr ON pr.variant_id = v.id "
        f"WHERE v.product_id = p.id{channel})"
    )


_AVAILABLE = (
    "EXISTS (SELECT 1 FROM variants v JOIN stock_levels s ON s.sku = v.sku "
    "WHERE v.product_id = p.id AND s.on_hand - s.reserved - s.safety_stock > 0)"
)
_SOLD = (
    "(SELECT coalesce(sum(ol.quantity), 0) FROM order_lines ol "
    "JOIN variants v ON v.id = ol.variant_id JOIN orders o ON o.id = ol.order_id "
    "WHERE v.product_id = p.id AND o.status <> 'CANCELLED')"
)
_TEXT_COLUMNS = {RuleField.VENDOR: "p.vendor", RuleField.PRODUCT_TYPE: "p.product_type"}
_PRICE_OPERATORS = {
    RuleRelation.EQUALS: "=",
    RuleRelation.NOT_EQUALS: "<>",
    RuleRelation.LESS_THAN: "<",
    RuleRelation.GREATER_THAN: ">",
}


def _rule(sql: _Sql, rule: CollectionRule, price: _Price) -> str:
    if rule.field is RuleField.PRICE:
        op = _PRICE_OPERATORS[rule.relation]
        return f"coalesce({price} {op} {sql(Decimal(rule.value), 'numeric')}, false)"
    if rule.field is RuleField.TAG:
        test = f"{sql(rule.value)} = ANY(p.tags)"
    else:
        test = f"lower({_TEXT_COLUMNS[rule.field]}) = lower({sql(rule.value)})"
    return test if rule.relation is RuleRelation.EQUALS else f"NOT ({test})"


def _base_where(sql: _Sql, listing: Listing, price: _Price) -> tuple[list[str], str]:
    """The conditions every row of the listing meets, and its rank expression."""
    where: list[str] = []
    rank = "0::real"
    if listing.tsquery is not None:
        query = f"to_tsquery('simple', {sql(listing.tsquery)})"
        where.append(f"(p.search @@ {query} OR {translation_match('p.id', query)})")
        rank = f"ts_rank(p.search, {query})"
    if listing.active_only:
        where.append("p.status = 'ACTIVE'")
    if listing.channel_code is not None:
        where.append(
            "EXISTS (SELECT 1 FROM variants v JOIN prices pr ON pr.variant_id = v.id "
            "JOIN channels c ON c.id = pr.channel_id WHERE v.product_id = p.id "
            f"AND c.code = {sql(listing.channel_code)}"
            + (
                f" AND pr.currency_code = {sql(listing.currency_code, 'text')})"
                if listing.currency_code is not None
                else ")"
            )
        )
    scope = listing.scope
    if scope is not None:
        if scope.rules:
            where.extend(_rule(sql, r, price) for r in scope.rules)
        else:
            where.append(
                "EXISTS (SELECT 1 FROM collection_products cp WHERE cp.product_id = p.id "
                f"AND cp.collection_id = {sql(scope.collection_id)})"
            )
    return where, rank


def _filter_groups(sql: _Sql, filters: FilterSet, price: _Price) -> dict[str, str]:
    """One condition per filter kind (values of a kind OR'ed), keyed by facet id."""
    groups: dict[str, str] = {}
    if filters.vendors:
        groups[facets.FACET_VENDOR] = f"p.vendor = ANY({sql(filters.vendors, 'text[]')})"
    if filters.product_types:
        groups[facets.FACET_TYPE] = f"p.product_type = ANY({sql(filters.product_types, 'text[]')})"
    if filters.tags:
        groups[facets.FACET_TAG] = f"p.tags && {sql(filters.tags, 'text[]')}"
    for name, values in filters.options.items():
        groups[facets.option_facet_id(name)] = (
            "EXISTS (SELECT 1 FROM variants v, jsonb_array_elements(v.options) o "
            f"WHERE v.product_id = p.id AND o->>'name' = {sql(name)} "
            f"AND o->>'value' = ANY({sql(values, 'text[]')}))"
        )
    if filters.price is not None:
        bounds = []
        if filters.price.min is not None:
            bounds.append(f"{price} >= {sql(filters.price.min, 'numeric')}")
        if filters.price.max is not None:
            bounds.append(f"{price} <= {sql(filters.price.max, 'numeric')}")
        groups[facets.FACET_PRICE] = f"coalesce({' AND '.join(bounds) or 'true'}, false)"
    if filters.available is not None:
        groups[facets.FACET_AVAILABLE] = _AVAILABLE if filters.available else f"NOT {_AVAILABLE}"
    if filters.available_at or filters.available_near is not None:
        groups[facets.FACET_STORE] = _available_at_stores(sql, filters)
    return groups


def _available_at_stores(sql: _Sql, filters: FilterSet) -> str:
    """Units available at one of the given locations, or at a pickup location near the point
    (great-circle distance)."""
    places: list[str] = []
    if filters.available_at:
        places.append(f"l.id = ANY({sql(filters.available_at, 'uuid[]')})")
    near = filters.available_near
    if near is not None:
        lat, lon = sql(near.lat, "float8"), sql(near.lon, "float8")
        places.append(
            f"(l.can_pickup AND 12742 * asin(sqrt(power(sin(radians(l.latitude - {lat}) / 2), 2)"
            f" + cos(radians({lat})) * cos(radians(l.latitude))"
            f" * power(sin(radians(l.longitude - {lon}) / 2), 2)))"
            f" <= {sql(near.radius_km, 'float8')})"
        )
    return (
        "EXISTS (SELECT 1 FROM variants v JOIN stock_levels s ON s.sku = v.sku "
        "JOIN locations l ON l.id = s.location_id WHERE v.product_id = p.id "
        f"AND s.on_hand - s.reserved - s.safety_stock > 0 AND ({' OR '.join(places)}))"
    )


@dataclass(frozen=True)
class _Order:
    value: str  # SQL of the sort value, over products p
    cast: str  # its type, for the cursor's parameter
    descending: bool  # natural direction of the value (id always breaks ties ascending)


def _order(
    sql: _Sql,
    sort_key: ProductSortKey,
    scope: CollectionScope | None,
    price: _Price,
    rank: str,
    personal: PersonalSignals | None = None,
) -> _Order:
    if sort_key is ProductSortKey.PERSONAL and personal is not None and not personal.empty:
        return _Order(
            f"round(({personal_sql(sql, personal).score})::numeric, 6)::float8", "float8", True
        )
    if sort_key is ProductSortKey.RELEVANCE:
        return _Order(rank, "real", True)
    if sort_key is ProductSortKey.CREATED_AT:
        return _Order("p.created_at", "timestamptz", False)
    if sort_key is ProductSortKey.PRICE:
        return _Order(f"coalesce({price}, 1e13)", "numeric", False)
    if sort_key is ProductSortKey.BEST_SELLING:
        return _Order(_SOLD, "bigint", True)
    if sort_key is ProductSortKey.MANUAL and scope is not None and not scope.rules:
        return _Order(
            "(SELECT cp.position FROM collection_products cp WHERE cp.product_id = p.id "
            f"AND cp.collection_id = {sql(scope.collection_id, 'uuid')})",
            "integer",
            False,
        )
    return _Order("p.title", "text", False)


def effective_sort_key(sort_key: ProductSortKey, scope: CollectionScope | None) -> ProductSortKey:
    """MANUAL means TITLE outside a manual collection (the cursor says which was used)."""
    if sort_key is ProductSortKey.MANUAL and (scope is None or scope.rules):
        return ProductSortKey.TITLE
    return sort_key


async def listing_page(
    db: Executor,
    listing: Listing,
    *,
    limit: int,
    sort_key: ProductSortKey,
    reverse: bool,
    after: tuple[Any, uuid.UUID] | None,
) -> list[tuple[Product, Any]]:
    """One page of the listing, each product with its sort value (for its cursor)."""
    sql = _Sql([limit])
    price = _Price(sql, listing.channel_code, listing.currency_code)
    where, rank = _base_where(sql, listing, price)
    where.extend(_filter_groups(sql, listing.filters, price).values())
    order = _order(sql, sort_key, listing.scope, price, rank, listing.personal)
    descending = order.descending != reverse
    id_descending = reverse
    outer = ""
    if after is not None:
        value, after_id = sql(after[0], order.cast), sql(after[1], "uuid")
        ahead = "<" if descending else ">"
        id_ahead = "<" if id_descending else ">"
        outer = (
            f"WHERE (q.sort_value {ahead} {value} OR "
            f"(q.sort_value = {value} AND q.id {id_ahead} {after_id}))"
        )
    columns = ", ".join(f"p.{c.strip()}" for c in _PRODUCT_COLUMNS.split(","))
    statement = (
        f"SELECT * FROM (SELECT {columns}, {rank} AS rank, {order.value} AS sort_value "
        f"FROM products p {'WHERE ' + ' AND '.join(where) if where else ''}) q {outer} "
        f"ORDER BY q.sort_value {'DESC' if descending else 'ASC'}, "
        f"q.id {'DESC' if id_descending else 'ASC'} LIMIT $1"
    )
    rows = await db.fetch(statement, *sql.args)
    return [(_product(r), r["sort_value"]) for r in rows]


@dataclass(frozen=True)
class FacetRows:
    counts: list[FacetCount]
    price_min: Decimal | None
    price_max: Decimal | None


async def listing_facets(db: Executor, listing: Listing) -> FacetRows:
    """Every facet's value counts for the listing, in one statement. Each facet counts the
    products that meet every filter kind except its own."""
    sql = _Sql()
    price = _Price(sql, listing.channel_code, listing.currency_code)
    where, _ = _base_where(sql, listing, price)
    groups = _filter_groups(sql, listing.filters, price)
    names = list(groups)
    flags = ", ".join(f"({cond}) AS g{i}" for i, cond in enumerate(groups.values()))

    def others(facet_id: str) -> str:
        kept = [f"b.g{i}" for i, n in enumerate(names) if n != facet_id]
        return " AND ".join(kept) or "true"

    option_cases = " ".join(
        f"WHEN {sql(name)} THEN {others(facets.option_facet_id(name))}"
        for name in listing.filters.options
    )
    option_test = (
        f"CASE o->>'name' {option_cases} ELSE {others('')} END" if option_cases else (others(""))
    )
    statement = f"""
        WITH b AS (
            SELECT p.id, p.vendor, p.product_type, p.tags, {price} AS price,
                   {_AVAILABLE} AS available{", " + flags if flags else ""}
              FROM products p {"WHERE " + " AND ".join(where) if where else ""})
        SELECT '{facets.FACET_AVAILABLE}' AS facet, b.available::text AS value,
               NULL AS option_name, count(*) AS n, NULL::numeric AS lo, NULL::numeric AS hi
          FROM b WHERE {others(facets.FACET_AVAILABLE)} GROUP BY b.available
        UNION ALL
        SELECT '{facets.FACET_PRICE}', '', NULL, count(*), min(b.price), max(b.price)
          FROM b WHERE b.price IS NOT NULL AND {others(facets.FACET_PRICE)}
        UNION ALL
        SELECT '{facets.FACET_VENDOR}', b.vendor, NULL, count(*), NULL, NULL
          FROM b WHERE b.vendor <> '' AND {others(facets.FACET_VENDOR)} GROUP BY b.vendor
        UNION ALL
        SELECT '{facets.FACET_TYPE}', b.product_type, NULL, count(*), NULL, NULL
          FROM b WHERE b.product_type <> '' AND {others(facets.FACET_TYPE)}
         GROUP BY b.product_type
        UNION ALL
        SELECT '{facets.FACET_TAG}', t.tag, NULL, count(*), NULL, NULL
          FROM b, unnest(b.tags) AS t(tag) WHERE {others(facets.FACET_TAG)} GROUP BY t.tag
        UNION ALL
        SELECT '{facets.FACET_STORE}', l.id::text, l.name, count(*), NULL, NULL
          FROM locations l JOIN b ON EXISTS (
               SELECT 1 FROM variants v JOIN stock_levels s ON s.sku = v.sku
                WHERE v.product_id = b.id AND s.location_id = l.id
                  AND s.on_hand - s.reserved - s.safety_stock > 0)
         WHERE l.can_pickup AND {others(facets.FACET_STORE)} GROUP BY l.id, l.name
        UNION ALL
        SELECT 'option', o->>'value', o->>'name', count(DISTINCT b.id), NULL, NULL
          FROM b JOIN variants v ON v.product_id = b.id, jsonb_array_elements(v.options) o
         WHERE {option_test} GROUP BY o->>'name', o->>'value'
    """
    rows = await db.fetch(statement, *sql.args)
    counts: list[FacetCount] = []
    price_min = price_max = None
    for r in rows:
        if r["facet"] == facets.FACET_PRICE:
            if r["n"]:
                counts.append(FacetCount(r["facet"], "", r["n"]))
                price_min, price_max = _money(r["lo"]), _money(r["hi"])
        elif r["facet"] == facets.FACET_STORE:
            counts.append(FacetCount(r["facet"], r["value"], r["n"], r["option_name"]))
        elif r["facet"] == "option":
            name = r["option_name"]
            counts.append(FacetCount(facets.option_facet_id(name), r["value"], r["n"], name))
        else:
            counts.append(FacetCount(r["facet"], r["value"], r["n"]))
    return FacetRows(counts, price_min, price_max)


def _money(value: Decimal | None) -> Decimal | None:
    """A major-unit amount without the division's trailing zeros (29.950000 -> 29.95)."""
    if value is None:
        return None
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()
