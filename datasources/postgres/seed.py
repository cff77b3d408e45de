"""`ucg seed --demo`: a believable store, loaded idempotently (re-running changes nothing)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import asyncpg

_NS = uuid.UUID("6f1c2d1e-0000-4000-8000-00000000c0de")
CHANNELS = [
    ("WEB", "Web storefront", "EUR"),
    ("APP", "Mobile app", "EUR"),
    ("POS", "Store point of sale", "EUR"),
    ("MARKETPLACE", "Marketplace", "EUR"),
    ("AGENT", "AI shopping agents", "EUR"),
]
# Six locations in Amsterdam: 2 warehouses, 3 stores, 1 dark store.
LOCATIONS = [
    ("WH-WEST", "Westpoort warehouse", "WAREHOUSE", 52.4075, 4.8156),
    ("WH-SOUTH", "Amstel Business Park warehouse", "WAREHOUSE", 52.3231, 4.9322),
    ("ST-DAM", "Dam Square store", "STORE", 52.3731, 4.8926),
    ("ST-ZUID", "Zuidas store", "STORE", 52.3383, 4.8730),
    ("ST-OOST", "Oost store", "STORE", 52.3600, 4.9290),
    ("DS-CENTRUM", "Centrum dark store", "DARK_STORE", 52.3676, 4.9041),
]
CATEGORIES = {
    "shirt": (["Linen", "Oxford", "Flannel", "Poplin", "Denim"], ["S", "M", "L"], 2995),
    "trousers": (["Chino", "Cargo", "Wool", "Corduroy", "Linen"], ["30", "32", "34"], 5995),
    "sneaker": (["Canvas", "Leather", "Suede", "Knit", "Trail"], ["40", "42", "44"], 8995),
    "jacket": (["Rain", "Bomber", "Field", "Quilted", "Denim"], ["S", "M", "L"], 12995),
    "mug": (["Stoneware", "Enamel", "Glass", "Porcelain", "Travel"], ["Small", "Large"], 1495),
}
COLOURS = ["Navy", "Olive", "Sand", "Black", "White", "Rust", "Grey", "Teal"]


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(_NS, "/".join(parts))


def demo_catalog() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """~200 products and ~600 variants, the same every time."""
    products: list[tuple[Any, ...]] = []
    variants: list[tuple[Any, ...]] = []
    for category, (styles, sizes, base_price) in CATEGORIES.items():
        for style in styles:
            for colour in COLOURS:
                handle = f"{style}-{colour}-{category}".lower()
                title = f"{style} {category.capitalize()} in {colour}"
                pid = _id("product", handle)
                description = f"A {style.lower()} {category} in {colour.lower()}, made to last."
                products.append((pid, handle, title, description, "ACTIVE"))
                for position, size in enumerate(sizes):
                    sku = f"{category[:3]}-{style[:3]}-{colour[:3]}-{size}".upper()
                    price = base_price + 500 * (len(style) % 3)
                    variants.append(
                        (_id("variant", sku), pid, sku, f"{colour} / {size}", position, price)
                    )
    return products, variants


async def seed_demo(dsn: str) -> dict[str, int]:
    products, variants = demo_catalog()
    rng = random.Random(7)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO channels (id, code, name, currency_code) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (code) DO NOTHING",
                [(_id("channel", c), c, n, cur) for c, n, cur in CHANNELS],
            )
            channel_ids = {
                r["code"]: r["id"] for r in await conn.fetch("SELECT id, code FROM channels")
            }
            await conn.executemany(
                "INSERT INTO locations (id, code, name, kind, latitude, longitude) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
                [(_id("location", c), c, n, k, lat, lon) for c, n, k, lat, lon in LOCATIONS],
            )
            await conn.executemany(
                "INSERT INTO products (id, handle, title, description, status) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (handle) DO NOTHING",
                products,
            )
            await conn.executemany(
                "INSERT INTO variants (id, product_id, sku, title, position) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sku) DO NOTHING",
                [v[:5] for v in variants],
            )
            await conn.executemany(
                "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
                "VALUES ($1, $2, 'EUR', $3) ON CONFLICT DO NOTHING",
                [(v[0], channel_ids[c], v[5]) for v in variants for c, _, _ in CHANNELS],
            )
            location_ids = [_id("location", c) for c, *_ in LOCATIONS]
            await conn.executemany(
                "INSERT INTO stock_levels (sku, location_id, on_hand, safety_stock) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                [
                    (v[2], loc, rng.choice([0, 3, 8, 15, 40, 120]), rng.choice([0, 0, 1, 2]))
                    for v in variants
                    for loc in location_ids
                ],
            )
    finally:
        await conn.close()
    return {
        "channels": len(CHANNELS),
        "locations": len(LOCATIONS),
        "products": len(products),
        "variants": len(variants),
    }
