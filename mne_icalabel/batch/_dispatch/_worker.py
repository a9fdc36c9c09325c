"""Worker side: prepare a process for the jobs (weights, networks, threads), run one."""

from __future__ import annotations

import os
import platform
import socket
import sys
from pathlib import Path
from typing import Any

from ..._version import __version__
from ...datasets.weights import (
    CACHE_FOLDER,
    CONFIG_KEY,
    WeightsError,
    _cache_dir,
    _verify,
    install_weights,
    read_verified_weights,
)
from ...utils._imports import import_optional_dependency
from ...utils._malloc import restore_heap_reuse
from ...utils._threads import n_threads
from ._settings import JobSettings, _load_network

# in each worker process: token -> report of its preparation
_PREPARED: dict[str, dict[str, Any]] = {}
_JOBS_STARTED: dict[str, int] = {}
# keeps the BLAS limits of this process in force
_LIMITS: list = []
# the limit set in this local (loky) worker process
_LOKY_THREADS: dict[str, int] = {}


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


def _run_job(
    func,
    settings: JobSettings,
    arguments: tuple,
    on_dask: bool,
    threads: int | None = None,
):
    """Run one job on a worker, preparing the process first if needed.

    A Dask worker restarted by its nanny after the pre-flight prepares again
    here (the weights installed in its cache are still there). ``threads``
    limits the BLAS/OpenMP (and torch) threads of a local worker process: loky
    started it with that limit in ``OMP_NUM_THREADS`` and the like, which
    threadpoolctl enforces on the pools already loaded.
    """
    if threads is not None and _LOKY_THREADS.get("limit") != threads:
        _limit_threads(threads)
        _LOKY_THREADS["limit"] = threads
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
