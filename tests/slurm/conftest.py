"""The real Slurm of these tests (see ``_slurm.py``), one for this folder.

Its fixtures have package scope: the daemons are stopped (by their pids) and
``SLURM_CONF`` is restored when the last test of ``tests/slurm`` ends, not at
the end of the session: the tests of the folders after this one run without
them.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from mne_icalabel.commands.main import main
from tests.batch.conftest import write_subject
from tests.faults._writers import (
    APPLY_ARGS,
    BIDS_ARGS,
    DURATION,
    hold_env,
    outputs,
    run,
)

from ._slurm import PARTITION, Slurm, why_unavailable

#: the dataset of these tests: four subjects, as tests/faults' (30 s, 32 channels)
SUBJECTS = ("01", "02", "03", "04")


@pytest.fixture(scope="package")
def slurm():
    """A running one-node Slurm; ``SLURM_CONF`` points at it meanwhile.

    Stopped when the tests of this folder end (package scope).

    On a machine that cannot run it (not root, packages missing) the tests
    fail with the reason in CI (``CI`` set, as .ci/run runs) and are skipped
    with it elsewhere.
    """
    reason = why_unavailable()
    if reason is not None:
        message = f"Cannot start the Slurm of the tests: {reason}."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = Slurm()
    old = os.environ.get("SLURM_CONF")
    try:
        cluster.start()
        os.environ["SLURM_CONF"] = str(cluster.conf)
        yield cluster
    finally:
        if old is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = old
        cluster.stop()


@pytest.fixture(scope="package")
def four_subjects(tmp_path_factory):
    """A four-subject dataset, and its outputs after local bids and apply runs.

    Returns the template (copy it before running on it) and the outputs
    (``tests/faults/_writers.outputs``) after ``bids``, then after ``apply``.
    The local runs use one thread, as the Slurm tasks of one CPU do
    (``OMP_NUM_THREADS=1``): another number of BLAS threads sums in another
    order, and the fitted ICAs differ in their last bits.
    """
    template = tmp_path_factory.mktemp("four") / "ds"
    for seed, subject in enumerate(SUBJECTS):
        write_subject(template, subject, seed, duration=DURATION)
    root = tmp_path_factory.mktemp("four-local") / "ds"
    shutil.copytree(template, root)
    one_thread = {"OMP_NUM_THREADS": "1"}
    done, _ = run("bids", root, *BIDS_ARGS, env=one_thread)
    assert done.returncode == 0, done.stderr
    labelled = outputs(root)
    done, _ = run("apply", root, *APPLY_ARGS, env=one_thread)
    assert done.returncode == 0, done.stderr
    return template, labelled, outputs(root)


@dataclass
class HeldJob:
    """A job held mid-recording until its time limit (see test_time_limit.py)."""

    root: Path
    script: Path
    job: str
    release: Path


@pytest.fixture(scope="package")
def time_limit_job(slurm, four_subjects, tmp_path_factory):
    """Submit, at once, a one-task array of ``--time 1`` held at sub-01's TSV.

    Slurm ends it at its time limit 60-90 s later; requested by the first test
    of this folder that uses it, so that the wait passes while the other tests
    run (it takes one of the node's two CPUs meanwhile). The hold has no limit
    of its own: the time limit is what ends it (the shim's default release,
    120 s after the hold, could come before Slurm's enforcement on a loaded
    machine), and `slurm`'s stop cancels it if Slurm did not.
    """
    template, _, _ = four_subjects
    folder = tmp_path_factory.mktemp("time-limit")
    root = folder / "ds"
    shutil.copytree(template, root)
    script = folder / "bids.sbatch"
    args = ["slurm-script", str(root), "--step", "bids", "--subject", "01"]
    args += ["--shards", "1", "--partition", PARTITION, "--time", "1"]
    assert main([*args, "--script", str(script), "--", *BIDS_ARGS]) == 0
    env, release = hold_env(folder, "*sub-01_*_components.tsv", timeout=math.inf)
    return HeldJob(root, script, slurm.sbatch(str(script), env=env), release)
