"""A task that reaches its real ``--time`` limit while writing a recording.

Slurm's time limit has minute granularity and is enforced up to ~30 s late,
so the task waits 60-90 s, idle: it is held (a ``sitecustomize`` waiting in
``open()``) at its write of sub-01's components TSV until Slurm ends it. It is
submitted by the fixture ``time_limit_job`` when the first test of this folder
starts, so that the wait passes while the other tests run. ``test_array.py``
covers the same path in seconds with ``scancel``; this one shows that the time
limit itself reaches the run as SIGTERM (through the script's ``exec``) and
ends as TIMEOUT.
"""

from __future__ import annotations

import pytest

from mne_icalabel.derivatives import derivatives_root
from mne_icalabel.derivatives._lock import LOCK_NAME
from tests.faults._writers import outputs

from .test_array import task_log

pytestmark = pytest.mark.slurm


def test_time_limit_mid_recording(slurm, time_limit_job, four_subjects):
    """Ended by its time limit mid-recording: nothing partial; rerun, it finishes."""
    _, labelled, _ = four_subjects
    root, script, job = time_limit_job.root, time_limit_job.script, time_limit_job.job
    deriv = derivatives_root(root)
    jobs = slurm.wait(job, timeout=240)
    assert jobs["1"]["JobState"] == "TIMEOUT", jobs
    log = task_log(script, job, "1")
    assert "stopped by SIGTERM" in log
    assert not list(deriv.rglob(".tmp-*"))
    assert not list(deriv.rglob(f"*{LOCK_NAME}"))  # no claim, no lock left
    assert not list(deriv.rglob("*_components.tsv"))
    assert not time_limit_job.release.exists()

    job = slurm.sbatch(str(script))  # the same script: finishes sub-01
    jobs = slurm.wait(job)
    assert (jobs["1"]["JobState"], jobs["1"]["ExitCode"]) == ("COMPLETED", "0:0")
    assert "1 recording(s): 1 labelled" in task_log(script, job, "1")
    expected = {
        name: content
        for name, content in labelled.items()
        if name.startswith("sub-01/") or "/" not in name
    }
    assert outputs(root) == expected
