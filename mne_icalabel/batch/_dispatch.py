"""Run per-recording jobs in local processes (loky) or on a Dask cluster.

One engine for every dataset-wide step (``bids`` today, ``apply`` next):

1. **Client pre-flight** (:func:`preflight_client`): the packages the jobs
   need are imported, the labelling backends resolved, the weights of each
   method + backend located and verified here. Any problem raises one error
   before anything is dispatched. The result, a :class:`JobSettings`, is what
   travels with every job: the backends, where the client found the weights
   and their SHA256, the package version, the BLAS threads.
2. **Worker pre-flight** (Dask only, :meth:`JobRunner.__enter__`): every
   connected worker runs :func:`_prepare_worker`, which imports the same
   packages, finds the weights (at the client's path, or in its own cache),
   loads the networks and limits its BLAS threads. A worker that cannot read
   the weights receives the verified bytes once and installs them into its
   local cache, verified there by SHA256. A worker that fails gets one message
   (which worker, what is missing, how to fix it) and no job; the jobs are
   restricted to the healthy workers with ``workers=``.
3. **Dispatch** (:meth:`JobRunner.run`): each job is a call
   ``func(*arguments)`` returning its summary row (a dict with a
   ``"recording"`` key) and never raising; a job lost with its process
   (crash, cluster gone) becomes a ``failed`` row.

Local ``loky`` processes inherit the client's environment and file system,
so the client pre-flight covers them.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mne.utils import ProgressBar, _ensure_int, _validate_type, logger, warn

from ..datasets.weights import (
    CACHE_FOLDER,
    CONFIG_KEY,
    WeightsError,
    _cache_dir,
    _verify,
    install_weights,
    read_verified_weights,
    resolve_weights,
)
from ..utils._imports import has_module, import_optional_dependency
from ..utils._malloc import restore_heap_reuse
from ..utils._threads import n_threads

#: seconds to wait for a first worker when the cluster has none yet
WAIT_FOR_WORKERS = 300.0
#: seconds between two checks that the healthy workers are still connected
_POLL = 5.0


@dataclass(frozen=True)
class JobSettings:
    """What a worker needs to run the jobs as the client would.

    Attributes
    ----------
    backends : dict of str to str
        Labelling method -> resolved network backend (empty: no network).
    weights : dict of str to (str, str)
        Weights file name -> (path where the client verified it, SHA256).
    packages : tuple of str
        Import names every worker must import.
    version : str
        The client's version of this package; workers must run the same.
    blas_threads : int | None
        BLAS/OpenMP threads per Dask worker thread; ``None`` leaves the
        workers' defaults.
    token : str
        Identifies one dispatch, so a worker prepares once per dispatch.
    """

    backends: dict[str, str]
    weights: dict[str, tuple[str, str]]
    packages: tuple[str, ...]
    version: str
    blas_threads: int | None = 1
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


def _backend_packages(method: str, backend: str) -> tuple[str, ...]:
    """Return the packages a backend imports (``onnx`` when it changes results)."""
    if method == "iclabel":
        from ..iclabel.network._backends import BACKENDS

        return () if BACKENDS[backend] is None else (BACKENDS[backend],)
    if backend == "torch":
        return ("torch", "onnx")
    # MEGNet on onnxruntime splits its graph with onnx when it is installed
    return ("onnxruntime", "onnx") if has_module("onnx") else ("onnxruntime",)


def _resolve_backend(method: str, backend: str | None) -> str:
    """Return the backend to run here; ImportError if it cannot run."""
    if method == "iclabel":
        from ..iclabel.network._backends import _select_backend
        from ..iclabel.network._run import _ALIASES

        return _select_backend(_ALIASES.get(backend, backend))
    from ..megnet.network import _check_backend

    return _check_backend(backend)


def _weights_names(method: str, backend: str) -> tuple[str, ...]:
    if method == "iclabel":
        from ..iclabel.network._backends import _backend_module

        return (_backend_module(backend).WEIGHTS,)
    from ..megnet.network import WEIGHTS

    return (WEIGHTS,)


def _load_network(method: str, backend: str) -> None:
    """Load (and cache in this process) the network of a method + backend."""
    if method == "iclabel":
        from ..iclabel.network._backends import _get_model

        _get_model(backend)
    else:
        from ..megnet.network import _get_runner

        _get_runner(backend)


def preflight_client(
    methods=(),
    *,
    backend: str | None = None,
    packages=(),
    blas_threads: int | None = 1,
) -> JobSettings:
    """Check here that the jobs can run, before any is dispatched.

    Parameters
    ----------
    methods : iterable of str
        The labelling methods the jobs run (``"iclabel"``, ``"megnet"``);
        empty for jobs that need no network.
    backend : str | None
        The network backend; ``None`` picks the first available here.
    packages : iterable of str
        Other import names the jobs need (e.g. ``"mne_bids"``).
    blas_threads : int | None
        BLAS threads per Dask worker thread (``None``: workers' defaults).

    Returns
    -------
    settings : JobSettings
        What travels with the jobs.

    Raises
    ------
    ImportError, WeightsError
        Saying what is missing here and how to provide it.
    """
    from .. import __version__

    _validate_type(blas_threads, ("int-like", None), "blas_threads")
    if blas_threads is not None:
        blas_threads = _ensure_int(blas_threads, "blas_threads")
        if blas_threads < 1:
            raise ValueError(f"blas_threads must be at least 1, got {blas_threads}.")
    needed = list(packages)
    backends, names = {}, []
    for method in dict.fromkeys(methods):
        backends[method] = _resolve_backend(method, backend)
        needed += _backend_packages(method, backends[method])
        names += _weights_names(method, backends[method])
    for name in dict.fromkeys(needed):
        import_optional_dependency(name)
    weights = {
        name: (str(fname), sha)
        for name, (fname, sha) in resolve_weights(names, verbose=False).items()
    }
    logger.info(
        "Pre-flight: "
        + ", ".join(f"{m} on {b}" for m, b in backends.items())
        + "".join(f"; {name} verified at {p}" for name, (p, _) in weights.items())
    )
    return JobSettings(
        backends=backends,
        weights=weights,
        packages=tuple(dict.fromkeys(needed)),
        version=__version__,
        blas_threads=blas_threads,
    )


# --- worker side ------------------------------------------------------------

# in each worker process: token -> report of its preparation
_PREPARED: dict[str, dict[str, Any]] = {}
_JOBS_STARTED: dict[str, int] = {}
# keeps the BLAS limits of this process in force
_LIMITS: list = []


def _usable(fname: str | os.PathLike, name: str) -> Path | None:
    """Return the verified file at ``fname``, or None if absent or unreadable."""
    try:
        return _verify(Path(fname), name)
    except (OSError, WeightsError):
        return None


def _local_folder(dask_worker) -> Path:
    """Where this worker keeps weights: its cache, else its local directory."""
    folder = _cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    if dask_worker is None:
        return folder
    return Path(dask_worker.local_directory) / CACHE_FOLDER


def _limit_threads(limit: int | None) -> None:
    """Limit the BLAS/OpenMP pools loaded in this process to ``limit``.

    The limit is process-wide: a BLAS call made by any Dask thread of this
    worker uses ``limit``. Called once the networks are loaded, so that
    the libraries they bring (torch's OpenMP) are limited too; onnxruntime
    sessions were already created with ``OMP_NUM_THREADS`` = ``limit``.
    """
    if limit is None:
        return
    threadpoolctl = import_optional_dependency("threadpoolctl")
    _LIMITS[:] = [threadpoolctl.threadpool_limits(limits=limit)]
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(limit)


def _prepare_worker(
    settings: JobSettings, blobs: dict[str, bytes] | None = None, dask_worker=None
) -> dict[str, Any]:
    """Make this process ready for the jobs of ``settings``; never raises.

    Returns a report: ``ok``; ``problems`` (messages); ``needs`` (weights
    names it could not read, to be sent as ``blobs``); ``weights_dir``; the
    worker's ``name`` and ``host``.
    """
    from .. import __version__

    report: dict[str, Any] = dict(
        ok=False,
        problems=[],
        needs=[],
        weights_dir=None,
        name=getattr(dask_worker, "name", None),
        host=socket.gethostname(),
        python=platform.python_version(),
    )
    problems = report["problems"]
    if __version__ != settings.version:
        problems.append(
            f"it runs mne-icalabel {__version__}, the client {settings.version}; "
            "install the same version on both"
        )
    for name in settings.packages:
        try:
            import_optional_dependency(name)
        except ImportError as error:
            problems.append(str(error))
    if problems:
        return report
    try:
        found = {}
        local = None
        if blobs:
            local = _local_folder(dask_worker)
            found.update(install_weights(blobs, local))
        for name, (fname, _) in settings.weights.items():
            if name in found:
                continue
            path = _usable(fname, name)
            if path is None:
                local = local or _local_folder(dask_worker)
                path = _usable(local / name, name)
            if path is None:
                report["needs"].append(name)
            else:
                found[name] = path
        if report["needs"]:
            return report
        folders = {path.parent for path in found.values()}
        if len(folders) > 1:  # one folder for the lookup by name: copy locally
            local = local or _local_folder(dask_worker)
            found = install_weights(
                {n: read_verified_weights(p, n) for n, p in found.items()}, local
            )
            folders = {local}
        if folders:
            report["weights_dir"] = str(folders.pop())
            # this process's lookup (get_weights_path) now finds the files
            os.environ[CONFIG_KEY] = report["weights_dir"]
        if dask_worker is not None and settings.blas_threads is not None:
            # onnxruntime sessions and the feature threads size their pools by
            # OMP_NUM_THREADS when they are created (utils._threads.n_threads)
            os.environ["OMP_NUM_THREADS"] = str(settings.blas_threads)
        for method, backend in settings.backends.items():
            _load_network(method, backend)
        if dask_worker is not None:
            _limit_threads(settings.blas_threads)
            report["heap_reuse"] = restore_heap_reuse()
    except Exception as error:
        problems.append(f"{type(error).__name__}: {error}")
        return report
    report["ok"] = True
    _PREPARED[settings.token] = report
    return report


def _worker_state() -> dict[str, Any]:
    """Return what this process prepared and the jobs it started (diagnostics)."""
    threadpoolctl = import_optional_dependency("threadpoolctl")
    torch = sys.modules.get("torch")
    return dict(
        prepared=sorted(_PREPARED),
        jobs_started=dict(_JOBS_STARTED),
        weights_env=os.environ.get(CONFIG_KEY),
        cache=str(_cache_dir()),
        blas_threads=sorted(
            {pool["num_threads"] for pool in threadpoolctl.threadpool_info()}
        ),
        torch_threads=None if torch is None else torch.get_num_threads(),
        compute_threads=n_threads(),
        heap_reuse=[report.get("heap_reuse") for report in _PREPARED.values()],
    )


def _run_job(func, settings: JobSettings, arguments: tuple, on_dask: bool):
    """Run one job on a worker, preparing the process first if needed.

    A Dask worker restarted by its nanny after the pre-flight prepares again
    here (the weights installed in its cache are still there).
    """
    if on_dask and settings.token not in _PREPARED:
        from distributed import get_worker

        report = _prepare_worker(settings, dask_worker=get_worker())
        if not report["ok"]:
            raise RuntimeError(
                "; ".join(report["problems"])
                or f"the weights {report['needs']} are not readable on this worker"
            )
    _JOBS_STARTED[settings.token] = _JOBS_STARTED.get(settings.token, 0) + 1
    return func(*arguments)


# --- client side -------------------------------------------------------------


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
    dask_scheduler : str | path-like | distributed.Client | None
        A scheduler address, a scheduler file (``.json``, as written by
        ``dask scheduler --scheduler-file``) or a connected client.
    send_weights : bool | None
        ``None`` sends the weights only to workers that cannot read them at
        the client's path; True sends them to every worker.

    Use it as a context manager: entering connects and checks the workers.
    """

    def __init__(self, settings, *, n_jobs=1, dask_scheduler=None, send_weights=None):
        self.settings = settings
        self.n_jobs = _ensure_int(n_jobs, "n_jobs")
        self.dask_scheduler = dask_scheduler
        _validate_type(send_weights, (bool, None), "send_weights")
        self.send_weights = send_weights
        self.client = None
        self._owned = False
        self.workers: list[str] = []
        self.reports: dict[str, dict] = {}
        self.sent: dict[str, list[str]] = {}

    def __enter__(self):
        if self.dask_scheduler is None:
            import_optional_dependency("joblib")
            return self
        self.client, self._owned = _connect(self.dask_scheduler)
        try:
            self._check_workers()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Close the Dask client if this runner opened it."""
        if self.client is not None and self._owned:
            self.client.close()
        self.client = None

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
                    "'mne-icalabel sys_info' on both) and restart it."
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

    def run(self, func, arguments: list[tuple], keys: list[str], desc: str):
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

        Returns
        -------
        rows : list of dict
            One row per job, in completion order.
        """
        rows: list[dict] = []
        try:
            bar = ProgressBar(len(arguments), mesg=desc)
            if self.client is None:
                self._run_loky(func, arguments, rows, bar)
            else:
                self._run_dask(func, arguments, keys, rows, bar)
        except Exception as error:
            # a worker died (out of memory, crash in compiled code) or the
            # cluster went away: the rows received are kept, the others failed
            message = " ".join(f"{type(error).__name__}: {error}".split())
            logger.debug(traceback.format_exc())
            logger.info(f"Parallel processing stopped: {message}")
            done = {row["recording"] for row in rows}
            rows.extend(
                dict(recording=key, status="failed", error=f"not finished: {message}")
                for key in keys
                if key not in done
            )
        return rows

    def _run_loky(self, func, arguments, rows, bar) -> None:
        joblib = import_optional_dependency("joblib")
        jobs = [
            joblib.delayed(_run_job)(func, self.settings, args, False)
            for args in arguments
        ]
        with joblib.parallel_config(backend="loky", n_jobs=self.n_jobs):
            for row in joblib.Parallel(return_as="generator_unordered")(jobs):
                rows.append(row)
                bar.update_with_increment_value(1)

    def _run_dask(self, func, arguments, keys, rows, bar) -> None:
        client, settings = self.client, self.settings
        futures = {
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
        pending = dict(futures)
        last_check = time.monotonic()
        try:
            while pending:
                batch = [future for future in pending if future.done()]
                for future in batch:
                    rows.append(_future_row(future, pending.pop(future)))
                    bar.update_with_increment_value(1)
                if batch:
                    continue
                time.sleep(0.1)
                if time.monotonic() - last_check > _POLL:
                    last_check = time.monotonic()
                    if not set(self.workers) & set(client.nthreads()):
                        raise RuntimeError(
                            "the workers that passed the pre-flight left the cluster"
                        )
        finally:
            if pending:
                client.cancel(list(pending))


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
