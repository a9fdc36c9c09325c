"""A Dask worker killed with SIGKILL while it labels a recording (issue 18).

A real cluster (``dask scheduler`` and two ``dask worker`` processes, each
one process of one thread under its nanny) and a real ``mne-icalabel bids``
client process. A worker is killed:

- while it runs its second recording (so it holds a finished one too), at a
  seeded time after the job started: its process, which the nanny restarts
  (a crash);
- while it writes an output: the worker whose pid names the temporary file
  (``.tmp-<pid>-``) is killed at once;
- with its nanny (the whole ``dask worker`` process group: a machine lost).

The run must end as an uninterrupted one: the recording that was running is
retried on the other worker, no other job runs twice (the finished ones are
not relabelled: their files keep their times), no temporary is left, each
recording appears once in ``summary.tsv`` and every output is byte-identical
to an uninterrupted run on the same cluster.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mne_icalabel.derivatives._layout import derivatives_root

from ..batch._cluster import Cluster, busy_state, two_worker_cluster
from ..batch.conftest import write_subject
from ._kill import check_every_file, mtimes, report_counts, temporaries
from ._writers import outputs

pytestmark = [pytest.mark.dask_cluster, pytest.mark.timeout(300)]

#: 6 recordings of 60 s, 15 components: a job runs for about half a second
N_RECORDINGS = 6
ARGS = ("--n-components", "15", "--no-report")
COUNTS = dict(kills=0, files_checked=0, resumes=0, identical=0, retried=0)
_TEMPORARY = re.compile(r"^\.tmp-(\d+)-")
_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two workers started from the command line."""
    yield from two_worker_cluster(tmp_path_factory.mktemp("cluster"))


@pytest.fixture(scope="module")
def reference(cluster, tmp_path_factory):
    """The dataset and the outputs of an uninterrupted run on the cluster."""
    template = tmp_path_factory.mktemp("dask-kill") / "ds"
    for seed in range(N_RECORDINGS):
        write_subject(template, f"{seed + 1:02d}", seed)
    root = tmp_path_factory.mktemp("ref") / "ds"
    shutil.copytree(template, root)
    process = _start(cluster, root)
    out, _ = process.communicate(timeout=_TIMEOUT)
    assert process.returncode == 0, out
    return template, outputs(root)


