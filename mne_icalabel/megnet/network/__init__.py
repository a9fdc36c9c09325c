"""The backends of the MEGNet network: onnxruntime and torch.

Each is a module of this package named after it (``onnx``, ``torch``),
implementing the interface of :mod:`mne_icalabel.utils._backend` with
``run(model, spatial, temporal, component) -> ndarray`` (see
:meth:`~._base.MEGNetRunner.predict`); both read ``megnet.onnx``.
"""

from __future__ import annotations

from ...datasets.weights import get_weights_path
from ...utils._backend import Backend, Backends
from .._config import NAME

#: ``backend=None``: onnxruntime if it is installed, else torch. onnxruntime
#: splits the graph with the ``onnx`` package when it is installed, which
#: changes the float32 rounding: a batch job needs it where the client has it.
BACKENDS = Backends(
    NAME,
    __package__,
    [
        Backend(
            "onnx",
            ("onnxruntime",),
            "MEGNet's 'onnx' backend.",
            optional=("onnx",),
        ),
        Backend(
            "torch", ("torch", "onnx"), "MEGNet's 'torch' backend needs torch and onnx."
        ),
    ],
    get_weights_path,
    unavailable=(
        "Missing optional dependency 'onnxruntime'. MEGNet needs onnxruntime, or "
        "torch and onnx. Use pip or conda to install it: pip install onnxruntime "
        "(or pip install torch onnx)."
    ),
)
