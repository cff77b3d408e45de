"""What the use-cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Protocol

from domain.inventory.models import Reservation, ReservationStatus
from domain.inventory.rules import MovementReason
from domain.models import Channel, OutboxEvent, StockLevel


class CatalogRepository(Protocol):
    async def channel_code_exists(self, code: str) -> bool: ...
    async def add_channel(self, code: str, name: str, currency_code: str) -> Channel: ...


class InventoryRepository(Protocol):
    """Stock writes; every change of stock_levels is one statement guarded by the database."""

    async def location_exists(self, location_id: uuid.UUID) -> bool: ...
    async def lock_stock_level(self, sku: str, location_id: uuid.UUID) -> StockLevel | None: ...
    async def set_on_hand(self, sku: str, location_id: uuid.UUID, on_hand: int) -> StockLevel: ...
    async def add_movement(
        self,
        sku: str,
        location_id: uuid.UUID,
        delta: int,
        reason: MovementReason,
        source: str,
        source_event_id: str | None,
    ) -> None: ...
    async def claim_idempotency_key(
        self, scope: str, key: str, request_hash: str
    ) -> tuple[str, dict[str, object]] | None: ...
    async def save_idempotent_response(
        self, scope: str, key: str, response: dict[str, object]
    ) -> None: ...
    async def available_by_location(
        self, skus: list[str]
    ) -> dict[uuid.UUID, Mapping[str, int]]: ...
    async def create_reservation(
        self, ttl_seconds: float, reference: str | None
    ) -> Reservation: ...
    async def take_stock(
        self, sku: str, location_id: uuid.UUID, quantity: int
    ) -> StockLevel | None: ...
    async def add_reservation_line(
        self, reservation_id: uuid.UUID, line: int, level: StockLevel, quantity: int
    ) -> None: ...
    async def lock_reservation(self, reservation_id: uuid.UUID) -> Reservation | None: ...
    async def return_reserved(
        self, sku: str, location_id: uuid.UUID, quantity: int
    ) -> StockLevel: ...
    async def sell_reserved(
        self, sku: str, location_id: uuid.UUID, quantity: int
    ) -> StockLevel: ...
    async def set_reservation_status(
        self, reservation_id: uuid.UUID, status: ReservationStatus
    ) -> None: ...
    async def try_transaction_lock(self, key: int) -> bool: ...
    async def expired_reservation_ids(self, limit: int) -> list[uuid.UUID]: ...


class UnitOfWork(Protocol):
    """One transaction. Changes and their events commit together or not at all."""

    @property
    def catalog(self) -> CatalogRepository: ...

    async def add_event(self, event: OutboxEvent) -> int: ...

    @property
    def inventory(self) -> InventoryRepository: ...
