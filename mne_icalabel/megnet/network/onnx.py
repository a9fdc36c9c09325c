"""MEGNet run by onnxruntime on the published ``megnet.onnx`` graph."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ...utils._imports import import_optional_dependency
from ._base import BATCH_SIZE, MEGNetRunner, _batches


@lru_cache(maxsize=4)
def _load_session(fname: str):
    """Create the inference session of a weights file once per process."""
    ort = import_optional_dependency("onnxruntime")
    return ort.InferenceSession(fname, providers=["CPUExecutionProvider"])


class OnnxRunner(MEGNetRunner):
    """MEGNet as the ONNX graph converted from the authors' Keras model.

    The graph takes the topomap and the time chunk together, so the spatial
    branch runs once per chunk; chunks are sent in batches.

    Parameters
    ----------
    fname : str
        Path of ``megnet.onnx``.
    batch_size : int
        Maximum number of chunks per call of the session.
    """

    name = "onnx"

    def __init__(self, fname: str, batch_size: int = BATCH_SIZE) -> None:
        super().__init__(batch_size)
        self.session = _load_session(str(fname))
        # Input names by position, as in the reference: 0 spatial, 1 temporal.
        inputs = self.session.get_inputs()
        self.spatial_name, self.temporal_name = inputs[0].name, inputs[1].name

    def predict(
        self,
        spatial: NDArray[np.float32],
        temporal: NDArray[np.float32],
        component: NDArray[np.intp],
    ) -> NDArray[np.float32]:
        """Classify chunks; see ``MEGNetRunner.predict``."""
        out = np.empty((temporal.shape[0], 4), np.float32)
        for batch in _batches(temporal.shape[0], self.batch_size):
            feeds = {
                self.spatial_name: spatial[component[batch]],
                self.temporal_name: temporal[batch, :, None],
            }
            out[batch] = self.session.run(None, feeds)[0]
        return out
