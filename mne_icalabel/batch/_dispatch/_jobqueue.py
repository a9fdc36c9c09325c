"""Dask workers submitted as batch jobs (dask-jobqueue), started for one run.

A :class:`JobqueueCluster` is what ``dask_scheduler`` receives for
``--dask-jobqueue slurm``: the options given (cores, memory, walltime, queue,
jobs); everything not given comes from Dask's configuration, as for any user
of dask-jobqueue (``jobqueue.slurm.*``, e.g. in ``~/.config/dask/jobqueue.yaml``
or ``DASK_JOBQUEUE__SLURM__CORES``). The run starts the scheduler in this
process, submits as many jobs as there are recordings to process (at most
``jobs``), waits for their workers, and cancels the jobs at its end, also when
it fails or is stopped.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

from mne.utils import _check_option, _ensure_int, _validate_type, logger

from ...utils._imports import import_optional_dependency

#: the batch systems and their dask-jobqueue classes
SYSTEMS = {"slurm": "SLURMCluster"}
#: seconds to wait, after the first worker came, for the others (later ones
#: get no recording: the pre-flight checks the workers present)
WAIT_FOR_ALL = 60.0


@dataclass(frozen=True)
class JobqueueCluster:
    """Dask workers as batch jobs: the cluster a run starts, then closes.

    Parameters
    ----------
    system : ``"slurm"``
        The batch system.
    cores, memory, walltime, queue : int | str | None
        Per job: cores, memory (e.g. ``"4GB"``), wall time (e.g.
        ``"01:00:00"``) and queue (Slurm's partition); None takes Dask's
        configuration (``jobqueue.<system>.cores``, ...).
    jobs : int | None
        At most this many jobs; None: one per recording to process.
    """

    system: str = "slurm"
    cores: int | None = None
    memory: str | None = None
    walltime: str | None = None
    queue: str | None = None
    jobs: int | None = None

    def __post_init__(self) -> None:
        _check_option("system", self.system, tuple(SYSTEMS))
        for name in ("cores", "jobs"):
            value = getattr(self, name)
            if value is not None and (_ensure_int(value, name) < 1):
                raise ValueError(f"{name} must be a positive integer, got {value}.")
        for name in ("memory", "walltime", "queue"):
            _validate_type(getattr(self, name), (str, None), name)

    def describe(self) -> str:
        given = {k: v for k, v in asdict(self).items() if v is not None}
        return ", ".join(f"{k}={v}" for k, v in given.items())

    def start(self, n_tasks: int):
        """Start the cluster, scaled to ``n_tasks`` recordings; return it."""
        jobqueue = import_optional_dependency("dask_jobqueue")
        cls = getattr(jobqueue, SYSTEMS[self.system])
        options = {
            k: v
            for k, v in dict(
                cores=self.cores,
                memory=self.memory,
                walltime=self.walltime,
                queue=self.queue,
            ).items()
            if v is not None
        }
        # checked before the cluster exists: a cluster that fails in its
        # constructor leaves its scheduler running
        import dask

        missing = [
            name
            for name in ("cores", "memory")
            if options.get(name) is None
            and dask.config.get(f"jobqueue.{self.system}.{name}", None) is None
        ]
        if missing:
            raise ValueError(
                f"Cannot start the Dask workers as {self.system} jobs: the "
                f"{' and '.join(missing)} of a job "
                f"{'are' if len(missing) > 1 else 'is'} not given. Give "
                f"{' and '.join('--jobqueue-' + n for n in missing)} "
                f"({', '.join(n + '=' for n in missing)} of JobqueueCluster), or set "
                f"jobqueue.{self.system}.{missing[0]} in Dask's configuration "
                "(e.g. ~/.config/dask/jobqueue.yaml)."
            )
        cluster = cls(**options)
        try:
            per_job = getattr(cluster._dummy_job, "worker_processes", 1) or 1
            jobs = math.ceil(max(1, n_tasks) / per_job)
            if self.jobs is not None:
                jobs = min(jobs, self.jobs)
            cluster.scale(jobs=jobs)
            logger.info(
                f"Submitted {jobs} {self.system} job(s) of {per_job} Dask worker(s) "
                f"for {n_tasks} recording(s)"
            )
        except BaseException:
            cluster.close()
            raise
        return cluster, jobs * per_job


def wait_for_jobs(client, n_workers: int, timeout: float) -> None:
    """Wait for ``n_workers`` workers: the first for ``timeout`` s, the rest 60 s.

    Returns when all came, or when the others are late (the run goes on with
    the workers present); raises ``TimeoutError`` if none came.
    """
    client.wait_for_workers(1, timeout=timeout)
    end = time.monotonic() + WAIT_FOR_ALL
    # nthreads() has every worker; scheduler_info() lists at most a few in
    # some releases of distributed
    while len(client.nthreads()) < n_workers:
        if time.monotonic() > end:
            present = len(client.nthreads())
            logger.info(
                f"{present} of {n_workers} Dask worker(s) started within "
                f"{WAIT_FOR_ALL:g} s; the run goes on with them"
            )
            return
        time.sleep(0.1)
