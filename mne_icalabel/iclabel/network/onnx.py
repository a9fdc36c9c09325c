"""ONNX Runtime backend: the published ``ICLabelNet.onnx`` graph.

Imported only when the onnx backend is used (it imports onnxruntime). The graph
already averages the four augmented copies (Squeeze, Reshape(4, -1),
Transpose, ReduceMean, Reshape(-1, 7)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from ...utils._onnx import cpu_session

WEIGHTS = "ICLabelNet.onnx"


def load(fname: Path) -> ort.InferenceSession:
    """Create a CPU inference session on ``ICLabelNet.onnx``.

    See :func:`mne_icalabel.utils._onnx.cpu_session` for the threads.
    onnxruntime's default graph optimisations (all levels) apply.
    """
    return cpu_session(str(fname))


def run(
    session: ort.InferenceSession,
    topo: np.ndarray,
    psds: np.ndarray,
    autocorr: np.ndarray,
) -> np.ndarray:
    """Forward pass of the formatted batch, see ``_backends``."""
    feeds = {"topo": topo, "psds": psds, "autocorr": autocorr}
    return session.run(["labels"], feeds)[0]
