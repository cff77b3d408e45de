"""aiokafka producer and admin: created and closed in the app lifespan."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError


def create_producer(bootstrap_servers: str, *, enable_idempotence: bool) -> AIOKafkaProducer:
    # acks=all always; idempotence only where the broker supports InitProducerId.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=enable_idempotence,
        linger_ms=1,
        request_timeout_ms=10_000,
    )


async def ensure_topics(
    bootstrap_servers: str, names: Iterable[str], *, partitions: int = 3
) -> None:
    """Create the topics that do not exist yet."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in missing]
                )
            except TopicAlreadyExistsError:
                pass  # another instance created it between our list and create
    finally:
        await admin.close()
