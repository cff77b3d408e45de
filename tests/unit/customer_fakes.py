"""In-memory stand-ins for the customer Protocols, for use-case unit tests (no I/O).

Each test module subclasses `FakeCustomerStore` with the repository methods its
use-cases call, and `FakeUow` with `customers_class` set to that subclass.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.errors import DomainError, ErrorCode
from domain.models import Customer, OutboxEvent

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SUPPORT = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.SUPPORT}))


class FakeCustomerStore:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Customer] = {}

    def add(self, **fields: Any) -> Customer:
        customer = Customer(id=uuid.uuid4(), display_name="C", created_at=NOW, **fields)
        self.rows[customer.id] = customer
        return customer

    async def get(self, customer_id: uuid.UUID, lock: bool = False) -> Customer | None:
        return self.rows.get(customer_id)


class FakeUow:
    customers_class: type[FakeCustomerStore] = FakeCustomerStore

    def __init__(self) -> None:
        self.customers: Any = self.customers_class()
        self.events: list[OutboxEvent] = []

    async def add_event(self, event: OutboxEvent) -> int:
        self.events.append(event)
        return len(self.events)


async def refused(call: Any) -> tuple[ErrorCode, list[str] | None]:
    """The code and field of the DomainError `call` raises."""
    with pytest.raises(DomainError) as caught:
        await call
    return caught.value.code, caught.value.field
