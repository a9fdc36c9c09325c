"""MEGNet run by onnxruntime on the published ``megnet.onnx`` graph.

The graph takes a topomap and a time chunk together, so run as published it
recomputes the spatial branch (about 90% of the operations) for every chunk of
a component. With the ``onnx`` package the graph is cut, in memory, where the
flattened spatial features (1372 values) enter the concatenation before the
dense layers: a spatial graph (``spatial_input`` -> features) run once per
component, and a temporal + head graph (features, ``temporal_input`` ->
``merge_output``) run once per chunk. Both halves are the published nodes and
weights, unchanged. Without ``onnx`` the whole graph is run per chunk.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from mne.utils import logger
from numpy.typing import NDArray

from ...utils._imports import has_module, import_optional_dependency
from ...utils._onnx import cpu_session
from ._base import BATCH_SIZE, MEGNetRunner, _batches


def _new_session(model: str | bytes):
    """Create an onnxruntime session on the CPU from a path or a serialised model.

    See :func:`mne_icalabel.utils._onnx.cpu_session` (threads that sleep between
    operators, as many as this process may use).
    """
    return cpu_session(model, extra="MEGNet's 'onnx' backend.")


@lru_cache(maxsize=4)
def _load_session(fname: str):
    """Create the inference session of the whole graph once per process."""
    return _new_session(fname)


class _SplitSessions(NamedTuple):
    """The two halves of the graph and the names of their inputs."""

    spatial: object  # spatial_input -> spatial features
    head: object  # (spatial features, temporal_input) -> merge_output
    spatial_input: str
    temporal_input: str
    features: str


def _split_graph(model) -> tuple[object, object, str]:
    """Cut the MEGNet graph at the flattened spatial features.

    The cut tensor is the first input of the only ``Concat`` node (the spatial
    flatten in ``concat([spatial 1372, temporal 44039])``, MEGNET.md §6). Graph
    inputs are taken by position as for the whole graph: 0 spatial, 1 temporal.

    Parameters
    ----------
    model : onnx.ModelProto
        The whole graph (its value_info may be extended).

    Returns
    -------
    spatial : onnx.ModelProto
        ``spatial_input`` -> spatial features ``(B, 1372)``.
    head : onnx.ModelProto
        (spatial features, ``temporal_input``) -> the outputs of ``model``.
    features : str
        Name of the spatial features tensor, the first input of ``head``.
    """
    onnx = import_optional_dependency("onnx")
    from onnx.utils import Extractor

    graph = model.graph
    spatial_input, temporal_input = (inp.name for inp in graph.input[:2])
    (concat,) = (node for node in graph.node if node.op_type == "Concat")
    features = concat.input[0]
    # The extractor declares the cut tensor as an input from its value_info,
    # which the published file does not carry for intermediate tensors.
    if features not in {info.name for info in graph.value_info}:
        graph.value_info.append(
            onnx.helper.make_tensor_value_info(
                features, onnx.TensorProto.FLOAT, [None, None]
            )
        )
    extractor = Extractor(model)
    spatial = extractor.extract_model([spatial_input], [features])
    head = extractor.extract_model(
        [features, temporal_input], [out.name for out in graph.output]
    )
    return spatial, head, features


@lru_cache(maxsize=4)
def _load_split_sessions(fname: str) -> _SplitSessions:
    """Create the sessions of the two halves of a weights file once per process.

    The graph is cut in memory; no model file is written.
    """
    onnx = import_optional_dependency("onnx")

    model = onnx.load_from_string(Path(fname).read_bytes())
    spatial, head, features = _split_graph(model)
    return _SplitSessions(
        spatial=_new_session(spatial.SerializeToString()),
        head=_new_session(head.SerializeToString()),
        spatial_input=spatial.graph.input[0].name,
        temporal_input=head.graph.input[1].name,
        features=features,
    )


class OnnxRunner(MEGNetRunner):
    """MEGNet as the ONNX graph converted from the authors' Keras model.

    Parameters
    ----------
    fname : str
        Path of ``megnet.onnx``.
    batch_size : int
        Maximum number of topomaps or chunks per call of a session.
    split : bool
        Compute the spatial branch once per component by cutting the graph in
        two (needs the ``onnx`` package; without it the whole graph is run per
        chunk). False always runs the whole graph, as the reference does.
    """

    name = "onnx"

    def __init__(
        self, fname: str, batch_size: int = BATCH_SIZE, split: bool = True
    ) -> None:
        super().__init__(batch_size)
        fname = str(fname)
        if split and not has_module("onnx"):
            logger.info(
                "The 'onnx' package is missing: MEGNet recomputes the spatial "
                "branch for every chunk (pip install onnx to avoid it)."
            )
            split = False
        self.split = split
        if split:
            self.sessions = _load_split_sessions(fname)
        else:
            self.session = _load_session(fname)
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
        if not self.split:
            return self._predict_whole(spatial, temporal, component)
        sessions = self.sessions
        features = np.concatenate(
            [
                sessions.spatial.run(None, {sessions.spatial_input: spatial[batch]})[0]
                for batch in _batches(spatial.shape[0], self.batch_size)
            ]
        )
        out = np.empty((temporal.shape[0], 4), np.float32)
        for batch in _batches(temporal.shape[0], self.batch_size):
            feeds = {
                sessions.features: features[component[batch]],
                sessions.temporal_input: temporal[batch, :, None],
            }
            out[batch] = sessions.head.run(None, feeds)[0]
        return out

    def _predict_whole(
        self,
        spatial: NDArray[np.float32],
        temporal: NDArray[np.float32],
        component: NDArray[np.intp],
    ) -> NDArray[np.float32]:
        """Run the whole graph on every chunk with its topomap."""
        out = np.empty((temporal.shape[0], 4), np.float32)
        for batch in _batches(temporal.shape[0], self.batch_size):
            feeds = {
                self.spatial_name: spatial[component[batch]],
                self.temporal_name: temporal[batch, :, None],
            }
            out[batch] = self.session.run(None, feeds)[0]
        return out
