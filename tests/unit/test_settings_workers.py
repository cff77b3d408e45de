"""`UCG_WORKERS=0` (the default): a worker per usable core, capped."""

from __future__ import annotations

import os

import pytest

from api.settings import AUTO_WORKERS_MAX, Settings, auto_workers
from entrypoints.cli import main


def test_auto_workers_is_the_cpu_affinity_capped() -> None:
    cores = len(os.sched_getaffinity(0))
    assert auto_workers() == max(1, min(cores, AUTO_WORKERS_MAX))
    assert Settings().workers == 0
    assert Settings(workers=3).workers == 3


def test_a_negative_worker_count_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="workers"):
        Settings(workers=-1)
    with pytest.raises(ValueError, match="workers"):
        Settings(workers=AUTO_WORKERS_MAX * 100)
    assert main(["serve", "--workers", "-1"]) != 0
    assert "--workers" in capsys.readouterr().err
