"""`ucg.inventory.adjustments.v1`: stock adjustments from POS, ERP and WMS (CloudEvents JSON).

    {"specversion": "1.0", "id": "<event id>", "type": "ucg.inventory.adjustment.v1",
     "source": "pos/st-dam", "time": "...",
     "data": {"sku": "SKU-1", "locationId": "gid://ucg/Location/<uuid>",
              "delta": -2 | "onHand": 17, "reason": "SOLD", "eventId": "<optional>"}}

The dedupe key is `data.eventId` when given, else the CloudEvent `id`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import jsonschema
from aiokafka import AIOKafkaProducer, ConsumerRecord

from datasources.kafka import topics
from datasources.kafka.consumer import (
    AfterCommit,
    ConsumerConfig,
    Inbound,
    InboundConsumer,
    PoisonMessage,
)
from datasources.postgres.uow import UnitOfWork
from domain.ids import PREFIX
from domain.inventory.rules import MAX_QUANTITY, MovementReason
from domain.inventory.services import apply_adjustment

CONSUMER_NAME = "inventory-adjustments"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["specversion", "id", "type", "source", "data"],
    "properties": {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "minLength": 1, "maxLength": 200},
        "type": {"const": "ucg.inventory.adjustment.v1"},
        "source": {"type": "string", "minLength": 1},
        "data": {
            "type": "object",
            "required": ["sku", "locationId", "reason"],
            "properties": {
                "sku": {"type": "string", "minLength": 1, "maxLength": 100},
                "locationId": {"type": "string", "minLength": 1},
                "delta": {"type": "integer", "minimum": -MAX_QUANTITY, "maximum": MAX_QUANTITY},
                "onHand": {"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
                "reason": {"enum": [r.value for r in MovementReason]},
                "eventId": {"type": "string", "minLength": 1, "maxLength": 200},
            },
            "oneOf": [{"required": ["delta"]}, {"required": ["onHand"]}],
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@dataclass(frozen=True)
class Adjustment:
    sku: str
    location_id: uuid.UUID
    delta: int | None
    on_hand: int | None
    reason: MovementReason
    source: str


def _location_id(value: str) -> uuid.UUID:
    raw = value
    if value.startswith(PREFIX):
        type_name, _, raw = value[len(PREFIX) :].partition("/")
        if type_name != "Location":
            raise PoisonMessage(f"locationId {value!r} is not a Location id")
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise PoisonMessage(f"locationId {value!r} is not a Location id") from None


def parse_adjustment(record: ConsumerRecord[bytes, bytes]) -> Inbound:
    try:
        event = json.loads(record.value or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(event))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise PoisonMessage(f"schema violation at {path}: {error.message}")
    data = event["data"]
    adjustment = Adjustment(
        sku=data["sku"],
        location_id=_location_id(data["locationId"]),
        delta=data.get("delta"),
        on_hand=data.get("onHand"),
        reason=MovementReason(data["reason"]),
        source=f"kafka:{event['source']}",
    )
    return Inbound(event_id=data.get("eventId") or event["id"], payload=adjustment)


async def apply_inbound_adjustment(uow: UnitOfWork, inbound: Inbound) -> None:
    a: Adjustment = inbound.payload
    await apply_adjustment(
        uow,
        a.sku,
        a.location_id,
        delta=a.delta,
        set_to=a.on_hand,
        reason=a.reason,
        source=a.source,
        source_event_id=f"{CONSUMER_NAME}:{inbound.event_id}",
    )


def adjustments_consumer(
    pool: asyncpg.Pool[Any],
    *,
    bootstrap_servers: str,
    topic_prefix: str = "",
    group_id: str = topics.INVENTORY_ADJUSTMENTS_GROUP,
    session_timeout_ms: int = 6000,
    heartbeat_interval_ms: int = 500,
    max_poll_records: int = 100,
    after_commit: AfterCommit | None = None,
    # The process's producer for dead letters (api/bootstrap.py); None: one of its own.
    producer: AIOKafkaProducer | None = None,
) -> InboundConsumer:
    config = ConsumerConfig(
        bootstrap_servers=bootstrap_servers,
        topic=f"{topic_prefix}{topics.INVENTORY_ADJUSTMENTS}",
        group_id=f"{topic_prefix}{group_id}",
        name=CONSUMER_NAME,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        max_poll_records=max_poll_records,
    )
    return InboundConsumer(
        config,
        pool,
        parse_adjustment,
        apply_inbound_adjustment,
        after_commit=after_commit,
        producer=producer,
    )
