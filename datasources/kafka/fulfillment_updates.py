"""`ucg.fulfillment.updates.v1`: fulfillment moves reported by a WMS / 3PL (CloudEvents JSON).

    {"specversion": "1.0", "id": "<message id>", "type": "ucg.fulfillment.update.v1",
     "source": "wms/dc-utrecht", "time": "...",
     "data": {"eventId": "<optional>", "fulfillmentId": "gid://ucg/Fulfillment/<uuid>",
              "orderId": "<optional>", "status": "SHIPPED",
              "tracking": {"carrier": "PostNL", "number": "3S...", "url": null}}}

Runs on the shared `InboundConsumer` (dedupe, retries, DLQ, offsets): the
dedupe key is `data.eventId` when given, else the CloudEvent `id`. The JSON
Schema is `schemas/events/inbound/ucg.fulfillment.update.v1.json`; the ids
and the status are checked again by `domain.order.events.parse_fulfillment_update`.
The update is applied by `apply_fulfillment_update` (the use-case behind the
`fulfillmentUpdate` mutation) as a SERVICE principal, with this process's
payment gateway: a SHIPPED / PICKED_UP captures the payment in the same
transaction that records the event id.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import jsonschema
from aiokafka import AIOKafkaProducer, ConsumerRecord

from datasources.kafka import topics
from datasources.kafka.consumer import (
    AfterCommit,
    Apply,
    ConsumerConfig,
    Inbound,
    InboundConsumer,
    PoisonMessage,
    TransientFault,
)
from datasources.postgres.uow import UnitOfWork
from domain.auth import Principal, PrincipalKind, Role
from domain.order.events import FulfillmentUpdate, parse_fulfillment_update
from domain.order.fulfillment_inbound import apply_fulfillment_update
from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    PaymentGateway,
    Refunded,
    Voided,
)

R = TypeVar("R")

CONSUMER_NAME = "fulfillment-updates"
EVENT_TYPE = "ucg.fulfillment.update.v1"
SCHEMA_PATH = (
    Path(__file__).resolve().parents[2] / "schemas" / "events" / "inbound" / f"{EVENT_TYPE}.json"
)
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# Who the consumer acts as: a machine caller with the SERVICE role (the same
# permission a WMS would get through the API), with a stable id for audit.
PRINCIPAL = Principal(
    kind=PrincipalKind.API_KEY,
    id=uuid.uuid5(uuid.NAMESPACE_URL, f"ucg:consumer:{CONSUMER_NAME}"),
    roles=frozenset({Role.SERVICE}),
)


def parse_update(record: ConsumerRecord[bytes, bytes]) -> Inbound:
    """PoisonMessage for bad JSON or a schema violation; the domain parser's
    DomainError (a bad id) is parked by the consumer the same way."""
    try:
        event = json.loads(record.value or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(event))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise PoisonMessage(f"schema violation at {path}: {error.message}")
    data = event["data"]
    update = parse_fulfillment_update({**data, "eventId": data.get("eventId") or event["id"]})
    return Inbound(event_id=update.event_id, payload=update)


class RetryableFailuresRaise:
    """The process's gateway, with a transient payment failure (PROCESSING_ERROR) raised
    as TransientFault so the consumer retries the message instead of parking it; the
    retry sends the same idempotency key, so it cannot charge twice."""

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    async def authorize(
        self, amount: PaymentAmount, card_token: str, idempotency_key: str
    ) -> Authorized | PaymentFailure:
        return _raise_retryable(await self._gateway.authorize(amount, card_token, idempotency_key))

    async def authorization_for(self, idempotency_key: str) -> Authorized | None:
        return await self._gateway.authorization_for(idempotency_key)

    async def capture(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Captured | PaymentFailure:
        return _raise_retryable(
            await self._gateway.capture(authorization_id, amount, idempotency_key)
        )

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        return _raise_retryable(await self._gateway.void(authorization_id, idempotency_key))

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure:
        return _raise_retryable(
            await self._gateway.refund(authorization_id, amount, idempotency_key)
        )


def _raise_retryable(result: R | PaymentFailure) -> R | PaymentFailure:
    if isinstance(result, PaymentFailure) and result.retryable:
        raise TransientFault(f"payment service: {result.code}: {result.message}")
    return result


def fulfillment_updates_apply(gateway: PaymentGateway) -> Apply:
    retrying = RetryableFailuresRaise(gateway)

    async def apply(uow: UnitOfWork, inbound: Inbound) -> None:
        update: FulfillmentUpdate = inbound.payload
        await apply_fulfillment_update(uow, PRINCIPAL, retrying, update, datetime.now(UTC))

    return apply


def fulfillment_updates_consumer(
    pool: asyncpg.Pool[Any],
    gateway: PaymentGateway,
    *,
    bootstrap_servers: str,
    topic_prefix: str = "",
    group_id: str = topics.FULFILLMENT_UPDATES_GROUP,
    session_timeout_ms: int = 6000,
    heartbeat_interval_ms: int = 500,
    max_poll_records: int = 100,
    after_commit: AfterCommit | None = None,
    # The process's producer for dead letters (api/bootstrap.py); None: one of its own.
    producer: AIOKafkaProducer | None = None,
) -> InboundConsumer:
    config = ConsumerConfig(
        bootstrap_servers=bootstrap_servers,
        topic=f"{topic_prefix}{topics.FULFILLMENT_UPDATES}",
        group_id=f"{topic_prefix}{group_id}",
        name=CONSUMER_NAME,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        max_poll_records=max_poll_records,
    )
    return InboundConsumer(
        config,
        pool,
        parse_update,
        fulfillment_updates_apply(gateway),
        after_commit=after_commit,
        producer=producer,
    )
