"""`ucg seed --demo`: a believable store, loaded idempotently (re-running changes nothing)."""

from __future__ import annotations

import json
import random
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from datasources.postgres.seed_markets import MARKETS, seed_markets

_NS = uuid.UUID("6f1c2d1e-0000-4000-8000-00000000c0de")
CHANNELS = [
    ("WEB", "Web storefront", "EUR"),
    ("APP", "Mobile app", "EUR"),
    ("POS", "Store point of sale", "EUR"),
    ("MARKETPLACE", "Marketplace", "EUR"),
    ("AGENT", "AI shopping agents", "EUR"),
]
# Six locations in Amsterdam: 2 warehouses, 3 stores, 1 dark store.
# code -> (address, opening hours, can ship, can pickup, same-day radius km)
LOCATION_DETAILS = {
    "WH-WEST": ("Westpoort 1, 1047 Amsterdam", "", True, False, 0.0),
    "WH-SOUTH": ("Amstel Business Park 10, 1101 Amsterdam", "", True, False, 0.0),
    "ST-DAM": ("Dam 1, 1012 JS Amsterdam", "Mo-Sa 09:00-20:00, Su 11:00-18:00", True, True, 0.0),
    "ST-ZUID": ("Gustav Mahlerplein 2, 1082 MA Amsterdam", "Mo-Fr 09:00-19:00", True, True, 0.0),
    "ST-OOST": ("Javaplein 5, 1095 CJ Amsterdam", "Mo-Sa 10:00-18:00", True, True, 0.0),
    "DS-CENTRUM": ("Nieuwmarkt 4, 1012 CR Amsterdam", "", True, False, 8.0),
}
VENDORS = ["Noord & Co", "Grachten Goods", "Amstel Atelier"]
OPTION_NAMES = {"shirt": "Size", "trousers": "Waist", "sneaker": "EU size", "jacket": "Size"}
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


