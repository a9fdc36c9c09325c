"""ONNX Runtime backend: the published ``ICLabelNet.onnx`` graph.

Imported only when the onnx backend is used (it imports onnxruntime). The graph
already averages the four augmented copies (Squeeze, Reshape(4, -1),
Transpose, ReduceMean, Reshape(-1, 7)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

WEIGHTS = "ICLabelNet.onnx"


def load(fname: Path) -> ort.InferenceSession:
    """Create a CPU inference session on ``ICLabelNet.onnx``.

    Thread counts are left to onnxruntime (intra-op: one per physical core);
    only errors are logged.
    """
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(
        str(fname), sess_options=options, providers=["CPUExecutionProvider"]
    )


def run(
    session: ort.InferenceSession,
    topo: np.ndarray,
    psds: np.ndarray,
    autocorr: np.ndarray,
) -> np.ndarray:
    """Forward pass of the formatted batch, see ``_backends``."""
    feeds = {"topo": topo, "psds": psds, "autocorr": autocorr}
    return session.run(["labels"], feeds)[0]
