"""Dispatch the jobs over loky processes or the healthy workers of a Dask cluster."""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from mne.utils import ProgressBar, _ensure_int, _validate_type, logger, warn

from ...datasets.weights import (
    read_verified_weights,
)
from ...utils._imports import import_optional_dependency
from ...utils._threads import n_threads
from ._jobqueue import JobqueueCluster, wait_for_jobs
from ._worker import _prepare_worker, _run_job

#: seconds to wait for a first worker when the cluster has none yet
WAIT_FOR_WORKERS = 300.0
#: seconds between two checks, while no job ends, that the healthy workers are
#: still connected
_POLL = 5.0


def _connect(dask_scheduler):
    """Return ``(client, owned)`` for an address, a scheduler file or a Client."""
    distributed = import_optional_dependency("distributed")
    if isinstance(dask_scheduler, distributed.Client):
        return dask_scheduler, False
    _validate_type(
        dask_scheduler, ("path-like",), "dask_scheduler", "address, file or Client"
    )
    text = str(dask_scheduler)
    if isinstance(dask_scheduler, os.PathLike) or (
        "://" not in text and Path(text).suffix == ".json"
    ):
        fname = Path(text).expanduser()
        if not fname.is_file():
            raise FileNotFoundError(
                f"No Dask scheduler file at {fname}. Start the scheduler with "
                f"'dask scheduler --scheduler-file {fname}' (the workers with "
                f"'dask worker --scheduler-file {fname}') and pass that file."
            )
        return distributed.Client(scheduler_file=str(fname), set_as_default=False), True
    try:
        client = distributed.Client(text, set_as_default=False, timeout="30s")
    except OSError as error:
        raise OSError(
            f"Cannot connect to the Dask scheduler at {text} ({error}). Check the "
            "address (e.g. tcp://host:8786) or pass --dask-scheduler-file."
        ) from error
    return client, True


def _describe_worker(address: str, report: dict) -> str:
    name = report.get("name")
    named = f"name {name!r}, " if name not in (None, address) else ""
    return f"Dask worker {address} ({named}host {report.get('host')})"


