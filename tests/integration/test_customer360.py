"""Customer.profile and customer360 over HTTP: who may read them, what they say (RFM and
churn from the orders, the live profile), a constant number of SQL statements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from datasources.postgres.interactions import apply_to_profile
from datasources.postgres.pool import log_statements
from domain.auth import Role
from domain.customer.interactions import Interaction, InteractionType
from tests.conftest import TestEnv
from tests.customer_helpers import gql, local_id, register, staff_token
from tests.integration.interaction_support import PROFILE_FIELDS, make_product, make_store
from tests.integration.test_cart_statements import _asyncpg_internal

C360 = f"""query($id: ID!) {{ customer360(id: $id) {{
  customer {{ id loyalty {{ balance }} carts {{ id }} activeCart {{ id }}
    orders(first: 10) {{ edges {{ node {{ id returns {{ id }} }} }} }} }}
  ordersByChannel {{ channel orders lastOrderAt }}
  {PROFILE_FIELDS} }} }}"""


async def _orders(
    db: asyncpg.Connection[Any], customer_id: uuid.UUID, code: str, days_ago: list[int]
) -> None:
    channel = await db.fetchval(
        """INSERT INTO channels (code, name, currency_code) VALUES ($1, $1, 'EUR')
           ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id""",
        code,
    )
    for days in days_ago:
        await db.execute(
            """INSERT INTO orders (customer_id, channel_id, currency_code, total_minor, created_at)
               VALUES ($1, $2, 'EUR', 30000, now() - make_interval(days => $3))""",
            customer_id,
            channel,
            days,
        )


async def _interact(db: asyncpg.Connection[Any], interaction: Interaction) -> None:
    async with db.transaction():
        await db.execute(
            """INSERT INTO interactions (id, customer_id, device_id, type, channel, product_id,
                   location_id, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            interaction.id,
            interaction.customer_id,
            interaction.device_id,
            interaction.type.value,
            interaction.channel,
            interaction.product_id,
            interaction.location_id,
            interaction.occurred_at,
        )
        await apply_to_profile(db, interaction)


def _ix(kind: InteractionType, customer: uuid.UUID, channel: str, **kw: Any) -> Interaction:
    at = datetime.now(UTC) - timedelta(minutes=kw.pop("minutes_ago", 1))
    return Interaction(uuid.uuid4(), kind, channel, at, customer_id=customer, **kw)


async def test_customer360_for_staff_in_one_call(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shopper = await register(client)
    cid = local_id(shopper["customer"]["id"])
    shoes, coat = await make_product(db, "Shoes", "Acme"), await make_product(db, "Coats", "Nord")
    store = await make_store(db)
    await _orders(db, cid, "WEB", [3, 20, 40, 60])
    await _orders(db, cid, "POS", [1])
    await _interact(db, _ix(InteractionType.PRODUCT_VIEWED, cid, "WEB", product_id=coat,
                            minutes_ago=30))  # fmt: skip
    await _interact(db, _ix(InteractionType.ADDED_TO_CART, cid, "WEB", product_id=shoes,
                            minutes_ago=20))  # fmt: skip
    # Just now: later than the registration, so it is the customer's last-seen channel.
    await _interact(
        db, _ix(InteractionType.STORE_VISITED, cid, "POS", location_id=store, minutes_ago=0)
    )
    staff = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    body = await gql(client, C360, {"id": shopper["customer"]["id"]}, token=staff)
    assert "errors" not in body, body
    view = body["data"]["customer360"]
    assert view["customer"]["id"] == shopper["customer"]["id"]
    assert len(view["customer"]["orders"]["edges"]) == 5
    assert [(c["channel"], c["orders"]) for c in view["ordersByChannel"]] == [
        ("WEB", 4),
        ("POS", 1),
    ]
    profile = view["profile"]
    assert profile["rfm"]["segment"] == "CHAMPION"
    assert profile["rfm"]["recency"] == 5 and profile["rfm"]["frequency"] == 4
    assert profile["churnRiskLevel"] == "LOW"
    assert profile["categoryAffinities"][0]["key"] == "Shoes"  # a cart add outweighs a view
    assert profile["recentlyViewedProductIds"] == [f"gid://ucg/Product/{coat}"]
    assert profile["preferredStoreId"] == f"gid://ucg/Location/{store}"
    assert profile["preferredChannel"] == "WEB" and profile["lastSeenChannel"] == "POS"
    assert profile["channels"] == [
        {"channel": "WEB", "interactions": 2}, {"channel": "POS", "interactions": 1}
    ]  # fmt: skip
    last_seen = await db.fetchval("SELECT last_seen_channel FROM customers WHERE id = $1", cid)
    assert last_seen == "POS"

    # The customer reads their own profile; nobody else's; customer360 is staff only.
    me = await gql(client, f"{{ me {{ {PROFILE_FIELDS} }} }}", token=shopper["accessToken"])
    assert me["data"]["me"]["profile"] == profile
    other = await register(client)
    refused = await gql(client, C360, {"id": shopper["customer"]["id"]}, token=other["accessToken"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(client, C360, {"id": shopper["customer"]["id"]})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    merch = staff_token(env.settings(), Role.MERCHANDISER)
    refused = await gql(client, C360, {"id": shopper["customer"]["id"]}, token=merch)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    missing = await gql(client, C360, {"id": f"gid://ucg/Customer/{uuid.uuid4()}"}, token=staff)
    assert missing["data"]["customer360"] is None


async def test_a_lapsed_customer_is_at_high_churn_risk(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    shopper = await register(client)
    cid = local_id(shopper["customer"]["id"])
    await _orders(db, cid, "WEB", [400, 370, 340, 310])
    staff = staff_token(env.settings(), Role.SUPPORT)
    body = await gql(client, C360, {"id": shopper["customer"]["id"]}, token=staff)
    profile = body["data"]["customer360"]["profile"]
    assert profile["rfm"]["segment"] == "LAPSED"
    assert profile["churnRiskLevel"] == "HIGH" and profile["churnRisk"] > 0.9
    assert profile["interactionCount"] == 0 and profile["lastSeenAt"] is None


async def test_profiles_of_many_customers_cost_what_one_costs(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    product = await make_product(db)
    ids = []
    for _ in range(6):
        shopper = await register(client)
        cid = local_id(shopper["customer"]["id"])
        await _orders(db, cid, "WEB", [5])
        await _interact(db, _ix(InteractionType.PRODUCT_VIEWED, cid, "WEB", product_id=product))
        ids.append(shopper["customer"]["id"])
    staff = staff_token(env.settings(), Role.SUPPORT)
    counts = {}
    for n in (1, 6):
        # Aliases in one request: the DataLoaders batch every customer's profile.
        query = (
            "{ "
            + " ".join(
                f'c{i}: customer(id: "{gid}") {{ {PROFILE_FIELDS} }}'
                for i, gid in enumerate(ids[:n])
            )
            + " }"
        )
        with log_statements() as statements:
            body = await gql(client, query, token=staff)
        assert "errors" not in body, body
        assert [c["profile"]["interactionCount"] for c in body["data"].values()] == [1] * n
        counts[n] = len([s for s in statements if not _asyncpg_internal(s)])
    assert counts[1] == counts[6], counts
