"""The customer repository: writes of the customer area, inside one UnitOfWork transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import orjson

from datasources.postgres.customer import (
    ADDRESS_COLUMNS,
    CUSTOMER_COLUMNS,
    IDENTITY_COLUMNS,
    LEDGER_COLUMNS,
    address_record,
    customer_record,
    identity_record,
    ledger_record,
)
from datasources.postgres.interactions import export_activity, merge_activity, stitch
from datasources.postgres.segments import export_memberships
from domain.customer.records import AddressFields, CustomerAddress, CustomerIdentity, LedgerEntry
from domain.errors import DomainError, ErrorCode
from domain.models import Customer
from domain.personal_data import Link, deleted_on_erasure, erased_in_place

_UPDATABLE_CUSTOMER_FIELDS = frozenset(
    {
        "first_name", "last_name", "display_name", "marketing_consent",
        "marketing_consent_at", "marketing_consent_source", "last_seen_channel",
    }
)  # fmt: skip


class PostgresCustomerRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self.conn = conn

    async def get(self, customer_id: uuid.UUID, lock: bool = False) -> Customer | None:
        row = await self.conn.fetchrow(
            f"SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1"
            + (" FOR UPDATE" if lock else ""),
            customer_id,
        )
        return customer_record(row) if row else None

    async def create(
        self,
        display_name: str,
        first_name: str | None,
        last_name: str | None,
        password_hash: str | None,
        marketing_consent: bool,
        consent_source: str | None,
        channel: str | None,
    ) -> Customer:
        row = await self.conn.fetchrow(
            f"""INSERT INTO customers (display_name, first_name, last_name, password_hash,
                    marketing_consent, marketing_consent_at, marketing_consent_source,
                    first_seen_channel, last_seen_channel, last_seen_at)
                VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 THEN now() END, $6, $7, $7, now())
                RETURNING {CUSTOMER_COLUMNS}""",
            display_name,
            first_name,
            last_name,
            password_hash,
            marketing_consent,
            consent_source,
            channel,
        )
        assert row is not None
        return customer_record(row)

    async def update(self, customer_id: uuid.UUID, fields: dict[str, Any]) -> Customer:
        names = [n for n in fields if n in _UPDATABLE_CUSTOMER_FIELDS]
        assignments = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
        row = await self.conn.fetchrow(
            f"""UPDATE customers SET {assignments}, updated_at = now() WHERE id = $1
                RETURNING {CUSTOMER_COLUMNS}""",
            customer_id,
            *(fields[n] for n in names),
        )
        assert row is not None
        return customer_record(row)

    async def password_hash(self, customer_id: uuid.UUID) -> str | None:
        value: str | None = await self.conn.fetchval(
            """SELECT password_hash FROM customers
               WHERE id = $1 AND merged_into IS NULL AND erased_at IS NULL""",
            customer_id,
        )
        return value

    async def identity_owner(self, kind: str, normalized: str) -> uuid.UUID | None:
        owner: uuid.UUID | None = await self.conn.fetchval(
            "SELECT customer_id FROM customer_identities WHERE kind = $1 AND normalized = $2",
            kind,
            normalized,
        )
        return owner

    async def add_identity(
        self, customer_id: uuid.UUID, kind: str, normalized: str, source_system: str | None
    ) -> CustomerIdentity:
        try:
            row = await self.conn.fetchrow(
                f"""INSERT INTO customer_identities (customer_id, kind, normalized, source_system)
                    VALUES ($1, $2, $3, $4) RETURNING {IDENTITY_COLUMNS}""",
                customer_id,
                kind,
                normalized,
                source_system,
            )
        except asyncpg.UniqueViolationError:
            # Lost a race with a concurrent registration or link of the same value.
            raise DomainError(
                ErrorCode.TAKEN, f"That {kind.lower()} is already in use.", ["input", "value"]
            ) from None
        assert row is not None
        if kind == "DEVICE":
            # A device linked to a customer brings its anonymous interactions along.
            await stitch(self.conn, customer_id, [f"device:{normalized}"])
        return identity_record(row)

    async def address(self, address_id: uuid.UUID) -> CustomerAddress | None:
        row = await self.conn.fetchrow(
            f"SELECT {ADDRESS_COLUMNS} FROM customer_addresses WHERE id = $1", address_id
        )
        return address_record(row) if row else None

    async def add_address(self, customer_id: uuid.UUID, fields: AddressFields) -> CustomerAddress:
        row = await self.conn.fetchrow(
            f"""INSERT INTO customer_addresses (customer_id, name, line1, line2, city,
                    postal_code, region, country_code, phone)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {ADDRESS_COLUMNS}""",
            customer_id,
            *_address_values(fields),
        )
        assert row is not None
        return address_record(row)

    async def update_address(self, address_id: uuid.UUID, fields: AddressFields) -> CustomerAddress:
        row = await self.conn.fetchrow(
            f"""UPDATE customer_addresses SET name = $2, line1 = $3, line2 = $4, city = $5,
                    postal_code = $6, region = $7, country_code = $8, phone = $9,
                    updated_at = now()
                WHERE id = $1 RETURNING {ADDRESS_COLUMNS}""",
            address_id,
            *_address_values(fields),
        )
        assert row is not None
        return address_record(row)

    async def remove_address(self, address_id: uuid.UUID) -> None:
        await self.conn.execute("DELETE FROM customer_addresses WHERE id = $1", address_id)

    async def set_default_address(
        self, customer_id: uuid.UUID, address_id: uuid.UUID, shipping: bool, billing: bool
    ) -> None:
        for flag, column in ((shipping, "is_default_shipping"), (billing, "is_default_billing")):
            if flag:
                await self.conn.execute(
                    f"""UPDATE customer_addresses SET {column} = (id = $2)
                        WHERE customer_id = $1 AND ({column} OR id = $2)""",
                    customer_id,
                    address_id,
                )

    async def ledger(self, customer_id: uuid.UUID) -> list[LedgerEntry]:
        rows = await self.conn.fetch(
            f"SELECT {LEDGER_COLUMNS} FROM loyalty_ledger WHERE customer_id = $1 ORDER BY id",
            customer_id,
        )
        return [ledger_record(r) for r in rows]

    async def add_ledger_entry(
        self,
        customer_id: uuid.UUID,
        kind: str,
        points: int,
        order_id: uuid.UUID | None,
        reason: str,
    ) -> LedgerEntry | None:
        row = await self.conn.fetchrow(
            f"""INSERT INTO loyalty_ledger (customer_id, kind, points, order_id, reason)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (order_id) WHERE kind = 'EARN' DO NOTHING
                RETURNING {LEDGER_COLUMNS}""",
            customer_id,
            kind,
            points,
            order_id,
            reason,
        )
        return ledger_record(row) if row else None

    async def merge(self, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> dict[str, int]:
        moved: dict[str, int] = {}
        # The survivor's default addresses win; the merged one's become plain addresses.
        await self.conn.execute(
            """UPDATE customer_addresses m
               SET is_default_shipping = m.is_default_shipping AND NOT EXISTS (
                       SELECT 1 FROM customer_addresses s
                       WHERE s.customer_id = $1 AND s.is_default_shipping),
                   is_default_billing = m.is_default_billing AND NOT EXISTS (
                       SELECT 1 FROM customer_addresses s
                       WHERE s.customer_id = $1 AND s.is_default_billing)
               WHERE m.customer_id = $2""",
            survivor_id,
            merged_id,
        )
        for table in (
            "customer_identities",
            "customer_addresses",
            "carts",
            "orders",
            "loyalty_ledger",
        ):
            status = await self.conn.execute(
                f"UPDATE {table} SET customer_id = $1 WHERE customer_id = $2",
                survivor_id,
                merged_id,
            )
            moved[table] = _count(status)
        # Records merged earlier into the merged one now point straight at the survivor.
        await self.conn.execute(
            "UPDATE customers SET merged_into = $1 WHERE merged_into = $2", survivor_id, merged_id
        )
        await self.conn.execute(
            """UPDATE customers SET merged_into = $1, merged_at = now(), password_hash = NULL,
                   updated_at = now()
               WHERE id = $2""",
            survivor_id,
            merged_id,
        )
        await self.conn.execute(
            """UPDATE customers s SET first_seen_channel = COALESCE(
                   (SELECT m.first_seen_channel FROM customers m
                    WHERE m.id = $2 AND m.created_at < s.created_at), s.first_seen_channel)
               WHERE s.id = $1""",
            survivor_id,
            merged_id,
        )
        moved["refresh_tokens"] = await _revoke_refresh_tokens(self.conn, merged_id)
        moved.update(await merge_activity(self.conn, survivor_id, merged_id))
        # The survivor's memberships are re-evaluated at its next profile change.
        moved["segment_memberships"] = _count(
            await self.conn.execute(
                "DELETE FROM segment_memberships WHERE customer_id = $1", merged_id
            )
        )
        return moved

    async def erase(self, customer_id: uuid.UUID) -> dict[str, int]:
        touched: dict[str, int] = {}
        ids = await self.conn.fetch(
            "SELECT id FROM customers WHERE id = $1 OR merged_into = $1", customer_id
        )
        record_ids = [r["id"] for r in ids]
        touched["customers"] = _count(
            await self.conn.execute(
                """UPDATE customers SET display_name = '', first_name = NULL, last_name = NULL,
                       password_hash = NULL, marketing_consent = false,
                       marketing_consent_at = now(), marketing_consent_source = 'erasure',
                       erased_at = COALESCE(erased_at, now()), updated_at = now()
                   WHERE id = ANY($1)""",
                record_ids,
            )
        )
        for table, link in deleted_on_erasure():
            touched[table] = _count(
                await self.conn.execute(f"DELETE FROM {table} WHERE {_linked(link)}", record_ids)
            )
        for table, link, personal in erased_in_place():
            touched[table] = await self._anonymize(table, _linked(link), personal, record_ids)
        touched["refresh_tokens"] = 0
        for record_id in record_ids:
            touched["refresh_tokens"] += await _revoke_refresh_tokens(self.conn, record_id)
        return touched

    async def _columns(self, table: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT column_name, is_nullable, data_type FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = $1""",
            table,
        )

    async def _anonymize(
        self, table: str, where: str, personal: frozenset[str], ids: list[uuid.UUID]
    ) -> int:
        assignments = []
        for column in await self._columns(table):
            name = column["column_name"]
            if name not in personal:
                continue
            if column["is_nullable"] == "YES":
                assignments.append(f"{name} = NULL")
            elif column["data_type"] in ("jsonb", "json"):
                assignments.append(f"{name} = '{{}}'")
            elif column["data_type"] in ("text", "character varying"):
                assignments.append(f"{name} = ''")
        if not assignments:
            return 0
        status = await self.conn.execute(
            f"UPDATE {table} SET {', '.join(assignments)} WHERE {where}", ids
        )
        return _count(status)

    async def export(self, customer_id: uuid.UUID) -> dict[str, Any]:
        """Every personal datum held about the customer (and records merged into it)."""
        record_ids = [
            r["id"]
            for r in await self.conn.fetch(
                "SELECT id FROM customers WHERE id = $1 OR merged_into = $1", customer_id
            )
        ]

        async def rows(sql: str) -> list[Any]:
            return [_json(r[0]) for r in await self.conn.fetch(sql, record_ids)]

        document: dict[str, Any] = {
            "customer": (
                await rows(
                    """SELECT to_jsonb(c) - 'password_hash' FROM customers c
                       WHERE id = ANY($1) ORDER BY created_at"""
                )
            ),
            "identities": await rows(
                "SELECT to_jsonb(i) FROM customer_identities i WHERE customer_id = ANY($1)"
            ),
            "addresses": await rows(
                "SELECT to_jsonb(a) FROM customer_addresses a WHERE customer_id = ANY($1)"
            ),
            "loyaltyLedger": await rows(
                "SELECT to_jsonb(l) FROM loyalty_ledger l WHERE customer_id = ANY($1) ORDER BY id"
            ),
            "carts": await rows("SELECT to_jsonb(c) FROM carts c WHERE customer_id = ANY($1)"),
            "orders": await rows("SELECT to_jsonb(o) FROM orders o WHERE customer_id = ANY($1)"),
            "sessions": await rows(
                """SELECT jsonb_build_object('createdAt', created_at, 'expiresAt', expires_at,
                          'revokedAt', revoked_at)
                   FROM refresh_tokens WHERE subject_id = ANY($1) ORDER BY created_at"""
            ),
        }
        for table in ("returns",):
            document[table] = await rows(
                f"SELECT to_jsonb(x) FROM {table} x WHERE {_linked(Link.ORDER)}"
            )
        document.update(await export_activity(self.conn, record_ids))
        document["segments"] = await export_memberships(self.conn, record_ids)
        return document


def _linked(link: Link) -> str:
    """The WHERE clause selecting a table's rows that belong to the customers in $1."""
    if link is Link.CART:
        return "cart_id IN (SELECT id FROM carts WHERE customer_id = ANY($1))"
    if link is Link.ORDER:
        return "order_id IN (SELECT id FROM orders WHERE customer_id = ANY($1))"
    return f"{link.value} = ANY($1)"


def _address_values(fields: AddressFields) -> tuple[Any, ...]:
    return (
        fields.name,
        fields.line1,
        fields.line2,
        fields.city,
        fields.postal_code,
        fields.region,
        fields.country_code,
        fields.phone,
    )


def _json(value: Any) -> Any:
    """jsonb arrives decoded on the pool's connections (its codec), as text elsewhere."""
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def _count(status: str) -> int:
    """Rows affected, from asyncpg's command status ("UPDATE 3")."""
    return int(status.rsplit(" ", 1)[-1])


async def _revoke_refresh_tokens(conn: asyncpg.Connection[Any], subject_id: uuid.UUID) -> int:
    status = await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE subject_id = $1 AND revoked_at IS NULL",
        subject_id,
    )
    return _count(status)
