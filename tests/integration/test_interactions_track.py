"""interactionsTrack over HTTP: validated, consent-aware, rate-limited, all-or-nothing,
each stored interaction with its event in the outbox."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from domain.customer.interactions import MAX_BATCH
from tests.conftest import TestEnv
from tests.customer_helpers import gql, local_id, register, staff_token
from tests.helpers import app_client
from tests.integration.interaction_support import (
    event,
    grant_consent,
    make_product,
    make_store,
    track,
)


async def _count(
    db: asyncpg.Connection[Any], sql: str = "SELECT count(*) FROM interactions"
) -> int:
    value: int = await db.fetchval(sql)
    return value


async def test_anonymous_with_consent_is_stored_with_its_event(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    product = await make_product(db)
    payload = await track(
        client,
        [
            event("PRODUCT_VIEWED", productId=product, deviceId="web-dev-1", sessionId="s-1"),
            event("SEARCHED", searchTerm="  Red   SHOES ", sessionId="s-1"),
        ],
        consent=True,
    )
    assert payload["userErrors"] == [] and payload["accepted"] == 2
    assert payload["dropped"] == []
    ids = [local_id(g) for g in payload["interactionIds"]]
    rows = await db.fetch("SELECT * FROM interactions ORDER BY occurred_at, type")
    assert {r["id"] for r in rows} == set(ids)
    assert {r["search_term"] for r in rows} == {None, "red shoes"}
    assert all(r["customer_id"] is None for r in rows)
    events = await db.fetch(
        "SELECT topic, type, aggregate_id, payload FROM outbox WHERE type = 'ucg.interaction.tracked.v1'"
    )
    assert len(events) == 2
    assert {e["topic"] for e in events} == {"ucg.interactions.v1"}
    assert {e["aggregate_id"] for e in events} == {"device:web-dev-1", "session:s-1"}
    for e in events:  # ids only: the search term never leaves the database
        assert "searchTerm" not in e["payload"] and "shoes" not in str(e["payload"])


async def test_no_consent_nothing_stored_and_the_payload_says_so(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    product = await make_product(db)
    anonymous = await track(client, [event("PRODUCT_VIEWED", productId=product, deviceId="d-2")])
    assert anonymous["accepted"] == 0 and anonymous["userErrors"] == []
    assert anonymous["dropped"] == [{"reason": "NO_CONSENT", "count": 1}]
    shopper = await register(client)  # registered without marketing consent
    signed_in = await track(
        client, [event("WISHLISTED", productId=product)], token=shopper["accessToken"], consent=True
    )
    # The anonymous flag does not override what the customer chose.
    assert signed_in["dropped"] == [{"reason": "NO_CONSENT", "count": 1}]
    assert await _count(db) == 0
    assert await _count(db, "SELECT count(*) FROM outbox WHERE topic = 'ucg.interactions.v1'") == 0

    await grant_consent(client, shopper["accessToken"])
    again = await track(
        client, [event("WISHLISTED", productId=product)], token=shopper["accessToken"]
    )
    assert again["accepted"] == 1
    owner = await db.fetchval("SELECT customer_id FROM interactions")
    assert owner == local_id(shopper["customer"]["id"])


async def test_bad_input_is_typed_and_refuses_the_whole_batch(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    product = await make_product(db)
    good = event("PRODUCT_VIEWED", productId=product, deviceId="d-3")
    cases = [
        ([good, event("PRODUCT_VIEWED", ago=-3600, productId=product, deviceId="d-3")],
         "INVALID", ["events", "1", "occurredAt"]),
        ([good] * (MAX_BATCH + 1), "INVALID", ["events"]),
        ([], "INVALID", ["events"]),
        ([good, event("PRODUCT_VIEWED", deviceId="d-3")], "INVALID", ["events", "1", "productId"]),
        ([event("PRODUCT_VIEWED", productId=product)], "INVALID", ["events", "0", "deviceId"]),
        ([event("STORE_VISITED", deviceId="d-3")], "INVALID", ["events", "0", "locationId"]),
        ([event("SEARCHED", deviceId="d-3", searchTerm="me@example.com")],
         "INVALID", ["events", "0", "searchTerm"]),
        ([event("SEARCHED", deviceId="d-3", searchTerm="+44 20 7946 0958")],
         "INVALID", ["events", "0", "searchTerm"]),
        ([event("PRODUCT_VIEWED", productId=uuid.uuid4(), deviceId="d-3")],
         "NOT_FOUND", ["events", "0", "productId"]),
        ([event("PRODUCT_VIEWED", productId="gid://ucg/Order/x", deviceId="d-3")],
         "INVALID_ID", ["events", "0", "productId"]),
        ([event("PRODUCT_VIEWED", channel="web", productId=product, deviceId="d-3")],
         "INVALID", ["events", "0", "channel"]),
        ([event("PRODUCT_VIEWED", productId=product, deviceId="bad id!")],
         "INVALID", ["events", "0", "deviceId"]),
        ([event("PRODUCT_VIEWED", productId=product, customerId=uuid.uuid4())],
         "UNAUTHENTICATED", ["events", "0", "customerId"]),
    ]  # fmt: skip
    for events, code, field in cases:
        payload = await track(client, events, consent=True)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], field
        assert payload["accepted"] == 0
    assert await _count(db) == 0
    unknown = await gql(
        client,
        'mutation { interactionsTrack(events: [{type: CLICKED, channel: "WEB", '
        'occurredAt: "2026-01-01T00:00:00Z", deviceId: "d"}]) { accepted } }',
    )
    assert unknown["errors"] and unknown.get("data") is None


async def test_ids_of_another_customer_and_staff_scope(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    product = await make_product(db)
    store = await make_store(db)
    me, other = await register(client), await register(client)
    await grant_consent(client, me["accessToken"])
    await grant_consent(client, other["accessToken"])
    theirs = event(
        "PRODUCT_VIEWED", productId=product, customerId=local_id(other["customer"]["id"])
    )
    payload = await track(client, [theirs], token=me["accessToken"])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_FOUND", ["events", "0", "customerId"])
    ]
    merchandiser = staff_token(env.settings(), Role.MERCHANDISER)
    payload = await track(client, [theirs], token=merchandiser)
    assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    assert await _count(db) == 0
    pos = staff_token(env.settings(), Role.POS)
    visit = event("STORE_VISITED", channel="POS", locationId=store,
                  customerId=local_id(other["customer"]["id"]))  # fmt: skip
    payload = await track(client, [visit], token=pos)
    assert payload["accepted"] == 1
    row = await db.fetchrow("SELECT customer_id, location_id, channel FROM interactions")
    assert (row["customer_id"], row["location_id"], row["channel"]) == (
        local_id(other["customer"]["id"]), store, "POS")  # fmt: skip


async def test_interactions_are_rate_limited_per_shopper(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    product = await make_product(db)
    settings = env.settings(interaction_rate_capacity=5, interaction_rate_per_second=0.01)
    async with app_client(settings) as client:
        batch = [event("PRODUCT_VIEWED", productId=product, deviceId="chatty")] * 4
        assert (await track(client, batch, consent=True))["accepted"] == 4
        refused = await track(client, batch, consent=True)
        assert [e["code"] for e in refused["userErrors"]] == ["THROTTLED"]
        assert "retry in" in refused["userErrors"][0]["message"]
        # Another device has its own bucket.
        other = [event("PRODUCT_VIEWED", productId=product, deviceId="quiet")]
        assert (await track(client, other, consent=True))["accepted"] == 1
    assert await _count(db) == 5