def _start(cluster: Cluster, root: Path) -> subprocess.Popen:
    address = json.loads(cluster.scheduler_file.read_text())["address"]
    return subprocess.Popen(
        [sys.executable, "-m", "mne_icalabel.commands.main", "bids", str(root)]
        + ["--dask-scheduler", address, *ARGS],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _states(cluster: Cluster) -> dict[str, dict]:
    return cluster.client.run(busy_state)


def _second_job(cluster, process, seed):
    """Wait until a worker runs its second job, then a seeded delay.

    Returns the workers' states before the run, the worker's address and its
    state just before the kill.
    """
    baseline = _states(cluster)
    end = time.monotonic() + _TIMEOUT
    while process.poll() is None and time.monotonic() < end:
        for address, state in _states(cluster).items():
            new = state["started"] - baseline[address]["started"]
            if state["executing"] and new >= 2:
                time.sleep(random.Random(seed).uniform(0.05, 0.2))
                return baseline, address, _states(cluster)[address]
        time.sleep(0.01)
    raise AssertionError("no worker started a second job before the run ended")


class _Probe(threading.Thread):
    """Keep the workers' last states, read every 20 ms (the file poll goes on)."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.cluster, self.last, self.stop = cluster, _states(cluster), False

    def run(self):
        while not self.stop:
            try:
                self.last = _states(self.cluster)
            except OSError:  # a worker killed during the read: stopping
                return
            time.sleep(0.02)


def _writing(cluster, process, deriv):
    """Wait until a worker has a temporary file under ``deriv`` (same returns).

    A worker writes after fitting its ICA, hundreds of milliseconds into its
    job: the last state read (at most a read ago) already counts that job.
    """
    baseline = _states(cluster)
    by_pid = {state["pid"]: address for address, state in baseline.items()}
    probe = _Probe(cluster)
    probe.start()
    try:
        end = time.monotonic() + _TIMEOUT
        while process.poll() is None and time.monotonic() < end:
            for _, _, names in os.walk(deriv):
                for name in names:
                    match = _TEMPORARY.match(name)
                    if match and int(match.group(1)) in by_pid:
                        address = by_pid[int(match.group(1))]
                        return baseline, address, probe.last[address]
            time.sleep(0.0005)
    finally:
        probe.stop = True
    raise AssertionError("no worker wrote a file before the run ended")


def _kill_and_check(cluster, reference, root, wait, group=False):
    """Run bids, SIGKILL the worker ``wait`` chose, check the run's outcome."""
    template, expected = reference
    shutil.copytree(template, root)
    deriv = derivatives_root(root)
    process = _start(cluster, root)
    try:
        baseline, address, state = wait(process, deriv)
        if group:  # the worker and its nanny: the worker does not come back
            os.killpg(cluster.nannies[state["name"]].pid, signal.SIGKILL)
        else:
            os.kill(state["pid"], signal.SIGKILL)
        COUNTS["kills"] += 1
        finished = mtimes(root, "*_components.tsv")
        # what it was writing: removed by the run before it ends
        prefix = f".tmp-{state['pid']}-"
        COUNTS["partials"] = COUNTS.get("partials", 0) + sum(
            path.name.startswith(prefix) for path in temporaries(deriv)
        )
    finally:
        out, _ = process.communicate(timeout=_TIMEOUT)
    # the job it ran was retried on the other worker: the run ends well
    assert process.returncode == 0, out
    assert f"{N_RECORDINGS} labelled, 0 skipped" in out and "0 failed" in out, out
    COUNTS["resumes"] += 1
    # no job ran twice but the killed one: the jobs started on the workers
    # (the killed one's until its death) are the recordings, plus one retry
    after = _states(cluster)
    started = state["started"] - baseline[address]["started"]
    for other, now in after.items():
        if other != address:
            started += now["started"] - baseline.get(other, dict(started=0))["started"]
    retried = int(bool(state["executing"]))
    assert started == N_RECORDINGS + retried, (state, baseline, after)
    COUNTS["retried"] += retried
    # the recordings finished at the kill were not written again
    now = mtimes(root, "*_components.tsv")
    assert {k: now[k] for k in finished} == finished
    assert temporaries(root / "derivatives") == []
    check_every_file(root, COUNTS)
    with open(deriv / "summary.tsv", encoding="utf-8") as fid:
        rows = list(csv.DictReader(fid, delimiter="\t"))
    assert len({row["recording"] for row in rows}) == len(rows) == N_RECORDINGS
    assert [row["status"] for row in rows] == ["labelled"] * N_RECORDINGS
    assert outputs(root) == expected
    COUNTS["identical"] += 1
    return state["name"]


@pytest.mark.parametrize("seed", range(2))
def test_worker_killed_while_labelling(cluster, reference, tmp_path, seed):
    _kill_and_check(
        cluster,
        reference,
        tmp_path / "ds",
        lambda process, deriv: _second_job(cluster, process, seed),
    )
    # its nanny restarts it (under another address) for the next run
    cluster.client.wait_for_workers(2, timeout=_TIMEOUT)


def test_worker_killed_while_writing(cluster, reference, tmp_path):
    _kill_and_check(
        cluster,
        reference,
        tmp_path / "ds",
        lambda process, deriv: _writing(cluster, process, deriv),
    )
    cluster.client.wait_for_workers(2, timeout=_TIMEOUT)


def test_worker_and_nanny_killed(cluster, reference, tmp_path):
    """The whole ``dask worker`` is gone: the other worker finishes the run."""
    name = _kill_and_check(
        cluster,
        reference,
        tmp_path / "ds",
        lambda process, deriv: _second_job(cluster, process, 2),
        group=True,
    )
    assert cluster.nannies[name].poll() == -signal.SIGKILL
    assert len(cluster.client.scheduler_info()["workers"]) == 1


def test_counts_for_the_notes(capsys):
    """Print what the kill tests did (run last in this file)."""
    with capsys.disabled():
        print(report_counts("dask worker kill suite", COUNTS))
        print(f"jobs retried on the other worker: {COUNTS['retried']}")
