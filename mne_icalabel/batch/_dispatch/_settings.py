"""Client pre-flight: what the jobs need, checked here, and what travels with them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from mne.utils import _ensure_int, _validate_type, logger

from ...datasets.weights import (
    resolve_weights,
)
from ...utils._imports import has_module, import_optional_dependency


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
        from ...iclabel.network._backends import BACKENDS

        return () if BACKENDS[backend] is None else (BACKENDS[backend],)
    if backend == "torch":
        return ("torch", "onnx")
    # MEGNet on onnxruntime splits its graph with onnx when it is installed
    return ("onnxruntime", "onnx") if has_module("onnx") else ("onnxruntime",)


def _resolve_backend(method: str, backend: str | None) -> str:
    """Return the backend to run here; ImportError if it cannot run."""
    if method == "iclabel":
        from ...iclabel.network._backends import _select_backend
        from ...iclabel.network._run import _ALIASES

        return _select_backend(_ALIASES.get(backend, backend))
    from ...megnet.network import _check_backend

    return _check_backend(backend)


def _weights_names(method: str, backend: str) -> tuple[str, ...]:
    if method == "iclabel":
        from ...iclabel.network._backends import _backend_module

        return (_backend_module(backend).WEIGHTS,)
    from ...megnet.network import WEIGHTS

    return (WEIGHTS,)


def _load_network(method: str, backend: str) -> None:
    """Load (and cache in this process) the network of a method + backend."""
    if method == "iclabel":
        from ...iclabel.network._backends import _get_model

        _get_model(backend)
    else:
        from ...megnet.network import _get_runner

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
    from ... import __version__

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
