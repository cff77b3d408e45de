"""SQL of returns (migration 0010). Use-cases: domain/order/returns.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from domain.order.aftersale import ReturnReason
from domain.order.model import Order
from domain.order.returns import ReturnLineRecord, ReturnRecord, ReturnStatus

_R_COLUMNS = """r.id, r.order_id, o.customer_id, r.status, r.reason, r.note, r.currency_code,
                r.refund_minor, r.refunded_minor, r.location_id, r.request_hash, r.created_at,
                r.received_at, o.cart_id"""


class PostgresReturnRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def lock_idempotency_key(self, key: str) -> None:
        """Serialize every orderReturnCreate with this key until the transaction ends."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext('return:' || $1))", key)

    async def return_by_idempotency_key(self, key: str) -> ReturnRecord | None:
        found = await _returns(self._conn, "r.idempotency_key = $1", key)
        return found[0] if found else None

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
    ) -> ReturnRecord:
        return_id: uuid.UUID = await self._conn.fetchval(
            """INSERT INTO returns (order_id, reason, note, currency_code, refund_minor,
                                    idempotency_key, request_hash, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
            order.id,
            reason,
            note,
            order.currency_code,
            refund_minor,
            idempotency_key,
            request_hash,
            now,
        )
        await self._conn.executemany(
            """INSERT INTO return_lines (return_id, order_line_id, position, sku, quantity,
                                         refund_minor, resellable)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            [
                (
                    return_id,
                    line.order_line_id,
                    i,
                    line.sku,
                    line.quantity,
                    line.refund_minor,
                    line.resellable,
                )
                for i, line in enumerate(lines)
            ],
        )
        found = await self.return_by_id(return_id)
        assert found is not None
        return found

    async def return_by_id(
        self, return_id: uuid.UUID, *, for_update: bool = False
    ) -> ReturnRecord | None:
        found = await _returns(
            self._conn, "r.id = $1", return_id, lock=" FOR UPDATE OF r" if for_update else ""
        )
        return found[0] if found else None

    async def mark_received(
        self, return_id: uuid.UUID, location_id: uuid.UUID, refunded_minor: int, now: datetime
    ) -> ReturnRecord:
        await self._conn.execute(
            """UPDATE returns SET status = 'RECEIVED', location_id = $2, refunded_minor = $3,
                                  received_at = $4
               WHERE id = $1""",
            return_id,
            location_id,
            refunded_minor,
            now,
        )
        found = await self.return_by_id(return_id)
        assert found is not None
        return found


async def _returns(db: Any, where: str, *args: Any, lock: str = "") -> list[ReturnRecord]:
    """Returns matching `where`, each with its lines, in one statement whatever the count."""
    rows = await db.fetch(
        f"""SELECT {_R_COLUMNS},
                   coalesce((SELECT jsonb_agg(jsonb_build_object(
                                 'orderLineId', l.order_line_id, 'sku', l.sku,
                                 'quantity', l.quantity, 'refundMinor', l.refund_minor,
                                 'resellable', l.resellable) ORDER BY l.position)
                             FROM return_lines l WHERE l.return_id = r.id), '[]') AS lines
            FROM returns r JOIN orders o ON o.id = r.order_id
            WHERE {where} ORDER BY r.created_at, r.id{lock}""",
        *args,
    )
    return [
        ReturnRecord(
            id=r["id"],
            order_id=r["order_id"],
            customer_id=r["customer_id"],
            status=ReturnStatus(r["status"]),
            reason=ReturnReason(r["reason"]),
            note=r["note"],
            currency_code=r["currency_code"],
            refund_minor=r["refund_minor"],
            refunded_minor=r["refunded_minor"],
            location_id=r["location_id"],
            request_hash=r["request_hash"],
            created_at=r["created_at"],
            received_at=r["received_at"],
            lines=tuple(_line(item) for item in _json(r["lines"])),
            cart_id=r["cart_id"],
        )
        for r in rows
    ]


def _json(value: Any) -> Any:
    # The pool decodes jsonb; a bare connection (scripts, tests) gives the text.
    return json.loads(value) if isinstance(value, str) else value


def _line(item: dict[str, Any]) -> ReturnLineRecord:
    return ReturnLineRecord(
        uuid.UUID(item["orderLineId"]),
        item["sku"],
        int(item["quantity"]),
        int(item["refundMinor"]),
        bool(item["resellable"]),
    )


async def returns_by_order_ids(db: Any, order_ids: Sequence[uuid.UUID]) -> list[list[ReturnRecord]]:
    found = await _returns(db, "r.order_id = ANY($1)", list(order_ids))
    grouped: dict[uuid.UUID, list[ReturnRecord]] = {i: [] for i in order_ids}
    for record in found:
        grouped[record.order_id].append(record)
    return [grouped[i] for i in order_ids]


async def returns_by_ids(db: Any, ids: Sequence[uuid.UUID]) -> list[ReturnRecord | None]:
    found = {r.id: r for r in await _returns(db, "r.id = ANY($1)", list(ids))}
    return [found.get(i) for i in ids]
