"""Backends that run the MEGNet network: onnxruntime and torch."""

from __future__ import annotations

from mne.utils import _check_option

from ...utils._imports import has_module, import_optional_dependency
from ._base import BATCH_SIZE, MEGNetRunner

BACKENDS = ("onnx", "torch")
#: the weights file both backends read
WEIGHTS = "megnet.onnx"


def _check_backend(backend: str | None) -> str:
    """Resolve ``backend`` and check that its packages are installed.

    ``None`` means onnxruntime if it is installed, else torch. A missing package
    raises an ImportError saying what to pip install.
    """
    _check_option("backend", backend, (None, *BACKENDS))
    if backend is None:
        if has_module("onnxruntime"):
            backend = "onnx"
        elif has_module("torch") and has_module("onnx"):
            backend = "torch"
        else:
            raise ImportError(
                "Missing optional dependency 'onnxruntime'. MEGNet needs "
                "onnxruntime, or torch and onnx. Use pip or conda to install it: "
                "pip install onnxruntime (or pip install torch onnx)."
            )
    if backend == "onnx":
        import_optional_dependency("onnxruntime", extra="MEGNet's 'onnx' backend.")
    else:
        for name in ("torch", "onnx"):
            import_optional_dependency(
                name, extra="MEGNet's 'torch' backend needs torch and onnx."
            )
    return backend


def _weights_fname() -> str:
    """Path of the verified ``megnet.onnx``."""
    from ...datasets.weights import get_weights_path

    return str(get_weights_path(WEIGHTS))


def _get_runner(backend: str, batch_size: int = BATCH_SIZE) -> MEGNetRunner:
    """Load (once per process) the network of an already checked backend."""
    fname = _weights_fname()
    if backend == "onnx":
        from .onnx import OnnxRunner

        return OnnxRunner(fname, batch_size)
    from .torch import TorchRunner

    return TorchRunner(fname, batch_size)
