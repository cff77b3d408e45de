"""A real Prometheus server for the tests, started like the other embedded servers."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.embedded import free_port

INSTALL_HINT = (
    "on Debian/Ubuntu: `sudo apt-get install prometheus` (it brings promtool too); "
    "elsewhere put the prometheus and promtool binaries of a Prometheus 2.x release on PATH, "
    "or name them with UCG_PROMETHEUS_BIN / UCG_PROMTOOL_BIN"
)


def prometheus_tool(name: str) -> str:
    """The path of `prometheus` or `promtool`; a missing one fails the test, saying how to
    install it (the operations tests are part of the suite, not optional)."""
    path = os.environ.get(f"UCG_{name.upper()}_BIN") or shutil.which(name)
    if not path:
        pytest.fail(f"`{name}` is not installed: {INSTALL_HINT}", pytrace=False)
    return path


class PrometheusServer:
    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expression: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expression}, timeout=5)
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def wait_for(self, expression: str, timeout: float = 30) -> list[dict[str, Any]]:
        """The result of `expression` once it is not empty (Prometheus scrapes every 0.5 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result := self.query(expression):
                return result
            time.sleep(0.2)
        raise AssertionError(f"Prometheus never answered {expression!r}: {self.query('up')}")


@contextmanager
def prometheus_scraping(target: str, *, token: str | None = None) -> Iterator[PrometheusServer]:
    """Prometheus scraping `target` (host:port) every half second, on a free port."""
    binary = prometheus_tool("prometheus")
    with tempfile.TemporaryDirectory(prefix="ucg-prometheus-") as workdir:
        auth = f"\n    authorization: {{credentials: {token!r}}}" if token else ""
        config = Path(workdir, "prometheus.yml")
        config.write_text(
            "global: {scrape_interval: 500ms, scrape_timeout: 400ms}\n"
            "scrape_configs:\n"
            f"  - job_name: ucg{auth}\n"
            f"    static_configs: [{{targets: ['{target}']}}]\n"
        )
        port = free_port()
        log = Path(workdir, "prometheus.log")
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir}/data",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"prometheus exited: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{url}/-/ready", timeout=0.5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"prometheus not ready: {log.read_text()[-2000:]}")
                time.sleep(0.1)
            yield PrometheusServer(url)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
