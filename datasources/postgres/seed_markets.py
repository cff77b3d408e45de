"""Demo markets and languages (issue 15): an EU market (EUR, VAT inside its prices, German
and English) and a US market (USD, sales tax added at checkout, English), the US price list
(WEB prices in USD), and German titles and descriptions of every demo product and collection.
The demo texts as written are English."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

# handle -> (name, countries, currency, price channel, tax inclusive, languages, default)
MARKETS: dict[str, tuple[str, list[str], str, str, bool, list[str], str]] = {
    "eu": ("Europe", ["NL", "DE", "BE", "FR"], "EUR", "WEB", True, ["en", "de"], "en"),
    "us": ("United States", ["US"], "USD", "WEB", False, ["en"], "en"),
}

_CATEGORY_DE = {
    "shirt": "hemd",
    "trousers": "hose",
    "sneaker": "sneaker",
    "jacket": "jacke",
    "mug": "becher",
}
_STYLE_DE = {
    "Linen": "Leinen",
    "Oxford": "Oxford",
    "Flannel": "Flanell",
    "Poplin": "Popeline",
    "Denim": "Denim",
    "Chino": "Chino",
    "Cargo": "Cargo",
    "Wool": "Woll",
    "Corduroy": "Cord",
    "Canvas": "Canvas",
    "Leather": "Leder",
    "Suede": "Wildleder",
    "Knit": "Strick",
    "Trail": "Trail",
    "Rain": "Regen",
    "Bomber": "Bomber",
    "Field": "Feld",
    "Quilted": "Stepp",
    "Stoneware": "Steinzeug",
    "Enamel": "Emaille",
    "Glass": "Glas",
    "Porcelain": "Porzellan",
    "Travel": "Reise",
}
_COLOUR_DE = {
    "Navy": "Marineblau",
    "Olive": "Oliv",
    "Sand": "Sand",
    "Black": "Schwarz",
    "White": "Weiß",
    "Rust": "Rost",
    "Grey": "Grau",
    "Teal": "Petrol",
}
COLLECTION_TITLES_DE = {
    "clothing": "Kleidung",
    "jackets": "Jacken",
    "rain-jackets": "Regenjacken",
    "shirts-under-35": "Hemden unter 35",
    "mugs": "Becher",
    "app-picks": "App-Tipps",
}


def usd_minor(eur_minor: int) -> int:
    """The demo US price: 10% above the euro price, ending in .95."""
    return (eur_minor * 11 // 10 + 99) // 100 * 100 - 5


def german_title(title: str) -> str:
    """ "Rain Jacket in Navy" -> "Regenjacke in Marineblau" (the demo titles' shape)."""
    style, category, _, colour = title.split(" ")
    noun = _STYLE_DE[style] + _CATEGORY_DE[category.lower()]
    return f"{noun[0].upper()}{noun[1:]} in {_COLOUR_DE[colour]}"


async def seed_markets(
    conn: asyncpg.Connection[Any],
    products: list[tuple[Any, ...]],
    variants: list[tuple[Any, ...]],
    channel_ids: dict[str, Any],
    collection_id: Any,
) -> int:
    """Markets, the USD price list and the German texts; returns how many translations."""
    for handle, (
        name,
        countries,
        currency,
        channel,
        inclusive,
        languages,
        default,
    ) in MARKETS.items():
        market_id = await conn.fetchval(
            "INSERT INTO markets (handle, name, currency_code, price_channel_id, tax_inclusive, "
            "languages, default_language) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (handle) DO UPDATE SET handle = EXCLUDED.handle RETURNING id",
            handle,
            name,
            currency,
            channel_ids[channel],
            inclusive,
            languages,
            default,
        )
        await conn.executemany(
            "INSERT INTO market_countries (country_code, market_id, position) "
            "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(c, market_id, i) for i, c in enumerate(countries)],
        )
    # Every fifth variant is on sale (as its euro prices).
    await conn.executemany(
        "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor, "
        "compare_at_minor) VALUES ($1, $2, 'USD', $3, $4) ON CONFLICT DO NOTHING",
        [
            (
                v[0],
                channel_ids["WEB"],
                usd_minor(v[5]),
                usd_minor(v[5] * 6 // 5) if i % 5 == 0 else None,
            )
            for i, v in enumerate(variants)
        ],
    )
    rows: list[tuple[str, uuid.UUID, str, str, str]] = []
    for p in products:
        title = german_title(p[2])
        rows.append(("PRODUCT", p[0], "de", "title", title))
        rows.append(("PRODUCT", p[0], "de", "description", f"{title}, gemacht, um zu halten."))
    for handle, title in COLLECTION_TITLES_DE.items():
        rows.append(("COLLECTION", collection_id("collection", handle), "de", "title", title))
        rows.append(
            (
                "COLLECTION",
                collection_id("collection", handle),
                "de",
                "description",
                f"{title} aus unseren Amsterdamer Läden.",
            )
        )
    await conn.executemany(
        "INSERT INTO translations (resource_kind, resource_id, language, key, value) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        rows,
    )
    return len(rows)
