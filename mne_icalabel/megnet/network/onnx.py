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
from typing import NamedTuple

import numpy as np
from mne.utils import logger
from numpy.typing import NDArray

from ...utils._imports import has_module, import_optional_dependency
from ...utils._onnx import cpu_session
from ._base import (  # noqa: F401 (WEIGHTS, run: the backend interface)
    BATCH_SIZE,
    SPATIAL_BATCH_SIZE,
    WEIGHTS,
    MEGNetRunner,
    _batches,
    run,
)


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
    The spatial half is a new model holding the nodes the features depend on
    and their initializers (6 MB); ``model`` itself becomes the other half,
    by deleting those nodes, so that its weights (23 MB) are never copied.

    Parameters
    ----------
    model : onnx.ModelProto
        The whole graph; modified in place into the temporal + head half.

    Returns
    -------
    spatial : onnx.ModelProto
        ``spatial_input`` -> spatial features ``(B, 1372)``.
    head : onnx.ModelProto
        ``model``: (spatial features, ``temporal_input``) -> its outputs.
    features : str
        Name of the spatial features tensor, the first input of ``head``.
    """
    onnx = import_optional_dependency("onnx")
    from onnx import helper

    graph = model.graph
    spatial_input = graph.input[0].name
    (concat,) = (node for node in graph.node if node.op_type == "Concat")
    features = concat.input[0]
    producer = {name: k for k, node in enumerate(graph.node) for name in node.output}
    # the spatial branch: the nodes the features depend on, walking back
    branch, pending = set(), [features]
    while pending:
        k = producer.get(pending.pop())
        if k is not None and k not in branch:
            branch.add(k)
            pending.extend(graph.node[k].input)
    spatial_reads = {name for k in branch for name in graph.node[k].input}
    spatial_values = {name for k in branch for name in graph.node[k].output}
    head_reads = {
        name
        for k, node in enumerate(graph.node)
        if k not in branch
        for name in node.input
    }
    if spatial_input in head_reads or head_reads & spatial_values != {features}:
        raise RuntimeError(
            "The MEGNet graph does not have the expected structure (its spatial "
            "branch should only reach the rest through the features of the "
            "Concat node). Check the weights file or use backend='torch'."
        )
    features_info = helper.make_tensor_value_info(
        features, onnx.TensorProto.FLOAT, [None, None]
    )
    spatial = helper.make_model(
        helper.make_graph(
            [graph.node[k] for k in sorted(branch)],
            f"{graph.name}_spatial",
            [graph.input[0]],
            [features_info],
            initializer=[i for i in graph.initializer if i.name in spatial_reads],
        ),
        ir_version=model.ir_version,
        opset_imports=model.opset_import,
    )
    # the head: the same model without the spatial branch
    for k in sorted(branch, reverse=True):
        del graph.node[k]
    for k in reversed(range(len(graph.initializer))):
        name = graph.initializer[k].name
        if name in spatial_reads and name not in head_reads:
            del graph.initializer[k]
    for k in reversed(range(len(graph.value_info))):
        if graph.value_info[k].name in spatial_values:
            del graph.value_info[k]
    del graph.input[0]
    graph.input.insert(0, features_info)
    return spatial, model, features


@lru_cache(maxsize=4)
def _load_split_sessions(fname: str) -> _SplitSessions:
    """Create the sessions of the two halves of a weights file once per process.

    The graph is cut in memory; no model file is written. Each half is
    serialised and its proto released before the next step, so that the
    weights are held at most twice (proto and session) at any time.
    """
    onnx = import_optional_dependency("onnx")

    model = onnx.load(fname)
    spatial, head, features = _split_graph(model)
    del model
    spatial_input = spatial.graph.input[0].name
    spatial = _new_session(spatial.SerializeToString())
    temporal_input = head.graph.input[1].name
    head_bytes = head.SerializeToString()
    del head
    return _SplitSessions(
        spatial=spatial,
        head=_new_session(head_bytes),
        spatial_input=spatial_input,
        temporal_input=temporal_input,
        features=features,
    )


class OnnxRunner(MEGNetRunner):
    """MEGNet as the ONNX graph converted from the authors' Keras model.

    Parameters
    ----------
    fname : str
        Path of ``megnet.onnx``.
    batch_size : int
        Maximum number of chunks (and topomaps, up to ``SPATIAL_BATCH_SIZE``)
        per call of a session.
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

    def predict(self, spatial, temporal, component) -> NDArray[np.float32]:
        """Classify chunks; see ``MEGNetRunner.predict``."""
        if not self.split:
            return self._predict_whole(spatial, temporal, component)
        sessions = self.sessions
        features = np.concatenate(
            [
                sessions.spatial.run(None, {sessions.spatial_input: spatial[batch]})[0]
                for batch in _batches(
                    spatial.shape[0], min(self.batch_size, SPATIAL_BATCH_SIZE)
                )
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

    def _predict_whole(self, spatial, temporal, component) -> NDArray[np.float32]:
        """Run the whole graph on every chunk with its topomap."""
        out = np.empty((temporal.shape[0], 4), np.float32)
        # each chunk has its topomap: as many per call as the spatial branch
        batch_size = min(self.batch_size, SPATIAL_BATCH_SIZE)
        for batch in _batches(temporal.shape[0], batch_size):
            feeds = {
                self.spatial_name: spatial[component[batch]],
                self.temporal_name: temporal[batch, :, None],
            }
            out[batch] = self.session.run(None, feeds)[0]
        return out


def load(fname) -> OnnxRunner:
    """Build the runner of ``megnet.onnx`` (the backend interface's ``load``)."""
    return OnnxRunner(str(fname))
