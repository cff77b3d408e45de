"""Customer reads, batched by key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from datasources.postgres.rows import many_per_key, one_per_key
from domain.customer.identity import IdentityKind
from domain.customer.loyalty import LedgerKind
from domain.customer.records import AddressFields, CustomerAddress, CustomerIdentity, LedgerEntry
from domain.models import Customer

Executor: TypeAlias = "asyncpg.Pool[Any] | asyncpg.Connection[Any]"
CUSTOMER_COLUMNS = """id, display_name, created_at, first_name, last_name, merged_into,
    marketing_consent, marketing_consent_at, marketing_consent_source,
    first_seen_channel, last_seen_channel, erased_at"""
IDENTITY_COLUMNS = "id, customer_id, kind, normalized, source_system, verified, created_at"
ADDRESS_COLUMNS = """id, customer_id, name, line1, line2, city, postal_code, region,
    country_code, phone, is_default_shipping, is_default_billing, created_at"""
LEDGER_COLUMNS = "id, customer_id, kind, points, order_id, reason, created_at"


def customer_record(r: asyncpg.Record) -> Customer:
    return Customer(
        r["id"],
        r["display_name"],
        r["created_at"],
        first_name=r["first_name"],
        last_name=r["last_name"],
        merged_into=r["merged_into"],
        marketing_consent=r["marketing_consent"],
        marketing_consent_at=r["marketing_consent_at"],
        marketing_consent_source=r["marketing_consent_source"],
        first_seen_channel=r["first_seen_channel"],
        last_seen_channel=r["last_seen_channel"],
        erased_at=r["erased_at"],
    )


def identity_record(r: asyncpg.Record) -> CustomerIdentity:
    value: str = r["normalized"]
    if r["source_system"] and value.startswith(f"{r['source_system']}:"):
        value = value[len(r["source_system"]) + 1 :]
    return CustomerIdentity(
        r["id"],
        r["customer_id"],
        IdentityKind(r["kind"]),
        value,
        r["source_system"],
        r["verified"],
        r["created_at"],
    )


def address_record(r: asyncpg.Record) -> CustomerAddress:
    fields = AddressFields(
        name=r["name"],
        line1=r["line1"],
        line2=r["line2"],
        city=r["city"],
        postal_code=r["postal_code"],
        region=r["region"],
        country_code=r["country_code"],
        phone=r["phone"],
    )
    return CustomerAddress(
        r["id"],
        r["customer_id"],
        fields,
        r["is_default_shipping"],
        r["is_default_billing"],
        r["created_at"],
    )


def ledger_record(r: asyncpg.Record) -> LedgerEntry:
    return LedgerEntry(
        r["id"],
        r["customer_id"],
        LedgerKind(r["kind"]),
        r["points"],
        r["order_id"],
        r["reason"],
        r["created_at"],
    )


async def customers_by_ids(db: Executor, ids: Sequence[uuid.UUID]) -> list[Customer | None]:
    rows = await db.fetch(f"SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ANY($1)", ids)
    return one_per_key(ids, map(customer_record, rows), lambda c: c.id)


async def identities_by_customer_ids(
    db: Executor, ids: Sequence[uuid.UUID]
) -> list[list[CustomerIdentity]]:
    rows = await db.fetch(
        f"""SELECT {IDENTITY_COLUMNS} FROM customer_identities
            WHERE customer_id = ANY($1) ORDER BY created_at, id""",
        ids,
    )
    return many_per_key(ids, map(identity_record, rows), lambda i: i.customer_id)


async def addresses_by_customer_ids(
    db: Executor, ids: Sequence[uuid.UUID]
) -> list[list[CustomerAddress]]:
    rows = await db.fetch(
        f"""SELECT {ADDRESS_COLUMNS} FROM customer_addresses
            WHERE customer_id = ANY($1) ORDER BY created_at, id""",
        ids,
    )
    return many_per_key(ids, map(address_record, rows), lambda a: a.customer_id)


async def ledgers_by_customer_ids(
    db: Executor, ids: Sequence[uuid.UUID]
) -> list[list[LedgerEntry]]:
    rows = await db.fetch(
        f"""SELECT {LEDGER_COLUMNS} FROM loyalty_ledger
            WHERE customer_id = ANY($1) ORDER BY id DESC""",
        ids,
    )
    return many_per_key(ids, map(ledger_record, rows), lambda e: e.customer_id)
