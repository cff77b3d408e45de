"""Returns: orderReturnCreate and orderReturnReceive (SQL in datasources/postgres/return_repository.py).

`create_return` is the buyer's request (or staff's on their behalf): the
Order aggregate, loaded for update, decides (`Order.request_return`, the pure
plan `aftersale.plan_return` over its lines) what may come back (delivered or
picked up, not yet returned nor already asked for, within 30 days of delivery)
and how much money each line gives back. Nothing moves yet: the return is
REQUESTED, its record written by the return repository.

`receive_return` is the goods arriving at a location (a store counter or the
warehouse's returns desk), in ONE transaction: resellable units go back on
hand there with a RETURNED ledger movement and a stock event, damaged or
defective ones do not (inspection / write-off is outside this system); the
lines' `returned_quantity` grows; the planned refund is given back through
`settlement.give_back` (refunds captured money); the return becomes RECEIVED.
Receiving it again changes nothing.

Lock order, as in fulfillmentUpdate: the order row first (the Order aggregate
loaded for update), then the return,
then stock levels in SKU order, then payments; so two receipts, or a receipt
and a fulfillment update of the same order, serialize without deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.auth import (
    Principal,
    PrincipalKind,
    Role,
    has_customer_data_role,
    require_principal,
    require_roles,
)
from domain.errors import DomainError, ErrorCode, NotFound
from domain.inventory.rules import MovementReason
from domain.inventory.services import apply_adjustment
from domain.models import OutboxEvent
from domain.order.aftersale import LineQuantity, ReturnReason
from domain.order.events import ORDERS_TOPIC
from domain.order.idempotency import check_key, fingerprint
from domain.order.model import Order, OrderRepository
from domain.order.order_points import PointsUnitOfWork, reverse_order_points
from domain.order.payments import PaymentGateway
from domain.order.settlement import PaymentRepository, give_back
from domain.ports import UnitOfWork as StockUnitOfWork

RETURN_CREATED = "ucg.order.return_created.v1"
RETURN_RECEIVED = "ucg.order.return_received.v1"
RECEIVE_ROLES = (Role.STORE_ASSOCIATE, Role.SERVICE)
MAX_NOTE_LENGTH = 1000


class ReturnStatus(StrEnum):
    REQUESTED = "REQUESTED"  # asked for; goods not yet back, no money moved
    RECEIVED = "RECEIVED"  # goods back, resellable units restocked, refund given back


@dataclass(frozen=True)
class ReturnLineRecord:
    order_line_id: uuid.UUID
    sku: str
    quantity: int
    refund_minor: int
    resellable: bool


@dataclass(frozen=True)
class ReturnRecord:
    id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID | None  # the order's owner: who may see the return
    status: ReturnStatus
    reason: ReturnReason
    note: str | None
    currency_code: str
    refund_minor: int
    refunded_minor: int
    location_id: uuid.UUID | None
    request_hash: str
    created_at: datetime
    received_at: datetime | None
    lines: tuple[ReturnLineRecord, ...]
    cart_id: uuid.UUID | None = None  # the order's cart: a guest who holds its token sees it


class ReturnRepository(Protocol):
    async def lock_idempotency_key(self, key: str) -> None: ...
    async def return_by_idempotency_key(self, key: str) -> ReturnRecord | None: ...
    async def insert_return(
        self,
        order: Order,
        *,
        reason: str,
        note: str | None,
        refund_minor: int,
        lines: Sequence[ReturnLineRecord],
        idempotency_key: str,
        request_hash: str,
        now: datetime,
    ) -> ReturnRecord: ...
    async def return_by_id(
        self, return_id: uuid.UUID, *, for_update: bool = False
    ) -> ReturnRecord | None: ...
    async def mark_received(
        self, return_id: uuid.UUID, location_id: uuid.UUID, refunded_minor: int, now: datetime
    ) -> ReturnRecord: ...


class ReturnUnitOfWork(StockUnitOfWork, PointsUnitOfWork, Protocol):
    @property
    def orders_for_update(self) -> OrderRepository: ...
    @property
    def returns(self) -> ReturnRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...


def may_handle_order(principal: Principal, owner_id: uuid.UUID | None) -> bool:
    """The order's own customer, or staff/services with a customer-data role.

    Guest orders have no customer to sign in: staff files their returns."""
    if principal.kind is PrincipalKind.CUSTOMER:
        return owner_id is not None and principal.id == owner_id
    return has_customer_data_role(principal)


def _request_hash(
    order_id: uuid.UUID, lines: Sequence[LineQuantity], reason: ReturnReason, note: str | None
) -> str:
    body = {
        "order": str(order_id),
        "lines": [[str(line.line_id), line.quantity] for line in lines],
        "reason": reason.value,
        "note": note,
    }
    return fingerprint(body)


async def create_return(
    uow: ReturnUnitOfWork,
    principal: Principal | None,
    order_id: uuid.UUID,
    lines: Sequence[LineQuantity],
    reason: ReturnReason,
    note: str | None,
    idempotency_key: str,
    now: datetime,
) -> ReturnRecord:
    caller = require_principal(principal)
    check_key(idempotency_key)
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise DomainError(
            ErrorCode.INVALID, f"note must be at most {MAX_NOTE_LENGTH} characters.", ["note"]
        )
    order = await uow.orders_for_update.get_for_update(order_id)
    # Someone else's order reads exactly like a missing one.
    if order is None or not may_handle_order(caller, order.customer_id):
        raise NotFound("Order", ["order_id"])
    request_hash = _request_hash(order_id, lines, reason, note)
    await uow.returns.lock_idempotency_key(idempotency_key)
    earlier = await uow.returns.return_by_idempotency_key(idempotency_key)
    if earlier is not None:
        if earlier.request_hash != request_hash:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                "This idempotencyKey was used with different input.",
                ["idempotency_key"],
            )
        return earlier
    plan = order.request_return(lines, reason, now)
    record = await uow.returns.insert_return(
        order,
        reason=reason.value,
        note=note,
        refund_minor=plan.refund_minor,
        lines=[
            ReturnLineRecord(line.line_id, line.sku, line.quantity, line.amount_minor, line.restock)
            for line in plan.lines
        ],
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        now=now,
    )
    await uow.add_event(return_created_event(record))
    return record


async def receive_return(
    uow: ReturnUnitOfWork,
    principal: Principal | None,
    payments: PaymentGateway,
    return_id: uuid.UUID,
    location_id: uuid.UUID,
    now: datetime,
) -> ReturnRecord:
    require_roles(principal, *RECEIVE_ROLES)
    found = await uow.returns.return_by_id(return_id)
    if found is None:
        raise NotFound("Return", ["return_id"])
    order = await uow.orders_for_update.get_for_update(found.order_id)
    current = await uow.returns.return_by_id(return_id, for_update=True)
    # Returns are never deleted while their order exists.
    assert order is not None and current is not None
    if current.status != ReturnStatus.REQUESTED:
        return current  # received already: a retry changes nothing
    if not await uow.inventory.location_exists(location_id):
        raise NotFound("Location", ["location_id"])
    # Stock rows in SKU order, as every other multi-line stock change, so no deadlock.
    for line in sorted(current.lines, key=lambda item: item.sku):
        if line.resellable:
            await apply_adjustment(
                uow,
                line.sku,
                location_id,
                delta=line.quantity,
                set_to=None,
                reason=MovementReason.RETURNED,
                source=f"return:{return_id}",
                source_event_id=f"return:{return_id}:{line.order_line_id}",
            )
    received: dict[uuid.UUID, int] = {}
    for line in current.lines:
        received[line.order_line_id] = received.get(line.order_line_id, 0) + line.quantity
    order.receive_return(received)
    await uow.orders_for_update.save(order, now)
    key = f"return:{return_id}"
    settled = await give_back(uow, payments, current.order_id, current.refund_minor, key)
    await reverse_order_points(uow, current.customer_id, current.order_id, key)
    record = await uow.returns.mark_received(return_id, location_id, settled.refunded_minor, now)
    await uow.add_event(return_received_event(record))
    return record


def _line_data(line: ReturnLineRecord) -> dict[str, object]:
    return {
        "orderLineId": str(line.order_line_id),
        "sku": line.sku,
        "quantity": line.quantity,
        "refundMinor": line.refund_minor,
        "resellable": line.resellable,
    }


def return_created_event(record: ReturnRecord) -> OutboxEvent:
    """Keyed by the order, so a return's events stay in order with its order's."""
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=RETURN_CREATED,
        aggregate_type="Order",
        aggregate_id=str(record.order_id),
        data={
            "returnId": str(record.id),
            "orderId": str(record.order_id),
            "customerId": None if record.customer_id is None else str(record.customer_id),
            "reason": record.reason,
            "currencyCode": record.currency_code,
            "refundMinor": record.refund_minor,
            "lines": [_line_data(line) for line in record.lines],
        },
    )


def return_received_event(record: ReturnRecord) -> OutboxEvent:
    return OutboxEvent(
        topic=ORDERS_TOPIC,
        type=RETURN_RECEIVED,
        aggregate_type="Order",
        aggregate_id=str(record.order_id),
        data={
            "returnId": str(record.id),
            "orderId": str(record.order_id),
            "customerId": None if record.customer_id is None else str(record.customer_id),
            "locationId": str(record.location_id),
            "currencyCode": record.currency_code,
            "refundMinor": record.refund_minor,
            "refundedMinor": record.refunded_minor,
            "restockedQuantity": sum(line.quantity for line in record.lines if line.resellable),
            "lines": [_line_data(line) for line in record.lines],
        },
    )