# Storefront collections (issue 15): handle -> (title, parent, rules, sort key, channels).
# Clothing lists its products; the others follow rules (all must hold); Rain jackets is
# three levels deep (Clothing > Jackets > Rain jackets).
ALL_CHANNELS = [c for c, _, _ in CHANNELS]
COLLECTIONS: dict[str, tuple[str, str | None, list[dict[str, str]], str, list[str]]] = {
    "clothing": ("Clothing", None, [], "TITLE", ALL_CHANNELS),
    "jackets": (
        "Jackets",
        "clothing",
        [{"field": "TAG", "relation": "EQUALS", "value": "jacket"}],
        "PRICE",
        ALL_CHANNELS,
    ),
    "rain-jackets": (
        "Rain jackets",
        "jackets",
        [
            {"field": "TAG", "relation": "EQUALS", "value": "jacket"},
            {"field": "TAG", "relation": "EQUALS", "value": "rain"},
        ],
        "TITLE",
        ALL_CHANNELS,
    ),
    "shirts-under-35": (
        "Shirts under 35",
        "clothing",
        [
            {"field": "TAG", "relation": "EQUALS", "value": "shirt"},
            {"field": "PRICE", "relation": "LESS_THAN", "value": "35"},
        ],
        "PRICE",
        ALL_CHANNELS,
    ),
    "mugs": ("Mugs", None, [], "MANUAL", ALL_CHANNELS),
    "app-picks": ("App picks", None, [], "MANUAL", ["APP"]),
}


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
                tags = [category, style.lower(), colour.lower()]
                vendor = VENDORS[(len(style) + len(colour)) % len(VENDORS)]
                products.append(
                    (pid, handle, title, description, "ACTIVE", vendor, category.capitalize(), tags)
                )
                option_name = OPTION_NAMES.get(category, "Size")
                for position, size in enumerate(sizes):
                    sku = f"{category[:3]}-{style[:3]}-{colour[:3]}-{size}".upper()
                    price = base_price + 500 * (len(style) % 3)
                    options = [
                        {"name": "Colour", "value": colour},
                        {"name": option_name, "value": size},
                    ]
                    variants.append(
                        (
                            _id("variant", sku),
                            pid,
                            sku,
                            f"{colour} / {size}",
                            position,
                            price,
                            options,
                        )
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
                "INSERT INTO locations (id, code, name, kind, latitude, longitude, address, "
                "opening_hours, can_ship, can_pickup, same_day_radius_km) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                "ON CONFLICT (code) DO NOTHING",
                [
                    (_id("location", c), c, n, k, lat, lon, *LOCATION_DETAILS[c])
                    for c, n, k, lat, lon in LOCATIONS
                ],
            )
            # Routing (migration 0008): Amsterdam time; the dark store takes same-day
            # orders until 18:00 (its display hours are empty: always open).
            await conn.execute(
                "UPDATE locations SET time_zone = 'Europe/Amsterdam', same_day_cutoff = "
                "CASE WHEN same_day_radius_km > 0 THEN time '18:00' END WHERE code = ANY($1)",
                [c for c, *_ in LOCATIONS],
            )
            await conn.executemany(
                "INSERT INTO products (id, handle, title, description, status, vendor, "
                "product_type, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT (handle) DO NOTHING",
                products,
            )
            await conn.executemany(
                "INSERT INTO variants (id, product_id, sku, title, position, options, barcode) "
                "VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7) ON CONFLICT (sku) DO NOTHING",
                [
                    (*v[:5], json.dumps(v[6]), f"87{zlib.crc32(v[2].encode()) % 10**11:011d}")
                    for v in variants
                ],
            )
            # Every fifth variant is on sale: compare-at 20% above the price.
            await conn.executemany(
                "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor, "
                "compare_at_minor) VALUES ($1, $2, 'EUR', $3, $4) ON CONFLICT DO NOTHING",
                [
                    (v[0], channel_ids[c], v[5], v[5] * 6 // 5 if i % 5 == 0 else None)
                    for i, v in enumerate(variants)
                    for c, _, _ in CHANNELS
                ],
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
            # The ledger explains every unit on hand: one RECEIVED movement per stock level.
            await conn.execute(
                "INSERT INTO stock_movements (sku, location_id, delta, reason, source, "
                "source_event_id) "
                "SELECT sku, location_id, on_hand, 'RECEIVED', 'seed', "
                "'seed:' || sku || '@' || location_id FROM stock_levels WHERE on_hand > 0 "
                "ON CONFLICT (source_event_id) DO NOTHING"
            )
            await _seed_discovery(conn, products, channel_ids)
            translations = await seed_markets(conn, products, variants, channel_ids, _id)
            orders = await _seed_orders(conn, variants, channel_ids, rng)
        # Fresh rows have no planner statistics until autovacuum gets to them: without these
        # a listing's per-product price lookups scan every price (measured 40 ms vs 5 ms).
        await conn.execute(
            "ANALYZE products, variants, prices, stock_levels, collections, "
            "collection_products, product_images, translations, orders, order_lines, "
            "product_co_purchases"
        )
    finally:
        await conn.close()
    return {
        "collections": len(COLLECTIONS),
        "markets": len(MARKETS),
        "translations": translations,
        "images": 2 * len(products),
        "channels": len(CHANNELS),
        "locations": len(LOCATIONS),
        "orders": orders,
        "products": len(products),
        "variants": len(variants),
    }


async def _seed_discovery(
    conn: asyncpg.Connection[Any], products: list[tuple[Any, ...]], channel_ids: dict[str, Any]
) -> None:
    """Collections (nested, manual and rule-based) and two images with alt text a product."""
    for handle, (title, parent, rules, sort_key, channels) in COLLECTIONS.items():
        await conn.execute(
            "INSERT INTO collections (id, handle, title, description, parent_id, rules, "
            "sort_key, image_url, image_alt_text, seo_description) "
            "VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10) "
            "ON CONFLICT (handle) DO NOTHING",
            _id("collection", handle),
            handle,
            title,
            f"{title} from our Amsterdam stores.",
            _id("collection", parent) if parent else None,
            json.dumps(rules),
            sort_key,
            f"https://images.ucg.example/collections/{handle}.jpg",
            f"{title}: a selection laid out on a table",
            f"Shop {title.lower()} online or pick up in store today.",
        )
        await conn.executemany(
            "INSERT INTO collection_channels (collection_id, channel_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING",
            [(_id("collection", handle), channel_ids[c]) for c in channels],
        )
    listed = {
        "clothing": [p for p in products if p[6] in ("Shirt", "Trousers", "Jacket")],
        "mugs": [p for p in products if p[6] == "Mug"][::-1],
        "app-picks": products[::25],
    }
    await conn.executemany(
        "INSERT INTO collection_products (collection_id, product_id, position) "
        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [
            (_id("collection", handle), p[0], position)
            for handle, members in listed.items()
            for position, p in enumerate(members)
        ],
    )
    views = [("front view", 1200, 1500), ("detail of the fabric", 1200, 1200)]
    await conn.executemany(
        "INSERT INTO product_images (id, product_id, url, alt_text, width, height, position) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        [
            (
                _id("image", p[1], str(n)),
                p[0],
                f"https://images.ucg.example/products/{p[1]}/{n}.jpg",
                f"{p[2]}, {view}",
                width,
                height,
                n,
            )
            for p in products
            for n, (view, width, height) in enumerate(views)
        ],
    )
    # Every variant shows its product's colour: the front view.
    await conn.execute(
        "UPDATE variants v SET image_id = i.id FROM product_images i "
        "WHERE i.product_id = v.product_id AND i.position = 0 AND v.image_id IS NULL"
    )


# Demo orders (issue 15 item 8): looks that sell together, so COMPLEMENTARY has something
# to show: (category, style) pairs bought in one colour, sometimes with a mug.
LOOKS = [
    (("shirt", "Linen"), ("trousers", "Linen")),
    (("shirt", "Oxford"), ("trousers", "Chino")),
    (("shirt", "Flannel"), ("trousers", "Corduroy")),
    (("jacket", "Rain"), ("sneaker", "Trail")),
    (("jacket", "Bomber"), ("sneaker", "Leather")),
    (("jacket", "Denim"), ("shirt", "Denim")),
    (("mug", "Stoneware"), ("mug", "Enamel")),
]
DEMO_ORDERS = 240


async def _seed_orders(
    conn: asyncpg.Connection[Any],
    variants: list[tuple[Any, ...]],
    channel_ids: dict[str, Any],
    rng: random.Random,
) -> int:
    """Guest orders over the last 90 days (FULFILLED), and the co-purchase counts they make
    (seeded orders write no events, so the counts are computed here once)."""
    first_variant: dict[str, tuple[Any, ...]] = {}
    for v in variants:
        handle = v[2].rsplit("-", 1)[0]
        first_variant.setdefault(handle, v)
    now = datetime.now(UTC)
    orders: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    for n in range(DEMO_ORDERS):
        colour = rng.choice(COLOURS)
        look = list(rng.choice(LOOKS))
        if rng.random() < 0.3:
            look.append(("mug", rng.choice(CATEGORIES["mug"][0])))
        picked = []
        for category, style in look:
            sku_stem = f"{category[:3]}-{style[:3]}-{colour[:3]}".upper()
            if sku_stem in first_variant and first_variant[sku_stem] not in picked:
                picked.append(first_variant[sku_stem])
        order_id = _id("order", str(n))
        total = sum(v[5] for v in picked)
        created = now - timedelta(days=rng.uniform(1, 90))
        channel = rng.choice([c for c, _, _ in CHANNELS])
        orders.append((order_id, channel_ids[channel], total, created))
        lines.extend((order_id, i, v[0], v[2], v[5]) for i, v in enumerate(picked))
    await conn.executemany(
        "INSERT INTO orders (id, channel_id, status, currency_code, total_minor, subtotal_minor, "
        "created_at, updated_at) VALUES ($1, $2, 'FULFILLED', 'EUR', $3, $3, $4, $4) "
        "ON CONFLICT DO NOTHING",
        orders,
    )
    await conn.executemany(
        "INSERT INTO order_lines (order_id, position, variant_id, sku, quantity, "
        "unit_price_minor, total_minor) VALUES ($1, $2, $3, $4, 1, $5, $5) "
        "ON CONFLICT DO NOTHING",
        lines,
    )
    await conn.execute(
        """INSERT INTO product_co_purchases (product_id, other_id, orders, last_order_at)
           SELECT va.product_id, vb.product_id, count(DISTINCT o.id), max(o.created_at)
           FROM orders o
           JOIN order_lines a ON a.order_id = o.id JOIN variants va ON va.id = a.variant_id
           JOIN order_lines b ON b.order_id = o.id JOIN variants vb ON vb.id = b.variant_id
           WHERE o.id = ANY($1) AND va.product_id <> vb.product_id
           GROUP BY 1, 2
           ON CONFLICT DO NOTHING""",
        [o[0] for o in orders],
    )
    return len(orders)
