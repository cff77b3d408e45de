"""What the use-cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from typing import Protocol

from domain.models import Channel, OutboxEvent
from domain.order.payments import PaymentGateway as PaymentGateway  # the payment port


class CatalogRepository(Protocol):
    async def channel_code_exists(self, code: str) -> bool: ...
    async def add_channel(self, code: str, name: str, currency_code: str) -> Channel: ...


class UnitOfWork(Protocol):
    """One transaction. Changes and their events commit together or not at all."""

    @property
    def catalog(self) -> CatalogRepository: ...

    async def add_event(self, event: OutboxEvent) -> int: ...
