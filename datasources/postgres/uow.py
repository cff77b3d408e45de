"""Unit of work: one transaction per use-case, with its events written to the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import asyncpg

from datasources import trace_context
from datasources.events.schemas import validate_event_data
from datasources.postgres.aftersale_repository import PostgresAfterSaleRepository
from datasources.postgres.cart_repository import PostgresCartRepository
from datasources.postgres.catalog import PostgresCatalogRepository
from datasources.postgres.catalog_collections import PostgresCollectionRepository
from datasources.postgres.catalog_media import PostgresMediaRepository
from datasources.postgres.checkout_routing_repository import PostgresCheckoutRoutingRepository
from datasources.postgres.customer_repo import PostgresCustomerRepository
from datasources.postgres.order_aggregate_repository import PostgresOrderAggregateRepository
from datasources.postgres.order_repository import PostgresOrderRepository
from datasources.postgres.payment_repository import PostgresPaymentRepository
from datasources.postgres.return_repository import PostgresReturnRepository
from datasources.postgres.stock import PostgresInventoryRepository
from domain.events import EVENT_TYPES
from domain.models import OutboxEvent


class UnitOfWork:
    """`async with UnitOfWork(pool) as uow:` commits on success, rolls back on any exception."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self._conn: asyncpg.pool.PoolConnectionProxy[Any] | None = None
        self._tx: asyncpg.transaction.Transaction | None = None
        self._orders_for_update: PostgresOrderAggregateRepository | None = None

    @property
    def conn(self) -> asyncpg.pool.PoolConnectionProxy[Any]:
        if self._conn is None:
            raise RuntimeError("UnitOfWork used outside `async with`")
        return self._conn

    async def __aenter__(self) -> Self:
        conn = await self._pool.acquire()
        try:
            tx = conn.transaction()
            await tx.start()
        except BaseException:
            # Cancelled (or failed) between acquire and BEGIN: give the connection back, or
            # the pool waits for it forever when it closes. Whether BEGIN reached the server
            # is unknown, so the connection is closed, not reused (the pool opens another).
            conn.terminate()
            await self._pool.release(conn)
            raise
        self._conn, self._tx = conn, tx
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._tx is not None and self._conn is not None
        try:
            if exc_type is None:
                await self._tx.commit()
            else:
                await self._tx.rollback()
        except BaseException:
            # COMMIT or ROLLBACK did not finish (cancelled again, connection lost): the
            # transaction's state is unknown, so the connection is closed, never handed to
            # the next request half inside a transaction.
            self._conn.terminate()
            raise
        finally:
            await self._pool.release(self._conn)
            self._conn = None
            self._tx = None
            self._orders_for_update = None

    @property
    def catalog(self) -> PostgresCatalogRepository:
        return PostgresCatalogRepository(self.conn)  # type: ignore[arg-type]

    @property
    def collections(self) -> PostgresCollectionRepository:
        return PostgresCollectionRepository(self.conn)  # type: ignore[arg-type]

    @property
    def media(self) -> PostgresMediaRepository:
        return PostgresMediaRepository(self.conn)  # type: ignore[arg-type]

    @property
    def carts(self) -> PostgresCartRepository:
        return PostgresCartRepository(self.conn)  # type: ignore[arg-type]

    @property
    def customers(self) -> PostgresCustomerRepository:
        return PostgresCustomerRepository(self.conn)  # type: ignore[arg-type]

    @property
    def payments(self) -> PostgresPaymentRepository:
        return PostgresPaymentRepository(self.conn)  # type: ignore[arg-type]

    async def add_event(self, event: OutboxEvent) -> int:
        """Write the event to the outbox in this transaction; return its per-aggregate sequence."""
        # Validated on produce: a payload off its JSON Schema fails the write, not a consumer.
        # (A type missing from domain/events.py fails tests/unit/test_event_contract.py.)
        if event.type in EVENT_TYPES:
            validate_event_data(event.type, event.data)
        # One statement (one round trip): bump the aggregate's sequence, write the row.
        sequence: int = await self.conn.fetchval(
            """WITH seq AS (
                 INSERT INTO aggregate_sequences (aggregate_type, aggregate_id, last_sequence)
                 VALUES ($3, $4, 1)
                 ON CONFLICT (aggregate_type, aggregate_id)
                 DO UPDATE SET last_sequence = aggregate_sequences.last_sequence + 1
                 RETURNING last_sequence)
               INSERT INTO outbox (topic, type, aggregate_type, aggregate_id, sequence, payload,
                                   traceparent)
               SELECT $1, $2, $3, $4, seq.last_sequence, $5, $6 FROM seq
               RETURNING sequence""",
            event.topic,
            event.type,
            event.aggregate_type,
            event.aggregate_id,
            event.data,
            trace_context.current_traceparent(),
        )
        return sequence

    async def add_events(self, events: Sequence[OutboxEvent]) -> None:
        """`add_event` for many events in one statement (one round trip, one NOTIFY).

        Each aggregate's sequence row is bumped once, by its number of events, and the
        rows are taken in (aggregate_type, aggregate_id) order: two transactions writing
        events of the same aggregates in different orders cannot deadlock. Events of one
        aggregate get consecutive sequences in the order given."""
        if not events:
            return
        for event in events:
            if event.type in EVENT_TYPES:
                validate_event_data(event.type, event.data)
        await self.conn.execute(
            """WITH ev AS (
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                      $5::jsonb[])
                   WITH ORDINALITY AS e(topic, type, aggregate_type, aggregate_id, payload, n)),
               counts AS (
                 SELECT aggregate_type, aggregate_id, count(*) AS c FROM ev
                 GROUP BY aggregate_type, aggregate_id),
               seq AS (
                 INSERT INTO aggregate_sequences (aggregate_type, aggregate_id, last_sequence)
                 SELECT aggregate_type, aggregate_id, c FROM counts
                 ORDER BY aggregate_type, aggregate_id
                 ON CONFLICT (aggregate_type, aggregate_id)
                 DO UPDATE SET last_sequence = aggregate_sequences.last_sequence
                                               + excluded.last_sequence
                 RETURNING aggregate_type, aggregate_id, last_sequence),
               numbered AS (
                 SELECT ev.*, seq.last_sequence - counts.c
                        + row_number() OVER (PARTITION BY ev.aggregate_type, ev.aggregate_id
                                             ORDER BY ev.n) AS sequence
                 FROM ev JOIN seq USING (aggregate_type, aggregate_id)
                 JOIN counts USING (aggregate_type, aggregate_id))
               INSERT INTO outbox (topic, type, aggregate_type, aggregate_id, sequence, payload,
                                   traceparent)
               SELECT topic, type, aggregate_type, aggregate_id, sequence, payload, $6
               FROM numbered ORDER BY n""",
            [e.topic for e in events],
            [e.type for e in events],
            [e.aggregate_type for e in events],
            [e.aggregate_id for e in events],
            [e.data for e in events],
            trace_context.current_traceparent(),
        )

    @property
    def inventory(self) -> PostgresInventoryRepository:
        return PostgresInventoryRepository(self.conn)  # type: ignore[arg-type]

    @property
    def orders_for_update(self) -> PostgresOrderAggregateRepository:
        """The Order aggregate's repository: one per transaction, as it remembers what it
        loaded; its save writes the aggregate's events through `add_event`."""
        if self._orders_for_update is None:
            self._orders_for_update = PostgresOrderAggregateRepository(
                self.conn,  # type: ignore[arg-type]
                self.add_event,
            )
        return self._orders_for_update

    @property
    def orders(self) -> PostgresOrderRepository:
        return PostgresOrderRepository(self.conn)  # type: ignore[arg-type]

    @property
    def routing(self) -> PostgresCheckoutRoutingRepository:
        return PostgresCheckoutRoutingRepository(self.conn)  # type: ignore[arg-type]

    @property
    def returns(self) -> PostgresReturnRepository:
        return PostgresReturnRepository(self.conn)  # type: ignore[arg-type]

    @property
    def aftersale(self) -> PostgresAfterSaleRepository:
        return PostgresAfterSaleRepository(self.conn)  # type: ignore[arg-type]
