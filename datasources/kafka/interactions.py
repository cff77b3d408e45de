"""`ucg.interactions.v1`: the shopper interaction stream, read by the profile consumer group.

Two kinds of message share the topic, keyed by shopper so one shopper's interactions stay
on one partition (in order, owned by one group member):

- `ucg.interaction.tracked.v1`, published by the relay for each interaction that
  `interactionsTrack` stored (already validated, consented and in `interactions`);
- `ucg.interaction.v1`, written by storefronts, apps and POS that already stream
  (schema `schemas/events/inbound/ucg.interaction.v1.json`): validated and consent-checked
  here, stored, then folded in like the first kind.

Each message's effect (store, stitch, profile update) commits with its event id in
processed_events: exactly once per event id, whatever the redeliveries. More members of
the group = more partitions processed in parallel; the state is all in Postgres, so a
member that restarts (or a rebalance) loses nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
from aiokafka import AIOKafkaProducer, ConsumerRecord

from datasources.events.schemas import InvalidEvent, validate_event
from datasources.kafka import topics
from datasources.kafka.consumer import ConsumerConfig, Inbound, InboundConsumer, PoisonMessage
from datasources.postgres.interactions import (
    PostgresInteractionStore,
    apply_to_profile,
    insert_interactions,
    stored_interaction,
)
from datasources.postgres.profile_batch import ProfileBatch, load_batch
from datasources.postgres.segments import reevaluate_customer, trigger_of
from datasources.postgres.uow import UnitOfWork
from domain.customer.interactions import (
    INBOUND_EVENT,
    TRACKED_EVENT,
    DropReason,
    Interaction,
    InteractionType,
    drop_reason,
    validate_interaction,
)
from domain.errors import DomainError, ErrorCode
from domain.ids import PREFIX

CONSUMER_NAME = "customer-profiles"
SCHEMA_PATH = (
    Path(__file__).resolve().parents[2] / "schemas" / "events" / "inbound" / f"{INBOUND_EVENT}.json"
)
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "ucg:interactions")


@dataclass(frozen=True)
class Tracked:
    interaction_id: uuid.UUID


@dataclass(frozen=True)
class Streamed:
    interaction: Interaction
    consent: bool | None


def _uuid(value: str | None, type_name: str, field: str) -> uuid.UUID | None:
    if value is None:
        return None
    raw = value
    if value.startswith(PREFIX):
        kind, _, raw = value[len(PREFIX) :].partition("/")
        if kind != type_name:
            raise PoisonMessage(f"{field} {value[:80]!r} is not a {type_name} id")
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise PoisonMessage(f"{field} {value[:80]!r} is not a {type_name} id") from None


def parse_interaction(record: ConsumerRecord[bytes, bytes]) -> Inbound:
    try:
        event = json.loads(record.value or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise PoisonMessage("an event must be a JSON object")
    if event.get("type") == TRACKED_EVENT:
        try:
            validate_event(event)
        except InvalidEvent as exc:
            raise PoisonMessage(f"schema violation: {exc}") from None
        interaction_id = uuid.UUID(event["data"]["interactionId"])
        # Prefixed: a streamed message's own event id can never shadow a tracked one.
        return Inbound(event_id=f"tracked:{interaction_id}", payload=Tracked(interaction_id))
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(event))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise PoisonMessage(f"schema violation at {path}: {error.message}")
    data = event["data"]
    event_id = data.get("eventId") or event["id"]
    try:
        occurred_at = datetime.fromisoformat(data["occurredAt"].replace("Z", "+00:00"))
    except ValueError:
        raise PoisonMessage(f"occurredAt {data['occurredAt'][:40]!r} is not a time") from None
    interaction = Interaction(
        id=uuid.uuid5(_ID_NAMESPACE, event_id),
        type=InteractionType(data["type"]),
        channel=data["channel"],
        occurred_at=occurred_at,
        customer_id=_uuid(data.get("customerId"), "Customer", "customerId"),
        device_id=data.get("deviceId"),
        session_id=data.get("sessionId"),
        product_id=_uuid(data.get("productId"), "Product", "productId"),
        location_id=_uuid(data.get("locationId"), "Location", "locationId"),
        search_term=data.get("searchTerm"),
        source=f"kafka:{event['source']}"[:200],
    )
    # Future times, missing product ids, PII in a search term: a DomainError, dead-lettered.
    checked = validate_interaction(interaction, datetime.now(UTC), ["data"])
    return Inbound(event_id=event_id, payload=Streamed(checked, data.get("consent")))


@dataclass
class ProfileCounters:
    """What the consumer did besides applying (for tests and metrics)."""

    not_consented: int = 0
    expired: int = 0
    stitched: int = 0
    segment_changes: int = 0


def interactions_consumer(
    pool: asyncpg.Pool[Any],
    *,
    bootstrap_servers: str,
    topic_prefix: str = "",
    group_id: str = topics.INTERACTIONS_GROUP,
    session_timeout_ms: int = 6000,
    heartbeat_interval_ms: int = 500,
    max_poll_records: int = 100,
    retention: timedelta = timedelta(days=365),
    # The process's producer for dead letters (api/bootstrap.py); None: one of its own.
    producer: AIOKafkaProducer | None = None,
) -> InboundConsumer:
    counters = ProfileCounters()
    hooks = _ProfileBatchHooks()

    async def apply(uow: UnitOfWork, inbound: Inbound) -> None:
        conn: asyncpg.Connection[Any] = uow.conn  # type: ignore[assignment]
        payload = inbound.payload
        batch = hooks.current
        if isinstance(payload, Tracked):
            if batch is not None and payload.interaction_id in batch.interactions:
                interaction: Interaction | None = batch.interactions[payload.interaction_id]
            else:
                interaction = await stored_interaction(conn, payload.interaction_id)
            if interaction is None:
                return  # erased or past retention since it was tracked: nothing to learn
        else:
            interaction = await _admit(conn, payload, retention, counters)
            if interaction is None:
                return
        effect = await apply_to_profile(conn, interaction, batch)
        counters.stitched += effect.stitched
        if effect.customer_id is not None:
            # Same transaction as the profile change: entries, exits and visits exactly once.
            changes = await reevaluate_customer(
                conn, uow.add_event, effect.customer_id, trigger_of(interaction), datetime.now(UTC)
            )
            counters.segment_changes += len(changes)
        if batch is not None and effect.state is not None:
            batch.remember(effect.subject, effect.state)  # the message's effect stood

    config = ConsumerConfig(
        bootstrap_servers=bootstrap_servers,
        topic=f"{topic_prefix}{topics.INTERACTIONS}",
        group_id=f"{topic_prefix}{group_id}",
        name=CONSUMER_NAME,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        max_poll_records=max_poll_records,
        batch_transactions=True,
    )
    consumer = InboundConsumer(
        config, pool, parse_interaction, apply, producer=producer, batch_hooks=hooks
    )
    consumer.profile_counters = counters  # type: ignore[attr-defined]
    return consumer


class _ProfileBatchHooks:
    """Loads what a batch of tracked interactions needs in a few statements (BatchHooks)."""

    def __init__(self) -> None:
        self.current: ProfileBatch | None = None

    async def begin(self, uow: UnitOfWork, inbounds: list[Inbound]) -> None:
        conn: asyncpg.Connection[Any] = uow.conn  # type: ignore[assignment]
        tracked = [i.payload.interaction_id for i in inbounds if isinstance(i.payload, Tracked)]
        self.current = await load_batch(conn, tracked)

    async def flush(self, uow: UnitOfWork) -> None:
        return None  # every profile is written when its message is applied

    def end(self) -> None:
        self.current = None


async def _admit(
    conn: asyncpg.Connection[Any],
    streamed: Streamed,
    retention: timedelta,
    counters: ProfileCounters,
) -> Interaction | None:
    """Consent and retention for a streamed interaction; stored if kept, else None."""
    interaction = streamed.interaction
    store = PostgresInteractionStore(conn)
    if interaction.customer_id is not None:
        # A sender may still know a merged record's id: it files under the survivor.
        owner = await conn.fetchval(
            "SELECT COALESCE(merged_into, id) FROM customers WHERE id = $1",
            interaction.customer_id,
        )
        if owner is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Customer does not exist.", ["customerId"])
        interaction = replace(interaction, customer_id=owner)
        allowed = (await store.consent_of([owner])).get(owner, False)
    else:
        owners = await store.owner_of(interaction.anonymous_keys)
        owner = next((owners[k] for k in interaction.anonymous_keys if k in owners), None)
        if owner is not None:
            allowed = (await store.consent_of([owner])).get(owner, False)
        else:
            allowed = streamed.consent is True
    if interaction.product_id and not await store.existing("products", [interaction.product_id]):
        raise DomainError(ErrorCode.NOT_FOUND, "Product does not exist.", ["productId"])
    reason = drop_reason(allowed, interaction.occurred_at, datetime.now(UTC), retention)
    if reason is not None:
        if reason is DropReason.NO_CONSENT:
            counters.not_consented += 1
        else:
            counters.expired += 1
        return None
    await insert_interactions(conn, [interaction])
    return interaction
