"""`ucg doctor` says what is wrong in plain words and exits non-zero on a problem."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from datasources.embedded import free_port
from datasources.kafka import topics
from datasources.kafka.client import ensure_topics
from tests.conftest import ROOT, TestEnv


def doctor(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "doctor"],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_doctor_passes_a_healthy_deployment(env: TestEnv) -> None:
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    await ensure_topics(settings.kafka_bootstrap_servers, [settings.topic(t) for t in topics.ALL])
    done = doctor(
        env.environ(
            UCG_JWT_SECRET="a-real-secret-of-enough-length-0123456789", UCG_METRICS_TOKEN="t"
        )
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "no problems found"
    checks = ("configuration", "postgres", "migrations", "outbox", "redis", "kafka", "topics")
    for check in (*checks, "consumer lag"):
        assert any(line.startswith(f"ok    {check}: ") for line in lines), (check, lines)


async def test_doctor_names_each_problem_and_fails(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    latest = await db.fetchval(
        "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations) RETURNING version"
    )
    done = doctor(env.environ(UCG_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert f"FAIL  migrations: not applied: {latest:04d}_" in out and "run `ucg migrate`" in out
    assert "FAIL  redis: cannot reach 127.0.0.1:" in out
    assert f"FAIL  topics: missing: {env.prefix}" in out  # nothing created them for this prefix
    assert "warn  configuration: UCG_JWT_SECRET is the development default" in out
    assert out.splitlines()[-1] == "3 problem(s) found"


async def test_doctor_reports_a_stale_outbox(env: TestEnv, db: asyncpg.Connection[Any]) -> None:
    await db.execute(
        "INSERT INTO outbox (topic, type, aggregate_type, aggregate_id, sequence, payload, "
        "created_at) VALUES ('t', 'Test', 'Test', 'a', 1, '{}', now() - interval '5 minutes')"
    )
    done = doctor(env.environ())
    assert done.returncode == 1
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("FAIL  outbox: ")]
    assert re.fullmatch(
        r"FAIL  outbox: 1 events wait to be published, the oldest for 30\d s: .*", line
    )


async def test_doctor_reports_a_consumer_group_falling_behind(env: TestEnv) -> None:
    settings = env.settings()
    assert settings.kafka_bootstrap_servers
    await ensure_topics(settings.kafka_bootstrap_servers, [settings.topic(t) for t in topics.ALL])
    topic = settings.topic(topics.INVENTORY_ADJUSTMENTS)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for _ in range(3):
            await producer.send_and_wait(topic, b"{}", key=b"k", partition=0)
    finally:
        await producer.stop()
    # The adjustments group has read nothing of partition 0 yet: committed offset 0.
    group = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.topic(topics.INVENTORY_ADJUSTMENTS_GROUP),
        enable_auto_commit=False,
    )
    await group.start()
    try:
        group.assign([TopicPartition(topic, 0)])
        await group.commit({TopicPartition(topic, 0): 0})
    finally:
        await group.stop()
    calm = doctor(env.environ(UCG_DOCTOR_MAX_CONSUMER_LAG="5"))
    assert "ok    consumer lag: 1 group(s), at most 3 behind" in calm.stdout, calm.stdout
    late = doctor(env.environ(UCG_DOCTOR_MAX_CONSUMER_LAG="2"))
    assert late.returncode == 1
    assert f"FAIL  consumer lag: {topic} 3 messages behind (limit 2)" in late.stdout, late.stdout
