"""The co-purchase consumer group: `ucg.order.created.v1` on ucg.orders.v1 into
product_co_purchases, what COMPLEMENTARY recommendations read.

Each placed order adds one to every pair of distinct products it holds (both directions),
in one transaction with its event id in processed_events: exactly once per event, whatever
the redeliveries; the offset is committed after it. The order's lines are read from Postgres
(the event carries ids and amounts only; the lines were committed with the event). Other
order events on the topic are stepped over without a transaction. State is all in Postgres:
more members of the group process more partitions, a restart loses nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord

from datasources.events.schemas import InvalidEvent, validate_event
from datasources.kafka import topics
from datasources.kafka.consumer import (
    IGNORED,
    ConsumerConfig,
    Inbound,
    InboundConsumer,
    PoisonMessage,
)
from datasources.postgres.recommendations import add_co_purchases, order_product_ids
from datasources.postgres.uow import UnitOfWork
from domain.catalog.recommendations import co_purchase_pairs
from domain.order.events import ORDER_CREATED

CONSUMER_NAME = "co-purchases"


def parse_order_event(record: ConsumerRecord[bytes, bytes]) -> Inbound:
    try:
        event = json.loads(record.value or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise PoisonMessage("an event must be a JSON object with an id")
    if event.get("type") != ORDER_CREATED:
        return Inbound(event_id=event["id"], payload=IGNORED)
    try:
        validate_event(event)
    except InvalidEvent as exc:
        raise PoisonMessage(f"schema violation: {exc}") from None
    at = datetime.fromisoformat(event["time"]) if event.get("time") else datetime.now(UTC)
    return Inbound(event_id=event["id"], payload=(uuid.UUID(event["data"]["orderId"]), at))


def co_purchases_consumer(
    pool: asyncpg.Pool[Any],
    *,
    bootstrap_servers: str,
    topic_prefix: str = "",
    group_id: str = topics.CO_PURCHASES_GROUP,
    session_timeout_ms: int = 6000,
    heartbeat_interval_ms: int = 500,
    max_poll_records: int = 100,
    # The process's producer for dead letters; None: one of its own.
    producer: AIOKafkaProducer | None = None,
) -> InboundConsumer:
    async def apply(uow: UnitOfWork, inbound: Inbound) -> None:
        conn: asyncpg.Connection[Any] = uow.conn  # type: ignore[assignment]
        order_id, at = inbound.payload
        pairs = co_purchase_pairs(await order_product_ids(conn, order_id))
        await add_co_purchases(conn, pairs, at)

    config = ConsumerConfig(
        bootstrap_servers=bootstrap_servers,
        topic=f"{topic_prefix}{topics.ORDERS}",
        group_id=f"{topic_prefix}{group_id}",
        name=CONSUMER_NAME,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        max_poll_records=max_poll_records,
    )
    return InboundConsumer(config, pool, parse_order_event, apply, producer=producer)
