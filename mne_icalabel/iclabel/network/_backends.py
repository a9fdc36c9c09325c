"""The interface between :func:`run_iclabel` and the network implementations.

A backend is a module of this package named after the backend, defining

``WEIGHTS : str``
    The canonical name of its weights file (see
    :func:`mne_icalabel.datasets.weights.get_weights_path`).
``load(fname: Path) -> model``
    Build the network from the verified weights file. Called once per process
    and weights file; the result is cached here.
``run(model, topo, psds, autocorr) -> ndarray``
    Forward pass on the formatted float32 NCHW batch of ``4 * n_components``
    inputs (``(4N, 1, 32, 32)``, ``(4N, 1, 1, 100)``, ``(4N, 1, 1, 100)``,
    see ``_format_input``), returning the ``(N, 7)`` float32 probabilities
    averaged over the four augmentations.

Adding a backend means adding such a file and one entry to ``BACKENDS``.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any

from mne.utils import logger

from ...datasets.weights import get_weights_path
from ...utils._imports import import_optional_dependency

#: backend name -> the optional package it imports (None: always available).
#: The order is the order of preference of ``backend=None``: onnxruntime first,
#: because it imports in a small fraction of the time of torch (about 0.1 s vs
#: 1.0-1.2 s) for the same float32 network, and ``import torch`` would otherwise be
#: most of the first call in a process. torch next (the implementation of the
#: original package), NumPy, which needs no extra package, last.
BACKENDS: dict[str, str | None] = {
    "onnx": "onnxruntime",
    "torch": "torch",
    "numpy": None,
}

# (backend, weights file) -> loaded model
_MODELS: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def _select_backend(backend: str | None) -> str:
    """Return the backend to use; import its package or raise ImportError."""
    if backend is not None:
        package = BACKENDS[backend]
        if package is not None:
            import_optional_dependency(
                package,
                extra=f"It is needed by the ICLabel backend '{backend}'; "
                "backend='numpy' needs no extra package.",
            )
        return backend
    for name, package in BACKENDS.items():
        if package is None or import_optional_dependency(package, raise_error=False):
            return name
    raise RuntimeError("No ICLabel backend is available.")  # pragma: no cover


def _backend_module(backend: str) -> ModuleType:
    return importlib.import_module(f"{__package__}.{backend}")


def _get_model(backend: str) -> tuple[ModuleType, Any]:
    """Return the backend module and its network, loading it on first use.

    The weights file is located and hash-checked on every call (cheap: the hash
    is cached by file size and modification time), so a corrupt file raises
    :class:`~mne_icalabel.datasets.weights.WeightsError` before it is parsed.
    """
    module = _backend_module(backend)
    fname = get_weights_path(module.WEIGHTS)
    key = (backend, str(fname))
    with _LOCK:
        if key not in _MODELS:
            logger.info(f"Loading the ICLabel network ({backend} backend) from {fname}")
            _MODELS[key] = module.load(fname)
        return module, _MODELS[key]
