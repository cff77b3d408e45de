"""`ucg doctor`: what is wrong with this deployment, in plain words.

Checks the configuration, each server, the migrations, the Kafka topics, the
outbox and how far behind each consumer group is; prints one line per check and exits 1 when any of them found a problem.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from api.settings import Settings

DEV_SECRET = Settings.model_fields["jwt_secret"].default
OUTBOX_AGE_LIMIT_SECONDS = 60
TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str
    warning: bool = False

    def line(self) -> str:
        mark = "ok  " if self.ok else ("warn" if self.warning else "FAIL")
        return f"{mark}  {self.check}: {self.message}"


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def configuration(settings: Settings) -> list[Finding]:
    findings = []
    for variable, value in (
        ("UCG_DATABASE_URL", settings.database_url),
        ("UCG_REDIS_URL", settings.redis_url),
        ("UCG_KAFKA_BOOTSTRAP_SERVERS", settings.kafka_bootstrap_servers),
    ):
        if not value:
            findings.append(
                Finding("configuration", False, f"{variable} is not set (`ucg dev` starts one)")
            )
    if settings.jwt_algorithm == "HS256" and settings.jwt_secret == DEV_SECRET:
        findings.append(
            Finding(
                "configuration",
                False,
                "UCG_JWT_SECRET is the development default: anyone can sign tokens; set a secret",
                warning=True,
            )
        )
    if settings.metrics_enabled and not settings.metrics_token:
        findings.append(
            Finding(
                "configuration",
                False,
                "/metrics is open to anyone who reaches the port (set UCG_METRICS_TOKEN, "
                "or keep the port private)",
                warning=True,
            )
        )
    if not findings:
        findings.append(Finding("configuration", True, "settings are complete"))
    return findings


async def postgres(settings: Settings) -> list[Finding]:
    import asyncpg

    from datasources.postgres.migrations import load_migrations

    assert settings.database_url
    where = _where(settings.database_url)
    try:
        conn = await asyncpg.connect(settings.database_url, timeout=TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return [Finding("postgres", False, f"cannot connect to {where}: {exc}")]
    try:
        version = await conn.fetchval("SHOW server_version")
        findings = [Finding("postgres", True, f"reachable at {where} (PostgreSQL {version})")]
        applied: dict[int, str] = {}
        if await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
            applied = {
                r["version"]: r["checksum"]
                for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
            }
        known = load_migrations()
        pending = [f"{m.version:04d}_{m.name}" for m in known if m.version not in applied]
        edited = [
            f"{m.version:04d}_{m.name}"
            for m in known
            if m.version in applied and applied[m.version] != m.checksum
        ]
        if pending:
            findings.append(
                Finding(
                    "migrations", False, f"not applied: {', '.join(pending)}; run `ucg migrate`"
                )
            )
        if edited:
            findings.append(
                Finding(
                    "migrations",
                    False,
                    f"edited after they were applied: {', '.join(edited)}",
                )
            )
        if not pending and not edited:
            findings.append(Finding("migrations", True, f"all {len(known)} applied"))
            findings.append(await _outbox(conn))
        return findings
    finally:
        await conn.close()


async def _outbox(conn: Any) -> Finding:
    from api.metrics import OUTBOX_SQL

    row = await conn.fetchrow(OUTBOX_SQL)
    backlog, oldest = row["backlog"], row["oldest"]
    if oldest > OUTBOX_AGE_LIMIT_SECONDS:
        return Finding(
            "outbox",
            False,
            f"{backlog} events wait to be published, the oldest for {oldest:.0f} s: "
            "is an outbox relay running (`ucg serve` with UCG_RELAY_ENABLED, or `ucg relay`) "
            "and can it reach Kafka?",
        )
    return Finding("outbox", True, f"{backlog} events waiting, none older than a minute")


async def redis_server(settings: Settings) -> list[Finding]:
    import redis.asyncio as redis

    assert settings.redis_url
    where = _where(settings.redis_url)
    client = redis.from_url(settings.redis_url, socket_timeout=TIMEOUT_SECONDS)
    try:
        await client.ping()
        return [Finding("redis", True, f"reachable at {where}")]
    except Exception as exc:  # noqa: BLE001
        return [Finding("redis", False, f"cannot reach {where}: {exc}")]
    finally:
        await client.aclose()


async def kafka(settings: Settings) -> list[Finding]:
    from aiokafka.admin import AIOKafkaAdminClient

    from datasources.kafka import topics

    servers = settings.kafka_bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=3000)
    try:
        await asyncio.wait_for(admin.start(), TIMEOUT_SECONDS)
        existing = set(await asyncio.wait_for(admin.list_topics(), TIMEOUT_SECONDS))
    except Exception as exc:  # noqa: BLE001
        return [Finding("kafka", False, f"cannot reach {servers}: {exc or type(exc).__name__}")]
    finally:
        await admin.close()
    findings = [Finding("kafka", True, f"reachable at {servers}")]
    missing = [settings.topic(t) for t in topics.ALL if settings.topic(t) not in existing]
    if missing:
        findings.append(
            Finding(
                "topics",
                False,
                f"missing: {', '.join(missing)}; `ucg serve` creates them at start, "
                "or create them (3 partitions)",
            )
        )
    else:
        findings.append(Finding("topics", True, f"all {len(topics.ALL)} exist"))
    return findings


async def consumer_lag(settings: Settings) -> list[Finding]:
    """Messages each `ucg consume` group has not yet processed (committed offset to the end
    of each partition); a problem above UCG_DOCTOR_MAX_CONSUMER_LAG."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from datasources.kafka import topics

    behind: dict[str, int] = {}
    try:
        for group, name in topics.CONSUMER_GROUPS:
            topic = settings.topic(name)
            # A consumer of the group that does not join it: it only reads its offsets.
            reader = AIOKafkaConsumer(
                bootstrap_servers=settings.kafka_bootstrap_servers,
                group_id=settings.topic(group),
                enable_auto_commit=False,
                request_timeout_ms=3000,
            )
            await asyncio.wait_for(reader.start(), TIMEOUT_SECONDS)
            try:
                parts = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
                committed = {tp: await reader.committed(tp) for tp in parts}
                mine = {tp: at for tp, at in committed.items() if at is not None}
                if mine:
                    end = await asyncio.wait_for(reader.end_offsets(list(mine)), TIMEOUT_SECONDS)
                    behind[topic] = sum(max(0, end[tp] - at) for tp, at in mine.items())
            finally:
                await reader.stop()
    except Exception as exc:  # noqa: BLE001
        return [Finding("consumer lag", False, f"cannot read: {exc or type(exc).__name__}")]
    limit = settings.doctor_max_consumer_lag
    late = {topic: lag for topic, lag in behind.items() if lag > limit}
    if late:
        said = ", ".join(f"{topic} {lag} messages behind" for topic, lag in sorted(late.items()))
        return [
            Finding(
                "consumer lag",
                False,
                f"{said} (limit {limit}); is `ucg consume` running, and keeping up?",
            )
        ]
    if not behind:
        return [Finding("consumer lag", True, "no consumer group has committed yet")]
    worst = max(behind.values())
    return [Finding("consumer lag", True, f"{len(behind)} group(s), at most {worst} behind")]


async def diagnose(settings: Settings) -> list[Finding]:
    findings = configuration(settings)
    probes = []
    if settings.database_url:
        probes.append(postgres(settings))
    if settings.redis_url:
        probes.append(redis_server(settings))
    if settings.kafka_bootstrap_servers:
        probes.append(kafka(settings))
        probes.append(consumer_lag(settings))
    for found in await asyncio.gather(*probes):
        findings += found
    return findings


def cmd_doctor(settings: Settings, _: argparse.Namespace) -> int:
    findings = asyncio.run(diagnose(settings))
    for finding in findings:
        print(finding.line())
    problems = [f for f in findings if not f.ok and not f.warning]
    print("no problems found" if not problems else f"{len(problems)} problem(s) found")
    return 1 if problems else 0


def add_parser(sub: Any) -> None:
    sub.add_parser(
        "doctor",
        help="check configuration, servers, migrations, topics and the outbox; exit 1 on a problem",
    )
