"""The job runner: the cores shared by local processes, a bar that advances."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import mne
import pytest

from mne_icalabel.batch._dispatch import (
    JobRunner,
    _runner,
    _worker_state,
    preflight_client,
)
from mne_icalabel.utils._threads import n_threads


@pytest.mark.parametrize(
    "n_jobs, n_tasks, cores, expected",
    [
        (2, 4, 8, (2, 4)),  # 2 processes, half the cores each
        (2, 1, 8, (1, 8)),  # never more processes than jobs: all cores to one
        (4, 3, 8, (3, 2)),
        (2, 4, 1, (2, 1)),  # at least one thread each
        (3, 0, 8, (1, 8)),
    ],
)
def test_share_cores(monkeypatch, n_jobs, n_tasks, cores, expected):
    monkeypatch.setattr(_runner, "n_threads", lambda: cores)
    assert _runner._share_cores(n_jobs, n_tasks) == expected


def test_share_cores_all(monkeypatch):
    from joblib import effective_n_jobs

    monkeypatch.setattr(_runner, "n_threads", lambda: 64)
    n_cpus = effective_n_jobs(-1)
    assert _runner._share_cores(-1, 1000) == (n_cpus, 64 // n_cpus)


def _state(key: str) -> dict:
    """Return this process's thread limits (in a loky worker)."""
    import os

    return dict(recording=key, pid=os.getpid(), state=_worker_state())


def test_loky_workers_share_the_cores():
    """With n_jobs=2 each loky process gets half the cores for BLAS/OpenMP."""
    settings = preflight_client()
    with JobRunner(settings, n_jobs=2) as runner:
        rows = runner.run(_state, [("a",), ("b",), ("c",)], ["a", "b", "c"], "x")
    assert {row["recording"] for row in rows} == {"a", "b", "c"}
    threads = max(1, n_threads() // 2)
    for row in rows:
        assert row["pid"] != __import__("os").getpid()
        assert row["state"]["blas_threads"] == [threads], row
        assert row["state"]["compute_threads"] == threads
    # one job: it runs here, and this process keeps its own limits
    before = _worker_state()["blas_threads"]
    with JobRunner(settings, n_jobs=2) as runner:
        (row,) = runner.run(_state, [("a",)], ["a"], "x")
    assert row["pid"] == __import__("os").getpid()
    assert _worker_state()["blas_threads"] == before


class _RecordingBar(_runner.ProgressBar):
    """MNE's ProgressBar, which also notes each step and touches a file at the first."""

    flag: Path | None = None
    steps: list = []

    def update_with_increment_value(self, increment_value):
        super().update_with_increment_value(increment_value)
        _RecordingBar.steps.append(self._tqdm.n)
        _RecordingBar.flag.touch()


def _fast_or_wait(key: str, flag: str) -> dict:
    """Job ``fast`` returns soon; ``slow`` waits until the bar has advanced.

    ``fast`` takes 0.2 s, more than the 16 ms tqdm waits between two prints, so
    that its step is printed.
    """
    import time
    from pathlib import Path

    if key == "fast":
        time.sleep(0.2)
    else:
        deadline = time.monotonic() + 60
        while not Path(flag).exists():
            if time.monotonic() > deadline:
                return dict(recording=key, status="the bar did not advance")
            time.sleep(0.05)
    return dict(recording=key, status="labelled")


@pytest.mark.parametrize("mode", ["loky", "dask"])
def test_progress_bar_advances(mode, tmp_path, monkeypatch, capsys):
    """The bar steps when a recording finishes, not when all have finished.

    The slow job finishes only once the bar has stepped (a file the bar
    touches), so a bar updated at the end would leave it waiting until its
    timeout, and it would report so.
    """
    flag = tmp_path / "stepped"
    monkeypatch.setattr(_RecordingBar, "flag", flag)
    monkeypatch.setattr(_RecordingBar, "steps", [])
    monkeypatch.setattr(_runner, "ProgressBar", _RecordingBar)
    settings = preflight_client(blas_threads=None)
    arguments = [("fast", str(flag)), ("slow", str(flag))]
    start = time.monotonic()
    with mne.utils.use_log_level("INFO"):
        if mode == "loky":
            with JobRunner(settings, n_jobs=2) as runner:
                rows = runner.run(_fast_or_wait, arguments, ["fast", "slow"], "Jobs")
        else:
            cloudpickle = pytest.importorskip("cloudpickle")
            from distributed import LocalCluster

            # the workers cannot import this test module: send the job by value
            cloudpickle.register_pickle_by_value(sys.modules[__name__])
            try:
                with LocalCluster(
                    n_workers=1,
                    processes=True,
                    threads_per_worker=2,
                    dashboard_address=":0",
                ) as cluster:
                    with JobRunner(
                        settings, dask_scheduler=cluster.scheduler_address
                    ) as runner:
                        rows = runner.run(
                            _fast_or_wait, arguments, ["fast", "slow"], "Jobs"
                        )
            finally:
                cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert time.monotonic() - start < 60
    assert {row["recording"]: row["status"] for row in rows} == {
        "fast": "labelled",
        "slow": "labelled",
    }
    assert _RecordingBar.steps == [1, 2]
    err = capsys.readouterr().err
    # MNE's bar format: count, elapsed < remaining (the ETA), rate
    # the step printed when the first job finished, with its time left
    (line,) = [part for part in err.split("\r") if "Jobs : 1/2 [" in part]
    assert re.search(r"1/2 \[\d\d:\d\d<\d\d:\d\d,", line), line
    assert "Jobs : 2/2 [" in err
