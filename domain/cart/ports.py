"""What cart use-cases need from storage."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from domain.cart.models import Attribute, CartLine, VariantOffer
from domain.models import Cart, Channel, OutboxEvent


class CartRepository(Protocol):
    async def channel(self, channel_id: uuid.UUID) -> Channel | None: ...
    async def currency_sold(self, channel_id: uuid.UUID, currency_code: str) -> bool: ...
    async def offers(
        self, variant_ids: Sequence[uuid.UUID], channel_id: uuid.UUID, currency_code: str
    ) -> dict[uuid.UUID, VariantOffer]: ...
    async def customer_exists(self, customer_id: uuid.UUID, *, lock: bool) -> bool: ...
    async def insert_cart(
        self, channel_id: uuid.UUID, currency_code: str, expires_at: datetime, **fields: Any
    ) -> Cart: ...
    async def cart_for_update(self, cart_id: uuid.UUID) -> Cart | None: ...
    async def active_carts_of(
        self, customer_id: uuid.UUID, now: datetime, exclude: uuid.UUID
    ) -> list[Cart]: ...
    async def update_cart(self, cart_id: uuid.UUID, **fields: Any) -> Cart: ...
    async def lines(self, cart_id: uuid.UUID) -> list[CartLine]: ...
    async def insert_line(
        self,
        cart_id: uuid.UUID,
        variant_id: uuid.UUID,
        quantity: int,
        attributes: list[Attribute],
        position: int,
    ) -> CartLine: ...
    async def update_line(
        self, line_id: uuid.UUID, quantity: int, attributes: list[Attribute]
    ) -> None: ...
    async def delete_lines(self, line_ids: Sequence[uuid.UUID]) -> None: ...


class CartUnitOfWork(Protocol):
    @property
    def carts(self) -> CartRepository: ...

    async def add_event(self, event: OutboxEvent) -> int: ...
