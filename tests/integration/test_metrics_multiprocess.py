"""With PROMETHEUS_MULTIPROC_DIR, /metrics of one worker reports every worker's numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

WORKER = """
from api.metrics import WEBSOCKET_CONNECTIONS
from datasources.metrics import CACHE_LOOKUPS
CACHE_LOOKUPS.labels("doc", "hit").inc(3)
WEBSOCKET_CONNECTIONS.inc(2)
"""
SCRAPE = """
from prometheus_client import generate_latest
from api.metrics import registry
print(generate_latest(registry()).decode())
"""


def run(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_multiprocess_mode_sums_the_workers(tmp_path: Path) -> None:
    run(WORKER, tmp_path)
    run(WORKER, tmp_path)
    text = run(SCRAPE, tmp_path)
    assert 'ucg_cache_lookups_total{kind="doc",outcome="hit"} 6.0' in text
    # Open sockets count only while their worker lives (livesum): both have exited.
    assert "ucg_websocket_connections 2.0" not in text
