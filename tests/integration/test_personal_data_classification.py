"""Every text-like column of the migrated database is classified in domain/personal_data.py."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.personal_data import stale, unclassified

TEXT_LIKE = ("text", "character varying", "character", "jsonb", "json", "ARRAY", "USER-DEFINED")


async def test_every_text_column_of_every_table_is_classified(
    db: asyncpg.Connection[Any],
) -> None:
    tables = await db.fetch(
        """SELECT table_name FROM information_schema.tables
           WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"""
    )
    columns: dict[str, set[str]] = {r["table_name"]: set() for r in tables}
    for row in await db.fetch(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_schema = current_schema()"""
    ):
        # char(3) currency and country codes are classified like text: they are short but a
        # country code next to a postcode is personal.
        if row["data_type"] in TEXT_LIKE and row["table_name"] in columns:
            columns[row["table_name"]].add(row["column_name"])
    assert unclassified(columns) == {}, "classify these columns in domain/personal_data.py"
    assert stale(columns) == {}, "these classified columns are gone from the database"


async def test_a_migration_adding_an_unclassified_column_is_caught(
    db: asyncpg.Connection[Any],
) -> None:
    await db.execute("ALTER TABLE orders ADD COLUMN gift_message text")
    await db.execute("CREATE TABLE order_notes (order_id uuid, body text)")
    rows = await db.fetch(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND table_name IN ('orders', 'order_notes')
             AND data_type = 'text'"""
    )
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], set()).add(row["column_name"])
    assert unclassified(columns) == {"orders": {"gift_message"}, "order_notes": {"body"}}
