"""`/metrics`: operation timings, error codes, refusals, outbox and inventory gauges."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.metrics import reconcile_inventory
from datasources.events.cloudevents import encode, envelope
from datasources.kafka.fanout import EventHub
from datasources.postgres.pool import create_pool
from tests.conftest import TestEnv
from tests.helpers import app_client
from tests.stock_helpers import make_location, make_variant, receive


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def test_metrics_report_operations_errors_refusals_and_outbox(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    for _ in range(10):  # a full page: nothing of the cost is given back
        await make_variant(db)
    await db.execute(
        "INSERT INTO outbox (topic, type, aggregate_type, aggregate_id, sequence, payload, "
        "created_at) VALUES ('t', 'Test', 'Test', 'a', 1, '{}', now() - interval '90 seconds')"
    )
    page = "query MetricsPage { products(first: 10) { edges { node { id } } } }"
    settings = env.settings(max_query_cost=21, rate_limit_capacity=21, rate_limit_restore_rate=0.01)
    async with app_client(settings) as client:
        before = (await client.get("/metrics")).text
        assert (await client.post("/graphql", json={"query": page})).status_code == 200
        refused = await client.post("/graphql", json={"query": page})
        assert refused.status_code == 429
        invalid = await client.post("/graphql", json={"query": "{ noSuchField }"})
        assert invalid.json()["errors"]
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    name = "ucg_graphql_operation_seconds_count"
    labels = {"operation": "MetricsPage", "type": "query"}
    assert value(after, name, **labels) - value(before, name, **labels) == 2
    throttled = "ucg_graphql_errors_total"
    assert (
        value(after, throttled, code="THROTTLED") - value(before, throttled, code="THROTTLED") == 1
    )
    refusals = "ucg_rate_limit_refusals_total"
    assert value(after, refusals) - value(before, refusals) == 1
    code = "GRAPHQL_VALIDATION_FAILED"
    assert value(after, throttled, code=code) - value(before, throttled, code=code) == 1
    assert value(after, "ucg_outbox_unpublished") == 1
    assert 90 <= value(after, "ucg_outbox_oldest_unpublished_age_seconds") < 120


async def test_metrics_endpoint_can_want_a_token_or_be_off(env: TestEnv) -> None:
    async with app_client(env.settings(metrics_token="s3cret-metrics")) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"authorization": "Bearer s3cret-metrics"})
        assert right.status_code == 200
        assert "ucg_graphql_operation_seconds" in right.text
    async with app_client(env.settings(metrics_enabled=False)) as client:
        assert (await client.get("/metrics")).status_code == 404


async def test_inventory_accuracy_is_the_share_of_rows_agreeing_with_their_ledger(
    env: TestEnv, db: asyncpg.Connection[Any], caplog: pytest.LogCaptureFixture
) -> None:
    location = await make_location(db)
    skus = [await make_variant(db) for _ in range(4)]
    for sku in skus:
        await receive(db, sku, location, 5)
    pool = await create_pool(env.database_url, min_size=1, max_size=2)
    try:
        assert await reconcile_inventory(pool) == 1.0
        # A row changed behind the ledger's back.
        await db.execute(
            "UPDATE stock_levels SET on_hand = 7 WHERE sku = $1 AND location_id = $2",
            skus[0],
            location,
        )
        with caplog.at_level(logging.WARNING, logger="ucg.metrics"):
            assert await reconcile_inventory(pool) == 0.75
        (warning,) = [r for r in caplog.records if r.name == "ucg.metrics"]
        assert warning.rows == [f"{skus[0]}@{location}: on_hand 7, ledger 5"]  # type: ignore[attr-defined]
        events = await db.fetch(
            "SELECT aggregate_id, payload FROM outbox "
            "WHERE type = 'ucg.inventory.discrepancy_detected.v1'"
        )
        assert [e["aggregate_id"] for e in events] == [f"{skus[0]}@{location}"]
        # reserved must be the units of the row's ACTIVE reservations: none here.
        await db.execute(
            "UPDATE stock_levels SET reserved = 2 WHERE sku = $1 AND location_id = $2",
            skus[1],
            location,
        )
        reported: set[tuple[object, ...]] = set()
        assert await reconcile_inventory(pool, reported) == 0.5
        assert await reconcile_inventory(pool, reported) == 0.5  # raised once, not again
        raised = await db.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'ucg.inventory.discrepancy_detected.v1' "
            "AND aggregate_id = $1",
            f"{skus[1]}@{location}",
        )
        assert raised == 1
        await db.execute(
            "UPDATE stock_levels SET reserved = 0 WHERE sku = $1 AND location_id = $2",
            skus[1],
            location,
        )
        assert await reconcile_inventory(pool, reported) == 0.75
    finally:
        await pool.close()
    async with app_client(env.settings()) as client:
        text = (await client.get("/metrics")).text
    assert value(text, "ucg_inventory_accuracy_ratio") == 0.75
    assert value(text, "ucg_inventory_rows_disagreeing") == 1


async def test_propagation_latency_is_measured_from_the_event_time_to_the_subscriber(
    env: TestEnv,
) -> None:
    hub = EventHub(env.settings())
    subscriber = hub.subscribe([("sku", "PROP-A")])
    hub.subscribe([("sku", "PROP-B")])
    name = "ucg_event_propagation_seconds"
    labels = {"type": "ucg.inventory.stock_changed.v1"}
    before = generate_latest(REGISTRY).decode()
    raw = envelope(
        event_id=uuid.uuid4(),
        event_type=labels["type"],
        subject="PROP-A@x",
        sequence=1,
        time=datetime.now(UTC) - timedelta(milliseconds=150),
        data={
            "sku": "PROP-A",
            "locationId": str(uuid.uuid4()),
            "onHand": 1,
            "reserved": 0,
            "available": 1,
        },
    )
    unheard = {
        **raw,
        "id": str(uuid.uuid4()),
        "subject": "NOBODY@x",
        "data": {**raw["data"], "sku": "NOBODY"},
    }
    await hub.handle([encode(raw), encode(unheard)])
    assert (await asyncio.wait_for(subscriber.get(), 1)).data["sku"] == "PROP-A"
    after = generate_latest(REGISTRY).decode()
    count = value(after, f"{name}_count", **labels) - value(before, f"{name}_count", **labels)
    assert count == 1, "an event nobody listens to is not measured"
    total = value(after, f"{name}_sum", **labels) - value(before, f"{name}_sum", **labels)
    assert 0.15 <= total < 5
