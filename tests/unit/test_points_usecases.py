"""Loyalty use-cases over an in-memory customer store: staff adjustments, merge
survivors, erased and unknown customers, and reversals that find nothing to take."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.customer import points
from domain.customer.loyalty import LedgerKind
from domain.customer.records import LedgerEntry
from domain.errors import DomainError, ErrorCode
from tests.unit.customer_fakes import NOW, SUPPORT, FakeCustomerStore
from tests.unit.customer_fakes import FakeUow as BaseFakeUow


class FakeCustomers(FakeCustomerStore):
    """Just the ledger half of CustomerRepository the loyalty use-cases call."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[LedgerEntry] = []

    async def ledger(self, customer_id: uuid.UUID) -> list[LedgerEntry]:
        return [e for e in self.entries if e.customer_id == customer_id]

    async def add_ledger_entry(
        self,
        customer_id: uuid.UUID,
        kind: str,
        points: int,
        order_id: uuid.UUID | None,
        reason: str,
        created_at: datetime = NOW,
    ) -> LedgerEntry | None:
        if kind == LedgerKind.EARN and any(
            e.order_id == order_id and e.kind is LedgerKind.EARN for e in self.entries
        ):
            return None  # the database's once-per-order unique index
        entry = LedgerEntry(
            len(self.entries) + 1, customer_id, LedgerKind(kind), points, order_id, reason,
            created_at,
        )  # fmt: skip
        self.entries.append(entry)
        return entry


class FakeUow(BaseFakeUow):
    customers_class = FakeCustomers


async def test_staff_adjust_changes_the_balance_and_records_why() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    status = await points.adjust_points(
        uow, SUPPORT, customer.id, LedgerKind.ADJUST, 120, "  goodwill  "
    )
    assert status.balance == 120
    assert uow.customers.entries[-1].reason == "goodwill"
    assert uow.events[-1].type == "ucg.customer.points_changed.v1"
    assert uow.events[-1].data["points"] == 120
    status = await points.adjust_points(uow, SUPPORT, customer.id, LedgerKind.REDEEM, 20, "voucher")
    assert status.balance == 100
    status = await points.adjust_points(uow, SUPPORT, customer.id, LedgerKind.EXPIRE, 100, "x")
    assert status.balance == 0
    assert [e.points for e in uow.customers.entries] == [120, -20, -100]


@pytest.mark.parametrize(
    ("kind", "amount", "reason", "field"),
    [
        (LedgerKind.ADJUST, -1, "fix", ["points"]),  # below zero
        (LedgerKind.ADJUST, 5, "   ", ["reason"]),
        (LedgerKind.REDEEM, 1, "x", ["points"]),  # more than the empty balance
        (LedgerKind.EARN, 10, "x", ["kind"]),  # only orders earn
    ],
)
async def test_adjust_refusals_are_typed_and_write_nothing(
    kind: LedgerKind, amount: int, reason: str, field: list[str]
) -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    with pytest.raises(DomainError) as caught:
        await points.adjust_points(uow, SUPPORT, customer.id, kind, amount, reason)
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, field)
    assert uow.customers.entries == [] and uow.events == []


async def test_adjust_needs_a_staff_role_and_a_live_customer() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    merchandiser = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.MERCHANDISER}))
    with pytest.raises(DomainError) as caught:
        await points.adjust_points(uow, merchandiser, customer.id, LedgerKind.ADJUST, 1, "x")
    assert caught.value.code is ErrorCode.FORBIDDEN
    erased = uow.customers.add(erased_at=NOW)
    with pytest.raises(DomainError) as caught:
        await points.adjust_points(uow, SUPPORT, erased.id, LedgerKind.ADJUST, 1, "x")
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, ["customer_id"])


async def test_earning_follows_merges_and_skips_erased_and_unknown_customers() -> None:
    uow = FakeUow()
    survivor = uow.customers.add()
    merged = uow.customers.add(merged_into=survivor.id)
    order = uuid.uuid4()
    assert await points.earn_points(uow, merged.id, order, 5000, "EUR") == 50
    assert uow.customers.entries[0].customer_id == survivor.id
    assert await points.earn_points(uow, merged.id, order, 5000, "EUR") == 0  # retry

    erased = uow.customers.add(erased_at=NOW)
    assert await points.earn_points(uow, erased.id, uuid.uuid4(), 5000, "EUR") == 0
    assert len(uow.customers.entries) == 1

    with pytest.raises(DomainError) as caught:
        await points.earn_points(uow, uuid.uuid4(), uuid.uuid4(), 5000, "EUR")
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, ["customer_id"])


async def test_expiry_of_an_unknown_customer_is_not_found() -> None:
    with pytest.raises(DomainError) as caught:
        await points.expire_inactive_points(FakeUow(), uuid.uuid4(), NOW)
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, ["customer_id"])


async def test_expiry_takes_a_lapsed_balance_once() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    await uow.customers.add_ledger_entry(
        customer.id, "EARN", 300, uuid.uuid4(), "order", NOW - timedelta(days=800)
    )
    assert await points.expire_inactive_points(uow, customer.id, NOW) == 300
    assert await points.expire_inactive_points(uow, customer.id, NOW) == 0


async def test_reversal_takes_nothing_once_the_points_are_spent() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    order = uuid.uuid4()
    assert await points.earn_points(uow, customer.id, order, 10_000, "EUR") == 100
    await points.adjust_points(uow, SUPPORT, customer.id, LedgerKind.REDEEM, 100, "spent")
    # Half the money back would take 50 points, but the balance is 0: points stay spent.
    assert await points.reverse_points(uow, customer.id, order, 5_000, 10_000, "k1") == 0
    assert sum(e.points for e in uow.customers.entries) == 0
    assert not any(e.reason.startswith(points.REVERSAL_PREFIX) for e in uow.customers.entries)


async def test_reversal_is_proportional_and_retry_safe() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    order = uuid.uuid4()
    await points.earn_points(uow, customer.id, order, 10_000, "EUR")
    assert await points.reverse_points(uow, customer.id, order, 2_500, 10_000, "a") == 25
    assert await points.reverse_points(uow, customer.id, order, 2_500, 10_000, "a") == 0
    assert await points.reverse_points(uow, customer.id, order, 2_500, 10_000, "b") == 0
    assert await points.reverse_points(uow, customer.id, order, 20_000, 10_000, "c") == 75
