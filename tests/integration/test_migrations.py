"""Migrations apply once, re-run as a no-op, refuse edits, and never race."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from datasources.embedded import ServerUrls
from datasources.postgres.migrations import MIGRATIONS_DIR, MigrationError, load_migrations, migrate
from tests.conftest import ROOT, with_database
from tests.helpers import unique


@pytest.fixture
async def empty_database(servers: ServerUrls) -> Any:
    name = unique("m_")
    admin = await asyncpg.connect(servers.database_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield with_database(servers.database_url, name)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


async def test_apply_once_then_noop(empty_database: str) -> None:
    applied = await migrate(empty_database)
    assert [m.version for m in applied] == [m.version for m in load_migrations()]
    assert await migrate(empty_database) == []
    conn = await asyncpg.connect(empty_database)
    try:
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        assert [(r["version"], r["checksum"]) for r in rows] == [
            (m.version, m.checksum) for m in load_migrations()
        ]
    finally:
        await conn.close()


async def test_edited_migration_is_refused(empty_database: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    await migrate(empty_database, directory)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        await migrate(empty_database, directory)


async def test_failed_migration_leaves_nothing_behind(empty_database: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (directory / "0002_bad.sql").write_text("CREATE TABLE b (x int); SELECT no_such_function();")
    with pytest.raises(MigrationError, match="0002_bad failed"):
        await migrate(empty_database, directory)
    conn = await asyncpg.connect(empty_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('a') IS NOT NULL")
        assert await conn.fetchval("SELECT to_regclass('b') IS NULL")
        assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == 1
    finally:
        await conn.close()


async def test_two_concurrent_cli_migrations_do_not_race(empty_database: str) -> None:
    env = {"UCG_DATABASE_URL": empty_database, "PATH": "/usr/bin:/bin"}

    async def run() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "entrypoints.cli",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    results = await asyncio.gather(run(), run())
    assert [code for code, _ in results] == [0, 0], results
    outputs = sorted(out for _, out in results)
    assert "database is up to date" in outputs[0] or "database is up to date" in outputs[1]
    conn = await asyncpg.connect(empty_database)
    try:
        count = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(load_migrations())
    finally:
        await conn.close()


def test_bad_configuration_is_one_clear_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "migrate"],
        cwd=ROOT,
        env={"UCG_PORT": "not-a-port", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ucg: invalid configuration: UCG_PORT: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
    assert "Traceback" not in result.stderr
