"""Client pre-flight: what the jobs need, checked here, and what travels with them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from mne.utils import _ensure_int, _validate_type, logger

from ..._version import __version__
from ...datasets.weights import resolve_weights
from ...methods import get_method
from ...utils._imports import import_optional_dependency


def check_n_jobs(n_jobs) -> int:
    """Return ``n_jobs`` as an int, or raise: 0 processes cannot run a job.

    Positive: that many processes; negative, joblib's count back from the
    cores (-1: all of them, -2: all but one).
    """
    n_jobs = _ensure_int(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError(
            "n_jobs must be a number of processes (1 or more) or negative to "
            "count back from the cores (-1: all, -2: all but one), got 0."
        )
    return n_jobs


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


def _load_network(method: str, backend: str) -> None:
    """Load (and cache in this process) the network of a method + backend."""
    network = get_method(method).backends
    if network is not None:
        network.load(backend)


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
        The labelling methods the jobs run (``"iclabel"``, ``"megnet"``, a
        composite such as ``"both"`` stands for its networks); empty for jobs
        that need no network.
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
    _validate_type(blas_threads, ("int-like", None), "blas_threads")
    if blas_threads is not None:
        blas_threads = _ensure_int(blas_threads, "blas_threads")
        if blas_threads < 1:
            raise ValueError(f"blas_threads must be at least 1, got {blas_threads}.")
    needed = list(packages)
    backends, names = {}, []
    networks = [n for method in methods for n in get_method(method).networks]
    for method in dict.fromkeys(networks):
        network = get_method(method).backends
        if network is None:  # no choice of backend, no weights to check
            backends[method] = None
            continue
        backends[method] = network.resolve(backend)
        needed += network.packages(backends[method])
        names.append(network.weights(backends[method]))
    for name in dict.fromkeys(needed):
        import_optional_dependency(name)
    weights = {
        name: (str(fname), sha)
        for name, (fname, sha) in resolve_weights(names, verbose=False).items()
    }
    checked = ", ".join(f"{m} on {b}" for m, b in backends.items()) + "".join(
        f"; {name} verified at {p}" for name, (p, _) in weights.items()
    )
    if not backends:  # e.g. apply: no network, only packages
        checked = "no network needed" + "".join(
            f"; {name} importable" for name in dict.fromkeys(needed)
        )
    logger.info(f"Pre-flight: {checked}")
    return JobSettings(
        backends=backends,
        weights=weights,
        packages=tuple(dict.fromkeys(needed)),
        version=__version__,
        blas_threads=blas_threads,
    )
