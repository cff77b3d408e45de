"""Order events for the outbox and the inbound fulfillment update parser."""

from __future__ import annotations

import uuid

import pytest

from domain.errors import DomainError, ErrorCode
from domain.order.events import (
    FULFILLMENT_STATUS_CHANGED,
    ORDER_CREATED,
    ORDER_STATUS_CHANGED,
    ORDERS_TOPIC,
    Tracking,
    fulfillment_status_changed,
    order_created,
    order_status_changed,
    parse_fulfillment_update,
)
from domain.order.fulfillment import FulfillmentStatus, OrderStatus

ORDER = uuid.UUID(int=7)
FULFILLMENT = uuid.UUID(int=8)


def test_order_created_carries_ids_and_amounts_not_pii() -> None:
    event = order_created(
        ORDER, 1001, uuid.UUID(int=1), None, "EUR", 4_990, OrderStatus.UNFULFILLED
    )
    assert (event.topic, event.type, event.aggregate_type) == (ORDERS_TOPIC, ORDER_CREATED, "Order")
    assert event.aggregate_id == str(ORDER)
    assert event.data == {
        "orderId": str(ORDER),
        "number": 1001,
        "customerId": str(uuid.UUID(int=1)),
        "channelId": None,
        "currencyCode": "EUR",
        "totalMinor": 4_990,
        "status": "UNFULFILLED",
    }
    guest = order_created(ORDER, 1002, None, uuid.UUID(int=2), "EUR", 1, OrderStatus.ON_HOLD)
    assert guest.data["customerId"] is None
    assert guest.data["channelId"] == str(uuid.UUID(int=2))


def test_status_changed_events_are_keyed_by_the_order() -> None:
    owner = uuid.UUID(int=1)
    changed = order_status_changed(
        ORDER, owner, OrderStatus.UNFULFILLED, OrderStatus.IN_PROGRESS, number=1001
    )
    assert changed.type == ORDER_STATUS_CHANGED
    assert changed.data == {
        "orderId": str(ORDER),
        "customerId": str(owner),
        "previousStatus": "UNFULFILLED",
        "status": "IN_PROGRESS",
        "orderNumber": 1001,
    }
    placed = order_status_changed(ORDER, None, None, OrderStatus.UNFULFILLED)
    assert placed.data["previousStatus"] is None and placed.data["customerId"] is None
    with pytest.raises(DomainError):
        order_status_changed(ORDER, owner, OrderStatus.ON_HOLD, OrderStatus.ON_HOLD)
    shipped = fulfillment_status_changed(
        ORDER,
        FULFILLMENT,
        FulfillmentStatus.PACKED,
        FulfillmentStatus.SHIPPED,
        Tracking("DHL", "JD0001", "https://track.example/JD0001"),
    )
    assert shipped.type == FULFILLMENT_STATUS_CHANGED
    assert shipped.aggregate_id == str(ORDER)
    assert shipped.data["tracking"] == {
        "carrier": "DHL",
        "number": "JD0001",
        "url": "https://track.example/JD0001",
    }
    plain = fulfillment_status_changed(
        ORDER, FULFILLMENT, FulfillmentStatus.PENDING, FulfillmentStatus.ALLOCATED
    )
    assert plain.data["tracking"] is None
    assert plain.data["fulfillmentId"] == str(FULFILLMENT)


def test_parse_fulfillment_update_accepts_global_ids_and_uuids() -> None:
    update = parse_fulfillment_update(
        {
            "eventId": " wms-1 ",
            "fulfillmentId": f"gid://ucg/Fulfillment/{FULFILLMENT}",
            "status": "SHIPPED",
            "tracking": {"carrier": "UPS", "number": "1Z"},
        }
    )
    assert update.event_id == "wms-1"
    assert update.fulfillment_id == FULFILLMENT and update.order_id is None
    assert update.status is FulfillmentStatus.SHIPPED
    assert update.tracking == Tracking("UPS", "1Z", None)
    by_order = parse_fulfillment_update(
        {"eventId": "e2", "orderId": str(ORDER), "status": "DELIVERED", "tracking": None}
    )
    assert by_order.order_id == ORDER and by_order.fulfillment_id is None
    assert by_order.tracking is None
    with_url = parse_fulfillment_update(
        {
            "eventId": "e3",
            "orderId": str(ORDER),
            "status": "SHIPPED",
            "tracking": {"carrier": "UPS", "number": "1Z", "url": "https://u"},
        }
    )
    assert with_url.tracking == Tracking("UPS", "1Z", "https://u")


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"orderId": str(ORDER), "status": "SHIPPED"}, ErrorCode.INVALID, ["eventId"]),
        (
            {"eventId": " ", "orderId": str(ORDER), "status": "SHIPPED"},
            ErrorCode.INVALID,
            ["eventId"],
        ),
        ({"eventId": "e", "status": "SHIPPED"}, ErrorCode.INVALID, ["fulfillment_id"]),
        ({"eventId": "e", "orderId": 5, "status": "SHIPPED"}, ErrorCode.INVALID, ["order_id"]),
        (
            {"eventId": "e", "orderId": "nope", "status": "SHIPPED"},
            ErrorCode.INVALID_ID,
            ["order_id"],
        ),
        (
            {"eventId": "e", "orderId": f"gid://ucg/Product/{ORDER}", "status": "SHIPPED"},
            ErrorCode.INVALID_ID,
            None,
        ),
        ({"eventId": "e", "orderId": str(ORDER), "status": "LOST"}, ErrorCode.INVALID, ["status"]),
        ({"eventId": "e", "orderId": str(ORDER), "status": 3}, ErrorCode.INVALID, ["status"]),
        (
            {"eventId": "e", "orderId": str(ORDER), "status": "SHIPPED", "tracking": "1Z"},
            ErrorCode.INVALID,
            ["tracking"],
        ),
        (
            {
                "eventId": "e",
                "orderId": str(ORDER),
                "status": "SHIPPED",
                "tracking": {"number": "1"},
            },
            ErrorCode.INVALID,
            ["carrier"],
        ),
    ],
)
def test_poison_updates_are_typed_errors(
    data: dict[str, object], code: ErrorCode, field: list[str] | None
) -> None:
    with pytest.raises(DomainError) as caught:
        parse_fulfillment_update(data)
    assert (caught.value.code, caught.value.field) == (code, field)


@pytest.mark.parametrize(
    ("status", "owner"),
    [("CANCELLED", "orderCancel"), ("PENDING", "orderReview"), ("ALLOCATED", "orderReview")],
)
def test_a_wms_may_not_hold_release_or_cancel(status: str, owner: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_fulfillment_update({"eventId": "e", "orderId": str(ORDER), "status": status})
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_TRANSITION, ["status"])
    assert owner in caught.value.message
