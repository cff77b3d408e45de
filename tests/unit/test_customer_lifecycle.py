"""Merge, erase and export over an in-memory customer store: every refusal is typed and
names the id at fault, and nothing is merged, erased or emitted when one is raised."""

from __future__ import annotations

import uuid
from typing import Any

from domain.auth import Principal, PrincipalKind, Role
from domain.customer.lifecycle import erase_customer, export_customer, merge_customers
from domain.errors import ErrorCode
from tests.unit.customer_fakes import NOW, SUPPORT, FakeCustomerStore, refused
from tests.unit.customer_fakes import FakeUow as BaseFakeUow

ASSOCIATE = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.STORE_ASSOCIATE}))
GONE = uuid.UUID(int=404)


class FakeCustomers(FakeCustomerStore):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def merge(self, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> dict[str, int]:
        self.calls.append("merge")
        return {"orders": 1}

    async def erase(self, customer_id: uuid.UUID) -> dict[str, int]:
        self.calls.append("erase")
        return {"addresses": 1}

    async def export(self, customer_id: uuid.UUID) -> dict[str, Any]:
        self.calls.append("export")
        return {"id": str(customer_id)}


class FakeUow(BaseFakeUow):
    customers_class = FakeCustomers


async def test_merge_refusals_name_the_id_at_fault_and_change_nothing() -> None:
    uow = FakeUow()
    live = uow.customers.add()
    other = uow.customers.add()
    elsewhere = uow.customers.add(merged_into=other.id)
    erased = uow.customers.add(erased_at=NOW)
    merged_survivor = uow.customers.add(merged_into=other.id)
    cases = [
        (GONE, live.id, ["survivor_id"], ErrorCode.NOT_FOUND),
        (live.id, GONE, ["merged_id"], ErrorCode.NOT_FOUND),
        (live.id, elsewhere.id, ["merged_id"], ErrorCode.INVALID),  # merged into another
        (merged_survivor.id, live.id, ["survivor_id"], ErrorCode.INVALID),
        (erased.id, live.id, ["survivor_id"], ErrorCode.INVALID),
        (live.id, erased.id, ["merged_id"], ErrorCode.INVALID),
    ]
    for survivor, merged, field, code in cases:
        assert await refused(merge_customers(uow, SUPPORT, survivor, merged)) == (code, field)
    assert uow.customers.calls == [] and uow.events == []


async def test_merge_moves_once_and_a_repeat_changes_nothing() -> None:
    uow = FakeUow()
    survivor = uow.customers.add()
    duplicate = uow.customers.add()
    result = await merge_customers(uow, SUPPORT, survivor.id, duplicate.id)
    assert (result.changed, result.moved) == (True, {"orders": 1})
    assert uow.events[0].data["survivorId"] == str(survivor.id)
    uow.customers.rows[duplicate.id].merged_into = survivor.id
    again = await merge_customers(uow, SUPPORT, survivor.id, duplicate.id)
    assert (again.changed, again.moved) == (False, {})
    assert uow.customers.calls == ["merge"] and len(uow.events) == 1


async def test_erasing_an_unknown_customer_is_not_found() -> None:
    uow = FakeUow()
    assert await refused(erase_customer(uow, SUPPORT, GONE)) == (
        ErrorCode.NOT_FOUND,
        ["customer_id"],
    )
    assert uow.customers.calls == []


async def test_export_of_someone_else_needs_an_admin_role() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    # A store associate may read customer data, but not export the whole record.
    code, _ = await refused(export_customer(uow, ASSOCIATE, customer.id))
    assert code is ErrorCode.FORBIDDEN
    assert await refused(export_customer(uow, SUPPORT, GONE)) == (
        ErrorCode.NOT_FOUND,
        ["customer_id"],
    )
    assert uow.customers.calls == []
    assert await export_customer(uow, SUPPORT, customer.id) == {"id": str(customer.id)}
    me = Principal(PrincipalKind.CUSTOMER, customer.id)
    assert await export_customer(uow, me, None) == {"id": str(customer.id)}
