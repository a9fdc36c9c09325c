"""``bids --dask-jobqueue slurm``: Dask workers as jobs of the real Slurm.

The command runs as a user runs it, in its own process, with Dask's own
configuration file (``jobqueue.yaml`` in ``DASK_CONFIG``) for what a job gets,
and command-line options for the rest.
"""

from __future__ import annotations

import shutil

import pytest

from mne_icalabel.derivatives import derivatives_root
from mne_icalabel.derivatives._lock import LOCK_NAME
from tests.faults._writers import BIDS_ARGS, outputs, run

from ._slurm import PARTITION

_JOBQUEUE_YAML = """\
jobqueue:
  slurm:
    cores: 1
    memory: 1GB
    processes: 1
    queue: {partition}
    job-name: mne-icalabel-test-worker
    # the scheduler runs in the command's process; the workers on this machine
    scheduler-options:
      host: 127.0.0.1
    log-directory: {folder}/logs
    local-directory: {folder}/dask
"""

pytestmark = pytest.mark.slurm


def test_bids_on_slurm_cluster(slurm, time_limit_job, four_subjects, tmp_path):
    """Two worker jobs label 4/4, as the local run; the jobs end with the run."""
    slurm.wait(time_limit_job.job, timeout=240)  # both CPUs free for 2 workers
    template, labelled, _ = four_subjects
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    config = tmp_path / "dask-config"
    config.mkdir()
    (config / "jobqueue.yaml").write_text(
        _JOBQUEUE_YAML.format(partition=PARTITION, folder=tmp_path)
    )
    args = ("--dask-jobqueue", "slurm", "--jobqueue-jobs", "2")
    args += ("--jobqueue-walltime", "00:10:00")
    done, _ = run("bids", root, *BIDS_ARGS, *args, env={"DASK_CONFIG": str(config)})
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "4 recording(s): 4 labelled" in done.stdout
    assert "Submitted 2 slurm job(s) of 1 Dask worker(s) for 4 recording(s)" in (
        done.stdout
    )
    assert "Running on the Dask cluster" in done.stdout
    assert "(2 worker(s))" in done.stdout
    assert outputs(root) == labelled
    # the worker jobs ran here, two of them, and were cancelled at the end
    logs = sorted((tmp_path / "logs").glob("*.err"))
    assert len(logs) == 2, logs
    assert not slurm.run("squeue", "-h", "-n", "mne-icalabel-test-worker").strip()
    assert not list(derivatives_root(root).rglob(f"*{LOCK_NAME}"))
