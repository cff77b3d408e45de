"""Inbound fulfillment updates without I/O: which fulfillments an order-level update
moves, the message schema and parser, and transient payment failures as retries."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from datasources.kafka.consumer import PoisonMessage, TransientFault
from datasources.kafka.fulfillment_updates import (
    PRINCIPAL,
    SCHEMA,
    RetryableFailuresRaise,
    parse_update,
)
from datasources.payments.test_provider import TestPaymentProvider
from domain.auth import Role
from domain.errors import DomainError, ErrorCode
from domain.events import INBOUND_EVENT_TYPES
from domain.order.events import Tracking
from domain.order.fulfillment import FulfillmentStatus
from domain.order.fulfillment_inbound import fulfillments_to_move
from domain.order.fulfillment_service import FULFILLMENT_ROLES
from domain.order.model import Fulfillment
from domain.order.payments import Authorized, PaymentAmount, PaymentFailure, PaymentFailureCode

S = FulfillmentStatus
ORDER = uuid.UUID(int=1)


def record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("t", 0, 0, 0, 0, None, value, None, 0, len(value), ())


def fulfillment(n: int, status: S, method: str = "SHIP") -> Fulfillment:
    return Fulfillment(uuid.UUID(int=n), method, uuid.UUID(int=99), status, {})


def test_an_order_level_update_moves_each_fulfillment_that_may_move() -> None:
    fulfillments = [
        fulfillment(1, S.PICKING),
        fulfillment(2, S.CANCELLED),  # final: left alone
        fulfillment(3, S.SHIPPED),  # already there: chosen, tracking may change
        fulfillment(4, S.PACKED, "PICKUP"),  # a pickup never ships
    ]
    assert fulfillments_to_move(fulfillments, S.SHIPPED) == [uuid.UUID(int=1), uuid.UUID(int=3)]


def test_an_order_level_update_no_fulfillment_can_make_is_an_invalid_transition() -> None:
    with pytest.raises(DomainError) as refused:
        fulfillments_to_move([fulfillment(1, S.DELIVERED), fulfillment(2, S.CANCELLED)], S.PICKING)
    assert refused.value.code is ErrorCode.INVALID_TRANSITION
    assert "DELIVERED, CANCELLED" in refused.value.message
    with pytest.raises(DomainError):
        fulfillments_to_move([], S.PICKING)


def test_an_order_level_update_may_not_cancel_or_release() -> None:
    # ALLOCATED -> CANCELLED is in the lifecycle table, but it is orderCancel's move.
    for target in (S.CANCELLED, S.PENDING):
        with pytest.raises(DomainError) as refused:
            fulfillments_to_move([fulfillment(1, S.ALLOCATED), fulfillment(2, S.ON_HOLD)], target)
        assert refused.value.code is ErrorCode.INVALID_TRANSITION
        assert "orderCancel" in refused.value.message or "orderReview" in refused.value.message


def test_the_consumer_acts_as_a_service_allowed_to_move_fulfillments() -> None:
    assert Role.SERVICE in FULFILLMENT_ROLES and PRINCIPAL.roles == {Role.SERVICE}


def test_the_schema_example_parses_and_the_schema_knows_every_status() -> None:
    assert SCHEMA["properties"]["type"]["const"] in INBOUND_EVENT_TYPES
    assert SCHEMA["$defs"]["data"]["properties"]["status"]["enum"] == [s.value for s in S]
    (example,) = SCHEMA["examples"]
    inbound = parse_update(record(json.dumps(example).encode()))
    assert inbound.event_id == "dc-utrecht-shipment-48213-shipped"
    assert inbound.payload.fulfillment_id == uuid.UUID("3f4e5d6c-7b8a-4998-8a7b-6c5d4e3f2a10")
    assert inbound.payload.status is S.SHIPPED
    assert inbound.payload.tracking == Tracking(
        "PostNL", "3SABC1234567", "https://jouw.postnl.nl/track/3SABC1234567"
    )
    # Without data.eventId the CloudEvent id is the dedupe key.
    bare = copy.deepcopy(example)
    del bare["data"]["eventId"]
    assert parse_update(record(json.dumps(bare).encode())).event_id == example["id"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "ucg.inventory.adjustment.v1"}, "schema violation at type"),
        ({"data": {"status": "SHIPPED"}}, "schema violation at data"),
        ({"data": {"fulfillmentId": "x", "status": "GONE"}}, "schema violation at data/status"),
        (
            {"data": {"orderId": "o", "status": "SHIPPED", "tracking": {"carrier": "DHL"}}},
            "schema violation at data/tracking",
        ),
    ],
)
def test_a_message_off_the_schema_is_poison(change: dict[str, Any], expected: str) -> None:
    message = {**SCHEMA["examples"][0], **change}
    with pytest.raises(PoisonMessage, match=expected):
        parse_update(record(json.dumps(message).encode()))


def test_a_bad_id_is_refused_by_the_domain_parser() -> None:
    message = {**SCHEMA["examples"][0], "data": {"orderId": "not-an-id", "status": "SHIPPED"}}
    with pytest.raises(DomainError) as refused:
        parse_update(record(json.dumps(message).encode()))
    assert refused.value.code is ErrorCode.INVALID_ID


async def test_a_transient_payment_failure_is_raised_for_a_retry_a_decline_is_not() -> None:
    gateway = RetryableFailuresRaise(TestPaymentProvider())
    amount = PaymentAmount(1_000, "EUR")
    with pytest.raises(TransientFault, match="PROCESSING_ERROR"):
        await gateway.authorize(amount, "tok_processing_error", "k1")
    declined = await gateway.authorize(amount, "tok_declined", "k2")
    assert (
        isinstance(declined, PaymentFailure) and declined.code is PaymentFailureCode.CARD_DECLINED
    )
    assert isinstance(await gateway.authorize(amount, "tok_visa", "k3"), Authorized)


def test_ucg_consume_runs_every_inbound_topic_or_the_ones_named() -> None:
    from typing import cast

    import asyncpg
    import redis.asyncio as redis

    from api.bootstrap import Services
    from api.settings import Settings, payment_gateway
    from datasources.redis.cache import ReadThroughCache
    from entrypoints.cli import main
    from entrypoints.consumers import build_consumers

    settings = Settings(kafka_bootstrap_servers="127.0.0.1:1", kafka_topic_prefix="p.")
    # Building a consumer does no I/O: the services' parts are set, not started.
    services = Services(settings)
    services.pool = cast("asyncpg.Pool[Any]", None)
    services.payments = payment_gateway(settings, services.pool)
    services.cache = ReadThroughCache(redis.Redis(), "p:")

    def topics_of(only: set[str] | None) -> list[str]:
        return [c.config.topic for c in build_consumers(services, only)]

    assert topics_of(None) == [
        "p.ucg.inventory.adjustments.v1",
        "p.ucg.fulfillment.updates.v1",
        "p.ucg.interactions.v1",
        "p.ucg.orders.v1",  # the co-purchase consumer group
    ]
    assert topics_of({"co-purchases"}) == ["p.ucg.orders.v1"]
    assert topics_of({"fulfillment"}) == ["p.ucg.fulfillment.updates.v1"]
    assert main(["consume", "--topics", "fulfillment,nope"]) == 2


def test_every_inbound_consumer_takes_the_poll_limit_of_the_settings() -> None:
    from typing import cast

    import asyncpg
    import redis.asyncio as redis

    from api.bootstrap import Services
    from api.settings import Settings, payment_gateway
    from datasources.redis.cache import ReadThroughCache
    from entrypoints.consumers import build_consumers

    for limit in (7, 100):
        settings = Settings(
            kafka_bootstrap_servers="127.0.0.1:1", kafka_consumer_max_poll_records=limit
        )
        services = Services(settings)  # nothing started: building a consumer does no I/O
        services.pool = cast("asyncpg.Pool[Any]", None)
        services.payments = payment_gateway(settings, services.pool)
        services.cache = ReadThroughCache(redis.Redis(), "p:")
        consumers = build_consumers(services)
        assert len(consumers) == 4
        assert {c.config.max_poll_records for c in consumers} == {limit}
    with pytest.raises(ValueError, match="kafka_consumer_max_poll_records"):
        Settings(kafka_consumer_max_poll_records=0)
