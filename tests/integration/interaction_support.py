"""Helpers of the Customer 360 tests: products with a category and brand, stores, calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from domain.ids import to_global_id
from tests.customer_helpers import gql
from tests.helpers import unique

TRACK = """mutation($e: [InteractionInput!]!, $c: Boolean! = false) {
  interactionsTrack(events: $e, anonymousConsent: $c) {
    accepted interactionIds dropped { reason count } userErrors { code field message } } }"""
PROFILE_FIELDS = """profile { recentlyViewedProductIds categoryAffinities { key score }
  brandAffinities { key score } rfm { segment recency frequency monetary } churnRisk
  churnRiskLevel preferredChannel preferredStoreId lastSeenChannel lastSeenAt interactionCount
  channels { channel interactions } }"""


async def make_product(
    db: asyncpg.Connection[Any], category: str = "Shoes", brand: str = "Acme"
) -> uuid.UUID:
    product_id: uuid.UUID = await db.fetchval(
        """INSERT INTO products (handle, title, status, product_type, vendor)
           VALUES ($1, 'A product', 'ACTIVE', $2, $3) RETURNING id""",
        unique("p-"),
        category,
        brand,
    )
    return product_id


async def make_store(db: asyncpg.Connection[Any]) -> uuid.UUID:
    store_id: uuid.UUID = await db.fetchval(
        "INSERT INTO locations (code, name, kind) VALUES ($1, 'Store', 'STORE') RETURNING id",
        unique("ST-"),
    )
    return store_id


def event(kind: str, channel: str = "WEB", ago: float = 60, **fields: Any) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(seconds=ago)
    out: dict[str, Any] = {"type": kind, "channel": channel, "occurredAt": at.isoformat()}
    for name, value in fields.items():
        if name == "productId" and isinstance(value, uuid.UUID):
            value = to_global_id("Product", value)
        if name == "locationId" and isinstance(value, uuid.UUID):
            value = to_global_id("Location", value)
        if name == "customerId" and isinstance(value, uuid.UUID):
            value = to_global_id("Customer", value)
        out[name] = value
    return out


async def track(
    client: httpx.AsyncClient,
    events: list[dict[str, Any]],
    token: str | None = None,
    consent: bool = False,
) -> dict[str, Any]:
    body = await gql(client, TRACK, {"e": events, "c": consent}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["interactionsTrack"]
    return payload


async def grant_consent(client: httpx.AsyncClient, token: str) -> None:
    body = await gql(
        client,
        """mutation { customerUpdate(input: {marketingConsent: {granted: true, source: "web"}}) {
             userErrors { code } } }""",
        token=token,
    )
    assert body["data"]["customerUpdate"]["userErrors"] == []
