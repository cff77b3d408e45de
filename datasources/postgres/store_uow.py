"""The unit of work of the store use-cases: the shared one, plus the store repository."""

from __future__ import annotations

from datasources.postgres.store_repository import (
    PostgresHoldRepository,
    PostgresPickRepository,
    PostgresStoreRepository,
)
from datasources.postgres.uow import UnitOfWork


class StoreUnitOfWork(UnitOfWork):
    @property
    def store(self) -> PostgresStoreRepository:
        return PostgresStoreRepository(self.conn)  # type: ignore[arg-type]

    @property
    def picks(self) -> PostgresPickRepository:
        return PostgresPickRepository(self.conn)  # type: ignore[arg-type]

    @property
    def holds(self) -> PostgresHoldRepository:
        return PostgresHoldRepository(self.conn)  # type: ignore[arg-type]
