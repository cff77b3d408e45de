"""The store's GraphQL types are built from their records (`from_record`): what a client
reads is what the record holds, ids as global ids; checked through a tiny schema, no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import strawberry

from datasources.postgres.store_repository import StoreWorkItem as StoreWorkItemRecord
from datasources.postgres.store_repository import StoreWorkLine as StoreWorkLineRecord
from domain.ids import to_global_id
from domain.store import pos as domain_pos
from domain.store.activity import ActivityKind
from domain.store.activity import StoreActivity as StoreActivityRecord
from domain.store.holds import HoldLine, HoldStatus
from domain.store.holds import StoreHold as StoreHoldRecord
from resolvers.store.holds import StoreHold, StoreHoldStatus
from resolvers.store.pos_types import PosSale, PosTenderKind
from resolvers.store.types import StoreActivity, StoreActivityKind, StoreWorkItem

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _run(value: object, selection: str, type_: Any) -> dict[str, Any]:
    @strawberry.type
    class Query:
        it: Any = strawberry.field(resolver=lambda: value, graphql_type=type_)

    result = strawberry.federation.Schema(query=Query).execute_sync("{ it { " + selection + " } }")
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["it"]  # type: ignore[no-any-return]


def test_every_domain_value_has_its_graphql_twin() -> None:
    assert {k.value for k in ActivityKind} == {k.name for k in StoreActivityKind}
    assert {k.value for k in HoldStatus} == {k.name for k in StoreHoldStatus}
    assert {k.value for k in domain_pos.TenderKind} == {k.name for k in PosTenderKind}


def test_pos_sale_shows_global_ids_and_an_anonymous_buyer_as_null() -> None:
    order, store = uuid.uuid4(), uuid.uuid4()
    tender = domain_pos.AppliedTender(domain_pos.TenderKind.CASH, 2000, 1500, "cash")
    sale = domain_pos.PosSale(order, 1042, "S1-1042", store, None, "EUR", 1500, 500, 15, (tender,))
    data = _run(
        PosSale.from_record(sale),
        "orderId locationId customerId receiptNumber changeMinor tenders { kind appliedMinor }",
        PosSale,
    )
    assert data == {
        "orderId": to_global_id("Order", order),
        "locationId": to_global_id("Location", store),
        "customerId": None,
        "receiptNumber": "S1-1042",
        "changeMinor": 500,
        "tenders": [{"kind": "CASH", "appliedMinor": 1500}],
    }


def _hold(expires_at: datetime, reservation_status: str = "ACTIVE") -> StoreHoldRecord:
    return StoreHoldRecord(
        id=uuid.uuid4(),
        reservation_id=uuid.uuid4(),
        location_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        reservation_status=reservation_status,
        expires_at=expires_at,
        created_at=NOW,
        cancelled_at=None,
        lines=(HoldLine("SKU-1", 2),),
    )


def test_a_hold_reads_its_status_when_asked_and_its_ids_as_global_ids() -> None:
    now = datetime.now(UTC)
    active = _hold(now + timedelta(hours=1))
    data = _run(
        StoreHold.from_record(active), "id customerId status lines { sku quantity }", StoreHold
    )
    assert data == {
        "id": to_global_id("StoreHold", active.id),
        "customerId": to_global_id("Customer", active.customer_id),
        "status": "ACTIVE",
        "lines": [{"sku": "SKU-1", "quantity": 2}],
    }
    past = StoreHold.from_record(_hold(now - timedelta(seconds=1)))
    assert _run(past, "status", StoreHold) == {"status": "EXPIRED"}
    released = StoreHold.from_record(_hold(now + timedelta(hours=1), "RELEASED"))
    assert _run(released, "status", StoreHold) == {"status": "CANCELLED"}


def _activity(event: uuid.UUID, kind: ActivityKind, **extra: Any) -> StoreActivityRecord:
    return StoreActivityRecord(
        event_id=event,
        kind=kind,
        location_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        order_number=7,
        fulfillment_id=uuid.uuid4(),
        occurred_at=NOW,
        **extra,
    )


def test_store_activity_keeps_what_only_some_kinds_carry() -> None:
    line, event = uuid.uuid4(), uuid.uuid4()
    picked = _activity(
        event,
        ActivityKind.WORK_LINE_PICKED,
        line_id=line,
        sku="SKU-1",
        picked_quantity=1,
        short_quantity=1,
        fulfillment_status="PACKED",
    )
    selection = "kind lineId fulfillmentStatus eventId shortQuantity"
    assert _run(StoreActivity.from_record(picked), selection, StoreActivity) == {
        "kind": "WORK_LINE_PICKED",
        "lineId": to_global_id("OrderLine", line),
        "fulfillmentStatus": "PACKED",
        "eventId": str(event),
        "shortQuantity": 1,
    }
    arrived = _activity(event, ActivityKind.PICKUP_ARRIVED, bay="3")
    assert _run(
        StoreActivity.from_record(arrived), "kind bay lineId fulfillmentStatus", StoreActivity
    ) == {
        "kind": "PICKUP_ARRIVED",
        "bay": "3",
        "lineId": None,
        "fulfillmentStatus": None,
    }


def test_a_work_item_lists_its_lines_with_global_ids() -> None:
    line = StoreWorkLineRecord(uuid.uuid4(), "SKU-2", 3, None, None)
    item = StoreWorkItemRecord(
        fulfillment_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        order_number=9,
        location_id=uuid.uuid4(),
        method="PICKUP",
        status="PICKING",
        promised_at=None,
        created_at=NOW,
        lines=[line],
    )
    data = _run(
        StoreWorkItem.from_record(item),
        "fulfillmentId status method lines { lineId quantity pickedQuantity }",
        StoreWorkItem,
    )
    assert data == {
        "fulfillmentId": to_global_id("Fulfillment", item.fulfillment_id),
        "status": "PICKING",
        "method": "PICKUP",
        "lines": [
            {
                "lineId": to_global_id("OrderLine", line.line_id),
                "quantity": 3,
                "pickedQuantity": None,
            }
        ],
    }
