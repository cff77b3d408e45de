"""A produce/consume round trip through the real broker, with our producer settings."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer

from datasources.embedded import ServerUrls
from datasources.kafka.client import create_producer, ensure_topics
from tests.helpers import unique


async def test_produce_consume_round_trip(servers: ServerUrls) -> None:
    topic = unique("roundtrip.")
    await ensure_topics(servers.kafka_bootstrap_servers, [topic], partitions=1)
    producer = create_producer(servers.kafka_bootstrap_servers, enable_idempotence=False)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=unique("g."),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=3000,
        heartbeat_interval_ms=300,
    )
    await producer.start()
    await consumer.start()
    try:
        sent = [f"event-{i}".encode() for i in range(5)]
        for value in sent:
            await producer.send_and_wait(topic, value, key=b"aggregate-1")
        received: list[bytes] = []
        async with asyncio.timeout(20):
            while len(received) < len(sent):
                batch = await consumer.getmany(timeout_ms=500)
                for messages in batch.values():
                    received.extend(m.value for m in messages)
        assert received == sent
    finally:
        await consumer.stop()
        await producer.stop()
