"""A task that reaches its real ``--time`` limit while writing a recording.

Slurm's time limit has minute granularity and is enforced up to ~30 s late,
so this test waits 60-90 s, idle: the task is held (a ``sitecustomize``
waiting in ``open()``) at its write of sub-01's components TSV until Slurm
ends it. ``test_array.py`` covers the same path in seconds with ``scancel``;
this one shows that the time limit itself reaches the run as SIGTERM (through
the script's ``exec``) and ends as TIMEOUT.
"""

from __future__ import annotations

import shutil

import pytest

from mne_icalabel.batch._layout import derivatives_root
from mne_icalabel.batch._lock import LOCK_NAME, STATE_NAME
from tests.faults._writers import BIDS_ARGS, hold_env, outputs

from .test_array import submit, task_log


@pytest.mark.slow
def test_time_limit_mid_recording(slurm, four_subjects, tmp_path, capsys, monkeypatch):
    template, labelled, _ = four_subjects
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    deriv = derivatives_root(root)
    env, release = hold_env(tmp_path, "*sub-01_*_components.tsv")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    script = tmp_path / "bids.sbatch"
    one = ("--subject", "01")
    job = submit(
        capsys,
        root,
        script,
        "bids",
        ["--shards", "1"],
        *BIDS_ARGS,
        extra=one,
        time="1",
    )
    for name in env:
        monkeypatch.delenv(name)
    jobs = slurm.wait(job, timeout=240)
    assert jobs["1"]["JobState"] == "TIMEOUT", jobs
    assert "stopped by SIGTERM" in task_log(script, job, "1")
    assert not list(deriv.rglob(".tmp-*"))
    assert not (deriv / LOCK_NAME).exists() and not (deriv / STATE_NAME).exists()
    assert not list(deriv.rglob("*_components.tsv"))
    assert not release.exists()

    job = slurm.sbatch(str(script))  # the same script: finishes sub-01
    jobs = slurm.wait(job)
    assert (jobs["1"]["JobState"], jobs["1"]["ExitCode"]) == ("COMPLETED", "0:0")
    assert "1 labelled" in task_log(script, job, "1")
    expected = {
        name: content
        for name, content in labelled.items()
        if name.startswith("sub-01/") or "/" not in name
    }
    assert outputs(root) == expected
