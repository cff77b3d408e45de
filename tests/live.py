"""Helpers for event and subscription tests: write events, read topics, GraphQL over WebSocket."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from websockets.asyncio.client import ClientConnection, connect

from datasources.postgres.uow import UnitOfWork
from domain.events import INVENTORY_TOPIC, ORDERS_TOPIC
from domain.models import OutboxEvent

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], within: float = 10, what: str = "condition"
) -> None:
    """Poll `predicate` until it is true; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def new_customer(db: Any) -> uuid.UUID:
    return await db.fetchval("INSERT INTO customers (display_name) VALUES ('t') RETURNING id")  # type: ignore[no-any-return]


async def new_order(db: Any, customer_id: uuid.UUID | None) -> uuid.UUID:
    return await db.fetchval(  # type: ignore[no-any-return]
        "INSERT INTO orders (customer_id, currency_code) VALUES ($1, 'EUR') RETURNING id",
        customer_id,
    )


async def change_order_status(pool: asyncpg.Pool[Any], order_id: uuid.UUID, status: str) -> int:
    """Update the order and write its event in one transaction, as checkout will."""
    async with UnitOfWork(pool) as uow:
        row = await uow.conn.fetchrow(
            "UPDATE orders o SET status = $2, updated_at = now() FROM orders old "
            "WHERE o.id = $1 AND old.id = o.id RETURNING o.customer_id, old.status AS previous, "
            "o.number",
            order_id,
            status,
        )
        assert row is not None
        return await uow.add_event(
            OutboxEvent(
                topic=ORDERS_TOPIC,
                type="ucg.order.status_changed.v1",
                aggregate_type="Order",
                aggregate_id=str(order_id),
                data={
                    "orderId": str(order_id),
                    "orderNumber": row["number"],
                    "customerId": str(row["customer_id"]) if row["customer_id"] else None,
                    "status": status,
                    "previousStatus": row["previous"],
                },
            )
        )


async def change_stock(
    pool: asyncpg.Pool[Any], sku: str, location_id: uuid.UUID, on_hand: int, reserved: int = 0
) -> int:
    async with UnitOfWork(pool) as uow:
        return await uow.add_event(
            OutboxEvent(
                topic=INVENTORY_TOPIC,
                type="ucg.inventory.stock_changed.v1",
                aggregate_type="StockLevel",
                aggregate_id=f"{sku}@{location_id}",
                data={
                    "sku": sku,
                    "locationId": str(location_id),
                    "onHand": on_hand,
                    "reserved": reserved,
                    "available": max(0, on_hand - reserved),
                },
            )
        )


async def read_topic(
    bootstrap: str, topic: str, until: Callable[[list[Any]], bool], within: float = 20
) -> list[Any]:
    """Every message of `topic` from the beginning, until `until(messages)` holds."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        messages: list[Any] = []
        deadline = time.monotonic() + within
        while not until(messages):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out reading {topic}: got {len(messages)} messages")
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                messages.extend(batch)
        return messages
    finally:
        await consumer.stop()


def text_frame(frame: str | bytes) -> str:
    """Both protocols' messages are JSON text: graphql-ws, Apollo and gql refuse binary frames."""
    assert isinstance(frame, str), f"binary WebSocket frame: {frame[:80]!r}"
    return frame


class GraphQLSocket:
    """A GraphQL client over one WebSocket, speaking either subscription protocol."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._ids = itertools.count(1)

    @classmethod
    async def open(
        cls, url: str, *, token: str | None = None, protocol: str = TRANSPORT_WS
    ) -> GraphQLSocket:
        ws = await connect(url.replace("http", "ws", 1) + "/graphql", subprotocols=[protocol])  # type: ignore[list-item]
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await ws.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
        ack = orjson.loads(text_frame(await asyncio.wait_for(ws.recv(), 10)))
        if ack["type"] != "connection_ack":
            raise ConnectionRefusedError(str(ack))
        return cls(ws, protocol)

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op_id = str(next(self._ids))
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        message = {"id": op_id, "type": kind, "payload": {"query": query, "variables": variables}}
        await self.ws.send(orjson.dumps(message).decode())
        return op_id

    async def receive(self, within: float = 10) -> dict[str, Any]:
        """The next message that is not a keep-alive."""
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), within)
            message: dict[str, Any] = orjson.loads(text_frame(frame))
            if message["type"] not in ("ka", "ping", "pong"):
                return message

    async def next_data(self, within: float = 10) -> dict[str, Any]:
        message = await self.receive(within)
        assert message["type"] in ("next", "data"), message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]  # type: ignore[no-any-return]

    async def nothing_within(self, seconds: float) -> None:
        """Assert that no data message arrives within `seconds`."""
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {message}")

    async def close(self) -> None:
        await self.ws.close()
