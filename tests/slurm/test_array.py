"""Array jobs on the real Slurm: the scripts of ``mne-icalabel slurm-script``.

Each task runs ``mne-icalabel bids|apply ROOT --shard $SLURM_ARRAY_TASK_ID/N``
with this environment's ``mne-icalabel`` (the job inherits the test's
environment, ``PYTHONPATH`` included, as sbatch passes it by default).

Tasks of one array run side by side on one dataset: each claims only its own
recordings (``derivatives/.claims``), and ``summary.tsv`` gets every task's
rows, merged under the short lock of the shared files.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from mne_icalabel.commands.main import main
from mne_icalabel.derivatives import derivatives_root, read_summary
from mne_icalabel.derivatives._lock import LOCK_NAME
from tests.faults._writers import (
    APPLY_ARGS,
    BIDS_ARGS,
    hold_env,
    outputs,
    wait_for_hold,
)

from ._slurm import PARTITION

pytestmark = pytest.mark.slurm

#: the longest a test here waits for its held task to be reached, then for the
#: other tasks to end (s)
WAIT = 300.0
#: the longest a task of `test_two_tasks_at_once` waits for the other (s)
RENDEZVOUS = 120


def test_two_tasks_at_once(slurm, tmp_path):
    """Two one-CPU tasks of an array run together on the two-CPU node.

    Each task marks that it started, then waits (at most ``RENDEZVOUS``
    seconds) until both have: a task ends well only if it saw the other's
    mark while it ran, so both COMPLETED means each started before the other
    ended, however slowly they start on a loaded machine. Run one after the
    other, the first would fail at its wait's end.

    ``select/cons_tres`` with ``CR_Core``: without it each task without
    ``--mem`` takes the node's memory and an array runs one task at a time.
    First in this folder: before ``time_limit_job`` takes a CPU.
    """
    if slurm.cpus < 2:
        pytest.fail(f"the node has {slurm.cpus} CPU(s); these tests need 2")
    marks = tmp_path / "started"
    marks.mkdir()
    both = f"[ -e {marks}/1 ] && [ -e {marks}/2 ]"
    job = slurm.sbatch(
        "--array=1-2",
        "--cpus-per-task=1",
        f"--output={tmp_path / 'task-%a.out'}",
        "--wrap",
        f"touch {marks}/$SLURM_ARRAY_TASK_ID; "
        f"timeout {RENDEZVOUS} sh -c 'until {both}; do sleep 0.1; done'",
    )
    # both end within RENDEZVOUS of the later one's start; as long again is
    # left for Slurm to start them
    jobs = slurm.wait(job, timeout=2 * RENDEZVOUS)
    assert sorted(jobs) == ["1", "2"], jobs
    assert {(j["JobState"], j["ExitCode"]) for j in jobs.values()} == {
        ("COMPLETED", "0:0")
    }, jobs  # each saw the other's mark while it ran: the two ran together


def submit(capsys, root, script, step, tasks, *step_args, extra=(), time="10"):
    """Write and submit an array script; return the job id."""
    code = main(
        [
            "slurm-script",
            str(root),
            "--step",
            step,
            *tasks,
            "--partition",
            PARTITION,
            "--time",
            time,
            "--mem",
            "2G",
            *extra,
            "--script",
            str(script),
            "--submit",
            "--",
            *step_args,
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    return re.search(r"Submitted array job (\d+)", out).group(1)


def task_log(script: Path, job: str, task: str) -> str:
    name = f"mne-icalabel-{'bids' if 'bids' in script.name else 'apply'}"
    return (
        script.parent / f"{script.name}-logs" / f"{name}-{job}_{task}.out"
    ).read_text()


def assert_all_completed(jobs, n):
    assert sorted(jobs) == [str(k) for k in range(1, n + 1)], jobs
    for task, fields in jobs.items():
        assert (fields["JobState"], fields["ExitCode"]) == ("COMPLETED", "0:0"), (
            task,
            fields,
        )


def test_array_labels_then_cleans_as_locally(
    slurm, time_limit_job, four_subjects, tmp_path, capsys, monkeypatch
):
    """bids, one task per recording: 4/4 labelled; apply in 2 parts: 4/4 cleaned.

    The task of sub-01 is held mid-recording (claim taken, at its components
    TSV) while the three others label theirs beside it on the same dataset.
    The outputs are byte-identical to a local run's, and summary.tsv has the
    rows of all four tasks.

    ``time_limit_job`` is submitted first, so that its minute passes
    meanwhile: it takes one of the node's two CPUs until its time limit
    (60-90 s) and task 1, held, the other, so tasks 2-4 start only when it
    has ended. Task 1's hold therefore lasts up to this test's two waits
    (``WAIT`` each), longer than the hold shim's default: the shim is given
    more, so that it never lets task 1 go before the test releases it.
    """
    template, labelled, cleaned = four_subjects
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    script = tmp_path / "bids.sbatch"
    hold, release = hold_env(
        tmp_path / "hold", "*sub-01_*_components.tsv", timeout=3 * WAIT
    )
    with monkeypatch.context() as patch:  # the tasks inherit sbatch's environment
        for name, value in hold.items():
            patch.setenv(name, value)
        job = submit(capsys, root, script, "bids", ["--per-recording"], *BIDS_ARGS)
    try:
        wait_for_hold(None, tmp_path / "hold", timeout=WAIT)
        # the others end while task 1 holds its claim on sub-01
        others = ("2", "3", "4")
        end = time.monotonic() + WAIT
        while True:
            jobs = slurm.jobs(job)
            if all(jobs.get(t, {}).get("JobState") == "COMPLETED" for t in others):
                break
            assert time.monotonic() < end, jobs
            time.sleep(0.5)
        assert jobs["1"]["JobState"] == "RUNNING", jobs
    finally:
        release.touch()
    jobs = slurm.wait(job)
    assert_all_completed(jobs, 4)
    for task in jobs:  # each task labelled its own recording
        assert "1 recording(s): 1 labelled" in task_log(script, job, task)
    assert outputs(root) == labelled
    _, rows = read_summary(derivatives_root(root) / "summary.tsv")
    assert sorted(row["recording"].split("/")[0] for row in rows) == [
        "sub-01",
        "sub-02",
        "sub-03",
        "sub-04",
    ]

    script = tmp_path / "apply.sbatch"
    job = submit(capsys, root, script, "apply", ["--shards", "2"], *APPLY_ARGS)
    jobs = slurm.wait(job)
    assert_all_completed(jobs, 2)
    for task in jobs:
        assert "2 recording(s): 2 applied" in task_log(script, job, task)
    assert outputs(root) == cleaned
    deriv = derivatives_root(root)
    assert not list(deriv.rglob(f"*{LOCK_NAME}")) and not list(deriv.rglob(".tmp-*"))


def test_task_stopped_mid_recording_then_resubmitted(
    slurm, four_subjects, tmp_path, capsys, monkeypatch
):
    """A task ended like at its time limit leaves nothing; resubmitted, only it runs.

    Task 3 is held at its write of sub-03's components TSV (mid-recording: its
    ICA is fitted, the temporary file exists) and ended with a plain
    ``scancel`` of that task: slurmd sends SIGTERM, then SIGKILL after
    ``KillWait`` (5 s), the same path as at a time limit (only the job's
    final state differs: CANCELLED, not TIMEOUT).
    """
    template, labelled, _ = four_subjects
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    deriv = derivatives_root(root)
    env, release = hold_env(tmp_path, "*sub-03_*_components.tsv")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    script = tmp_path / "bids.sbatch"
    job = submit(capsys, root, script, "bids", ["--per-recording"], *BIDS_ARGS)
    for name in env:  # the resubmission below is not held
        monkeypatch.delenv(name)
    held = f"{job}_3"
    wait_for_hold(None, tmp_path, timeout=240)  # task 3, at sub-03's TSV
    slurm.run("scancel", held)
    jobs = slurm.wait(job)
    assert jobs["3"]["JobState"] == "CANCELLED", jobs["3"]
    assert {jobs[k]["JobState"] for k in ("1", "2", "4")} == {"COMPLETED"}, jobs
    # SIGTERM was handled (not SIGKILL): the run said so and cleaned up
    assert "stopped by SIGTERM" in task_log(script, job, "3")
    assert not list(deriv.rglob(".tmp-*"))
    assert not list(deriv.rglob(f"*{LOCK_NAME}"))  # no claim, no lock left
    assert sorted(p.name[:6] for p in deriv.rglob("*_components.tsv")) == [
        "sub-01",
        "sub-02",
        "sub-04",
    ]
    assert not release.exists()  # task 3 was never let through

    job = slurm.sbatch(str(script))  # the same script again
    jobs = slurm.wait(job)
    assert_all_completed(jobs, 4)
    for task in ("1", "2", "4"):
        assert "0 labelled, 1 skipped" in task_log(script, job, task)
    assert "1 labelled, 0 skipped" in task_log(script, job, "3")
    assert outputs(root) == labelled
