"""The personal score of a product (domain.catalog.recommendations.personal_score) as SQL over
`products p`: FOR_YOU and the PERSONAL sort of product listings rank by this one expression."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.catalog import recommendations as rec

Bind = Callable[[Any, str], str]  # adds a parameter, answers its placeholder


@dataclass(frozen=True)
class PersonalSql:
    score: str
    category_score: str
    brand_score: str
    viewed_score: str
    co_purchases: str
    viewed_ids: str  # the uuid[] placeholder of the viewed products


def personal_sql(bind: Bind, signals: rec.PersonalSignals) -> PersonalSql:
    categories = bind(signals.categories, "jsonb")
    brands = bind(signals.brands, "jsonb")
    viewed = bind(signals.viewed, "jsonb")
    ids = bind(list(signals.viewed), "uuid[]")
    category_score = f"coalesce(({categories}->>p.product_type)::float8, 0)"
    brand_score = f"coalesce(({brands}->>p.vendor)::float8, 0)"
    viewed_score = f"coalesce(({viewed}->>p.id::text)::float8, 0)"
    co = (
        f"coalesce((SELECT sum(cp.orders * ({viewed}->>cp.product_id::text)::float8) "
        f"FROM product_co_purchases cp WHERE cp.product_id = ANY({ids}) "
        "AND cp.other_id = p.id), 0)"
    )
    score = (
        f"(CASE WHEN {viewed_score} > 0 THEN {rec.RECENTLY_VIEWED_WEIGHT} * {viewed_score} "
        f"ELSE {rec.CATEGORY_WEIGHT} * {category_score} + {rec.BRAND_WEIGHT} * {brand_score} "
        f"+ {rec.CO_PURCHASE_WEIGHT} * {co} / ({co} + {rec.CO_PURCHASE_HALF}) END)"
    )
    return PersonalSql(score, category_score, brand_score, viewed_score, co, ids)
