"""The shipped Prometheus alert rules are valid and fire when they should (promtool)."""

from __future__ import annotations

import subprocess

from tests.conftest import ROOT
from tests.prometheus_server import prometheus_tool

RULES = ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> str:
    done = subprocess.run(
        [prometheus_tool("promtool"), *args], cwd=RULES, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_alert_rules_pass_promtool_check() -> None:
    assert "SUCCESS: 9 rules found" in promtool("check", "rules", "alerts.yml")


def test_alert_rules_fire_on_a_stale_outbox_low_accuracy_and_slow_propagation() -> None:
    assert "SUCCESS" in promtool("test", "rules", "alerts_test.yml")
