"""fulfillmentUpdate and inbound WMS updates over an in-memory order store: a fulfillment
whose order vanished, tracking-only updates, tracking parsing, and inbound updates naming a wrong order or an unknown one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.errors import DomainError, ErrorCode
from domain.models import OutboxEvent
from domain.order.events import FulfillmentUpdate, Tracking
from domain.order.fulfillment import FulfillmentStatus, OrderStatus
from domain.order.fulfillment_inbound import apply_fulfillment_update
from domain.order.fulfillment_service import parse_tracking, update_fulfillment
from domain.order.hours import OpeningHours
from domain.order.model import Fulfillment, Order
from domain.order.settlement import PaymentState

S = FulfillmentStatus
NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
ORDER = uuid.UUID(int=1)
FULFILLMENT = uuid.UUID(int=2)
ASSOCIATE = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.STORE_ASSOCIATE}))


class FakeOrdersForUpdate:
    """The aggregate's repository: saving keeps the fulfillments saved in `saved`."""

    def __init__(self, uow: FakeUow, order: Order | None) -> None:
        self.uow = uow
        self.order = order
        self.order_statuses: list[str] = []
        self.saved: dict[uuid.UUID, Fulfillment] = {}

    async def get_for_update(self, order_id: uuid.UUID) -> Order | None:
        return self.order if self.order is not None and self.order.id == order_id else None

    async def get_for_update_by_fulfillment(self, fulfillment_id: uuid.UUID) -> Order | None:
        if self.order is None or self.order.fulfillment(fulfillment_id) is None:
            return None
        return self.order

    async def save(self, order: Order, now: datetime) -> None:
        self.saved.update({part.id: part for part in order.fulfillments})
        if order.status.value != self.saved_status:
            self.order_statuses.append(order.status.value)
        self.saved_status = order.status.value
        self.uow.events.extend(order.pull_events())

    saved_status = ""


class FakeAftersale:
    async def location_hours(self, location_id: uuid.UUID) -> OpeningHours | None:
        return None


class FakePayments:
    async def payments_for_update(self, order_id: uuid.UUID) -> list[PaymentState]:
        return []

    async def save_payment(self, payment: PaymentState) -> None:
        raise AssertionError("nothing to capture")


class FakeUow:
    def __init__(self, status: OrderStatus | None, part: Fulfillment) -> None:
        order = None
        if status is not None:
            order = Order(ORDER, 1001, None, None, status, False, "EUR", 0, (), (part,))
        self.orders_for_update = FakeOrdersForUpdate(self, order)
        self.orders_for_update.saved_status = "" if status is None else status.value
        self.aftersale = FakeAftersale()
        self.payments = FakePayments()
        self.events: list[OutboxEvent] = []

    async def add_event(self, event: OutboxEvent) -> int:
        self.events.append(event)
        return len(self.events)


class NoGateway:
    """update_fulfillment must not reach the gateway in these cases."""


def record(status: S, tracking: str | None = None) -> Fulfillment:
    return Fulfillment(FULFILLMENT, "SHIP", uuid.uuid4(), status, {}, tracking=tracking)


def head(status: str = "IN_PROGRESS") -> OrderStatus:
    return OrderStatus(status)


async def update(uow: FakeUow, target: S, tracking: Tracking | None = None) -> Order:
    return await update_fulfillment(
        uow,  # type: ignore[arg-type]
        ASSOCIATE,
        NoGateway(),  # type: ignore[arg-type]
        FULFILLMENT,
        target,
        tracking,
        NOW,
    )


async def test_a_fulfillment_whose_order_is_gone_is_not_found() -> None:
    uow = FakeUow(None, record(S.PICKING))
    with pytest.raises(DomainError) as caught:
        await update(uow, S.PACKED)
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, ["id"])
    assert uow.orders_for_update.saved == {} and uow.events == []


async def test_new_tracking_on_the_same_status_is_saved_without_events() -> None:
    uow = FakeUow(head("FULFILLED"), record(S.SHIPPED, "DHL 1"))
    updated = (await update(uow, S.SHIPPED, Tracking("UPS", "2"))).fulfillment(FULFILLMENT)
    assert updated is not None and (updated.status, updated.tracking) == (S.SHIPPED, "UPS 2")
    assert uow.orders_for_update.saved[FULFILLMENT] == updated
    assert uow.events == [] and uow.orders_for_update.order_statuses == []


def test_tracking_is_optional_but_needs_both_parts() -> None:
    assert parse_tracking(None, None) is None
    assert parse_tracking("DHL", "123") == Tracking("DHL", "123")
    for carrier, number in [("DHL", None), (None, "1"), ("", "1"), ("x" * 101, "1"), ("D", "")]:
        with pytest.raises(DomainError) as caught:
            parse_tracking(carrier, number)
        assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, ["tracking"])


async def inbound(
    uow: FakeUow, fulfillment_id: uuid.UUID | None, order_id: uuid.UUID | None
) -> None:
    message = FulfillmentUpdate("evt-1", fulfillment_id, order_id, S.PACKED, None)
    await apply_fulfillment_update(uow, ASSOCIATE, NoGateway(), message, NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fulfillment_id", "order_id", "code", "field"),
    [
        (uuid.UUID(int=404), ORDER, ErrorCode.NOT_FOUND, ["fulfillment_id"]),
        (FULFILLMENT, uuid.UUID(int=9), ErrorCode.INVALID, ["fulfillment_id"]),
        (None, uuid.UUID(int=9), ErrorCode.NOT_FOUND, ["order_id"]),
    ],
)
async def test_inbound_updates_naming_the_wrong_ids_are_refused_and_write_nothing(
    fulfillment_id: uuid.UUID | None, order_id: uuid.UUID, code: ErrorCode, field: list[str]
) -> None:
    uow = FakeUow(head(), record(S.PICKING))
    if fulfillment_id is None:
        uow.orders_for_update.order = None  # the order named does not exist
    with pytest.raises(DomainError) as caught:
        await inbound(uow, fulfillment_id, order_id)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert uow.orders_for_update.saved == {} and uow.events == []


async def test_an_inbound_update_naming_both_ids_of_one_order_moves_it() -> None:
    uow = FakeUow(head(), record(S.PICKING))
    await inbound(uow, FULFILLMENT, ORDER)
    assert uow.orders_for_update.saved[FULFILLMENT].status is S.PACKED


async def test_an_inbound_update_naming_only_the_order_moves_its_fulfillments() -> None:
    """Chosen from the aggregate loaded for update (no second read of the fulfillments)."""
    uow = FakeUow(head(), record(S.PICKING))
    await inbound(uow, None, ORDER)
    assert uow.orders_for_update.saved[FULFILLMENT].status is S.PACKED
    assert [e.type for e in uow.events] == ["ucg.fulfillment.status_changed.v1"]
