"""The backends of the ICLabel network: onnxruntime, torch and NumPy.

Each is a module of this package named after it (``onnx``, ``torch``,
``numpy``), implementing the interface of :mod:`mne_icalabel.utils._backend`
with ``run(model, topo, psds, autocorr) -> ndarray``: the forward pass on the
formatted float32 NCHW batch of ``4 * n_components`` inputs (``(4N, 1, 32,
32)``, ``(4N, 1, 1, 100)``, ``(4N, 1, 1, 100)``, see ``_format_input``),
returning the ``(N, 7)`` float32 probabilities averaged over the four
augmentations.
"""

from __future__ import annotations

from ...datasets.weights import get_weights_path
from ...utils._backend import Backend, Backends
from .._config import NAME

#: The order is the order of preference of ``backend=None``: onnxruntime first,
#: because it imports in a small fraction of the time of torch (about 0.1 s vs
#: 1.0-1.2 s) for the same float32 network, and ``import torch`` would otherwise be
#: most of the first call in a process. torch next (the implementation of the
#: original package), NumPy, which needs no extra package, last.
#: ``backend="pytorch"`` is the default written in upstream's signature.
BACKENDS = Backends(
    NAME,
    __package__,
    [Backend("onnx", ("onnxruntime",)), Backend("torch", ("torch",)), Backend("numpy")],
    get_weights_path,
    unavailable="No ICLabel backend is available.",
    aliases={"pytorch": "torch"},
    missing="It is needed by the ICLabel backend '{backend}'; backend='numpy' "
    "needs no extra package.",
)
