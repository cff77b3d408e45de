"""Statuses are enums end to end: every text `status` / `state` column of the schema has
a CHECK constraint, and each enumerated column an order writes allows exactly the values
of its domain enum (migrations 0006, 0010-0013, 0024)."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from domain.cart.models import CartStatus
from domain.inventory.models import ReservationStatus
from domain.models import ProductStatus
from domain.order.aftersale import ReturnReason
from domain.order.cancellation import CancelReason
from domain.order.fulfillment import FulfillmentStatus, OrderStatus
from domain.order.payment_records import AttemptState
from domain.order.returns import ReturnStatus
from domain.order.routing import FulfillmentMethod
from domain.order.settlement import PaymentStatus

# (table, column) -> the values the domain writes there.
ENUMS: dict[tuple[str, str], set[str]] = {
    ("orders", "status"): {s.value for s in OrderStatus},
    ("orders", "fulfillment_method"): {m.value for m in FulfillmentMethod},
    ("orders", "cancel_reason"): {r.value for r in CancelReason},
    ("fulfillments", "status"): {s.value for s in FulfillmentStatus},
    ("fulfillments", "method"): {m.value for m in FulfillmentMethod},
    ("payments", "status"): {s.value for s in PaymentStatus},
    ("returns", "status"): {s.value for s in ReturnStatus},
    ("returns", "reason"): {r.value for r in ReturnReason},
    # A capture, void or refund call is SUCCEEDED once recorded (payment_repository.py).
    ("payment_transactions", "state"): {s.value for s in AttemptState} | {"SUCCEEDED"},
    ("carts", "status"): {s.value for s in CartStatus},
    ("reservations", "status"): {s.value for s in ReservationStatus},
    ("products", "status"): {s.value for s in ProductStatus},
}

_ONE_COLUMN_CHECKS = """
SELECT c.relname AS table, a.attname AS column, pg_get_constraintdef(k.oid) AS definition
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
WHERE k.contype = 'c' AND cardinality(k.conkey) = 1
"""


async def _checks(db: asyncpg.Connection[Any]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for r in await db.fetch(_ONE_COLUMN_CHECKS):
        values = set(re.findall(r"'([A-Z_]+)'::", r["definition"]))
        if values:
            found[(r["table"], r["column"])] = values
    return found


async def test_every_status_column_has_a_check(db: asyncpg.Connection[Any]) -> None:
    columns = await db.fetch(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND data_type = 'text'
             AND column_name IN ('status', 'state')"""
    )
    checked = await _checks(db)
    unchecked = {(r["table_name"], r["column_name"]) for r in columns} - set(checked)
    assert columns and unchecked == set()


async def test_each_enumerated_order_column_allows_exactly_its_enum(
    db: asyncpg.Connection[Any],
) -> None:
    checked = await _checks(db)
    assert {column: checked.get(column) for column in ENUMS} == ENUMS


async def test_a_value_no_enum_knows_is_refused(db: asyncpg.Connection[Any]) -> None:
    """The constraint acts (not only exists): an unknown cancel reason is refused."""
    try:
        await db.execute(
            "INSERT INTO orders (currency_code, cancel_reason) VALUES ('EUR', 'BORED')"
        )
    except asyncpg.CheckViolationError as refused:
        assert refused.constraint_name == "orders_cancel_reason"
    else:
        raise AssertionError("an unknown cancel reason was stored")