class JobRunner:
    """Dispatch jobs locally or on a Dask cluster, after the pre-flight checks.

    Parameters
    ----------
    settings : JobSettings
        From :func:`preflight_client`.
    n_jobs : int
        Local ``loky`` processes (``-1``: one per core); ignored with Dask.
    dask_scheduler : str | path-like | distributed.Client | JobqueueCluster | None
        A scheduler address, a scheduler file (``.json``, as written by
        ``dask scheduler --scheduler-file``), a connected client, or workers
        to start as batch jobs (closed with the runner).
    send_weights : bool | None
        ``None`` sends the weights only to workers that cannot read them at
        the client's path; True sends them to every worker.
    n_tasks : int | None
        The jobs about to run: how many batch jobs a `JobqueueCluster` gets.

    Use it as a context manager: entering connects and checks the workers.
    """

    def __init__(
        self,
        settings,
        *,
        n_jobs=1,
        dask_scheduler=None,
        send_weights=None,
        n_tasks=None,
    ):
        self.settings = settings
        self.n_jobs = _ensure_int(n_jobs, "n_jobs")
        self.dask_scheduler = dask_scheduler
        _validate_type(send_weights, (bool, None), "send_weights")
        self.send_weights = send_weights
        self.client = None
        self._owned = False
        self.n_tasks = n_tasks
        self._cluster = None
        self.workers: list[str] = []
        self.reports: dict[str, dict] = {}
        self.sent: dict[str, list[str]] = {}

    def __enter__(self):
        if self.dask_scheduler is None:
            import_optional_dependency("joblib")
            return self
        try:
            if isinstance(self.dask_scheduler, JobqueueCluster):
                self._start_jobqueue(self.dask_scheduler)
            else:
                self.client, self._owned = _connect(self.dask_scheduler)
            self._check_workers()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _start_jobqueue(self, spec: JobqueueCluster) -> None:
        """Start workers as batch jobs, one per task (at most ``spec.jobs``)."""
        distributed = import_optional_dependency("distributed")
        n_tasks = 1 if self.n_tasks is None else self.n_tasks
        self._cluster, n_workers = spec.start(n_tasks)
        self.client = distributed.Client(self._cluster, set_as_default=False)
        self._owned = True
        try:
            wait_for_jobs(self.client, n_workers, WAIT_FOR_WORKERS)
        except TimeoutError as error:
            raise RuntimeError(
                f"No Dask worker of the {spec.system} jobs started within "
                f"{WAIT_FOR_WORKERS:g} s ({spec.describe() or 'Dask configuration'}"
                "); check the jobs' state (squeue) and their log files, or the "
                "queue, cores and memory asked for."
            ) from error

    def close(self) -> None:
        """Close the Dask client if this runner opened it, and its batch jobs."""
        if self.client is not None and self._owned:
            self.client.close()
        self.client = None
        if self._cluster is not None:
            self._cluster.close()  # cancels the batch jobs
            self._cluster = None

    def _check_workers(self) -> None:
        client, settings = self.client, self.settings
        address = client.scheduler.address
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError as error:
            raise RuntimeError(
                f"No Dask worker connected to the scheduler {address} within "
                f"{WAIT_FOR_WORKERS:g} s; start workers ('dask worker {address}') "
                "or scale the cluster, then retry."
            ) from error
        if self.send_weights:
            blobs = self._blobs(settings.weights)
            reports = client.run(_prepare_worker, settings, blobs)
            self.sent = {worker: sorted(blobs) for worker in reports}
        else:
            reports = client.run(_prepare_worker, settings)
        needs: dict[str, list[str]] = {
            worker: report["needs"]
            for worker, report in reports.items()
            if report["needs"] and not report["problems"]
        }
        if needs:
            names = sorted({n for missing in needs.values() for n in missing})
            logger.info(
                f"Sending {', '.join(names)} to {len(needs)} worker(s) that cannot "
                "read them at the client's path"
            )
            blobs = self._blobs({n: settings.weights[n] for n in names})
            reports.update(
                client.run(_prepare_worker, settings, blobs, workers=list(needs))
            )
            self.sent.update({worker: names for worker in needs})
        self.reports = reports
        self.workers = sorted(w for w, r in reports.items() if r["ok"])
        messages = []
        for worker, report in sorted(reports.items()):
            if report["ok"]:
                continue
            if report["problems"]:
                what = "; ".join(report["problems"])
                fix = (
                    "Install what is missing in that worker's environment (the "
                    "same packages and versions as the client, compare "
                    "'mne_icalabel-sys_info' on both) and restart it."
                )
            else:
                what = f"it cannot read or receive the weights {report['needs']}"
                fix = (
                    "Make its MNE_DATA folder writable, or the client's weights "
                    "folder readable on it, and restart it."
                )
            messages.append(
                f"{_describe_worker(worker, report)} cannot run the jobs: {what}. "
                + fix
            )
        if not self.workers:
            raise RuntimeError(
                f"No worker of the Dask cluster {address} can run the jobs; none "
                "was started. " + " ".join(messages)
            )
        for message in messages:
            warn(message + " Its jobs run on the other workers.")
        logger.info(
            f"Running on the Dask cluster {address} ({len(self.workers)} worker(s))"
        )

    @staticmethod
    def _blobs(weights: dict[str, tuple[str, str]]) -> dict[str, bytes]:
        return {
            name: read_verified_weights(p, name) for name, (p, _) in weights.items()
        }

    def run(
        self,
        func,
        arguments: list[tuple],
        keys: list[str],
        desc: str,
        on_row: Callable[[dict], None] | None = None,
    ):
        """Run ``func(*args)`` for each tuple of ``arguments``, with a progress bar.

        Parameters
        ----------
        func : callable
            Importable function (pickled by reference) returning a summary row
            (a dict with ``"recording"``) and never raising.
        arguments : list of tuple
            The arguments of each job.
        keys : list of str
            The recording of each job, to report the jobs left unfinished.
        desc : str
            Text of the progress bar.
        on_row : callable | None
            Called here with each row as it arrives (e.g. to release that
            recording's claim at once, not when the last job ends).

        Returns
        -------
        rows : list of dict
            One row per job, in completion order.
        """
        rows: list[dict] = []

        def add(row: dict) -> None:
            rows.append(row)
            if on_row is not None:
                on_row(row)

        try:
            # one step per finished job (tqdm's rate gives the time left); not
            # a context manager: ProgressBar's exit resets it from its memmap
            bar = ProgressBar(len(arguments), mesg=desc)
            if self.client is None:
                self._run_loky(func, arguments, add, bar)
            else:
                self._run_dask(func, arguments, keys, add, bar)
        except Exception as error:
            # a worker died (out of memory, crash in compiled code) or the
            # cluster went away: the rows received are kept, the others failed
            message = " ".join(f"{type(error).__name__}: {error}".split())
            logger.debug(traceback.format_exc())
            logger.info(f"Parallel processing stopped: {message}")
            done = {row["recording"] for row in rows}
            for key in keys:
                if key not in done:
                    add(
                        dict(
                            recording=key,
                            status="failed",
                            error=f"not finished: {message}",
                        )
                    )
        return rows

    def _run_loky(self, func, arguments, add, bar) -> None:
        joblib = import_optional_dependency("joblib")
        n_workers, threads = _share_cores(self.n_jobs, len(arguments))
        # one process: the jobs run here, with every core
        limit = threads if n_workers > 1 else None
        jobs = [
            joblib.delayed(_run_job)(func, self.settings, args, False, limit)
            for args in arguments
        ]
        logger.debug(f"{n_workers} loky process(es) x {threads} BLAS thread(s)")
        with joblib.parallel_config(
            backend="loky", n_jobs=n_workers, inner_max_num_threads=threads
        ):
            for row in joblib.Parallel(return_as="generator_unordered")(jobs):
                add(row)
                bar.update_with_increment_value(1)

    def _run_dask(self, func, arguments, keys, add, bar) -> None:
        client, settings = self.client, self.settings
        pending = {
            client.submit(
                _run_job,
                func,
                settings,
                args,
                True,
                key=f"mne-icalabel-{settings.token[:8]}-{k}",
                workers=self.workers,
                allow_other_workers=False,
                pure=False,
            ): key
            for k, (args, key) in enumerate(zip(arguments, keys, strict=True))
        }
        # set from the client's event loop when a job ends: its row is taken
        # at once, not at the next poll
        ended = threading.Event()
        for future in pending:
            future.add_done_callback(lambda _: ended.set())
        try:
            while pending:
                if not ended.wait(_POLL):
                    if not set(self.workers) & set(client.nthreads()):
                        raise RuntimeError(
                            "the workers that passed the pre-flight left the cluster"
                        )
                    continue
                ended.clear()
                for future in [future for future in pending if future.done()]:
                    add(_future_row(future, pending.pop(future)))
                    # the row is here: the worker forgets the result at once,
                    # else the scheduler would run the job again (writing its
                    # files twice) if that worker died before the run ends
                    future.release()
                    bar.update_with_increment_value(1)
        finally:
            if pending:
                client.cancel(list(pending))


def _share_cores(n_jobs: int, n_tasks: int) -> tuple[int, int]:
    """Return the local processes to start and the BLAS threads of each.

    No more processes than jobs (``n_jobs=-1``: one per core), and the cores
    this process may use (:func:`~mne_icalabel.utils._threads.n_threads`)
    shared evenly between them: 4 jobs with ``n_jobs=2`` on 8 cores run in 2
    processes of 4 threads, 1 job with ``n_jobs=2`` in 1 process of 8.
    """
    from joblib import effective_n_jobs

    n_workers = max(1, min(effective_n_jobs(n_jobs), n_tasks))
    return n_workers, max(1, n_threads() // n_workers)


def _future_row(future, key: str) -> dict:
    """Return the row a finished future returned, or a failed row saying why."""
    if future.status == "finished":
        return future.result()
    error = future.exception()
    message = str(error).strip().splitlines()[0] if str(error) else ""
    return dict(
        recording=key,
        status="failed",
        error=f"not finished: {type(error).__name__}: {message}",
    )
