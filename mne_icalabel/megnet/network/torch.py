"""MEGNet written as a torch module, with the weights of ``megnet.onnx``.

The architecture is the Keras model of Treacher et al. (2021) as converted to
ONNX by tf2onnx (MEGNET.md §6). Keras works channels-last, so per-element PReLU
slopes and the flattening before the dense layers are channels-last too. The
weights are read from the ONNX initializers with the ``onnx`` package.

Because the first dense layer is linear, ``concat(s, t) @ W = s @ W_s + t @ W_t``:
the spatial branch and its part of the dense layer are computed once per
component, not once per chunk.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn

from ...utils._imports import import_optional_dependency
from ._base import (  # noqa: F401 (WEIGHTS, run: the backend interface)
    BATCH_SIZE,
    WEIGHTS,
    MEGNetRunner,
    _batches,
    run,
)

_PREFIX = "StatefulPartitionedCall/model/"
_EPS = 1e-3  # Keras BatchNormalization epsilon

# (in, out, kernel, pool) of the spatial convolutions spatial_L1..8
_SPATIAL = [
    (3, 25, 11, False),
    (25, 47, 2, True),
    (47, 11, 9, True),
    (11, 42, 6, False),
    (42, 24, 10, False),
    (24, 36, 8, True),
    (36, 21, 10, False),
    (21, 28, 9, True),
]
# (in, out, kernel, pool, conv bias constant, BN shift constant) of temporal_L1..5;
# the constants are tf2onnx's folded ``const_fold_opt__<n>`` initializers.
_TEMPORAL = [
    (1, 4, 5, True, 320, 307),
    (4, 23, 4, True, 316, 317),
    (23, 27, 12, True, 315, 319),
    (27, 19, 9, False, 312, 310),
    (19, 47, 8, True, 314, 304),
]
_DENSE = ["dense", "dense_1", "dense_2", "merge_output"]
N_SPATIAL_FEATURES = 7 * 7 * 28
N_TEMPORAL_FEATURES = 937 * 47


def _prelu_(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Keras PReLU, in place: ``x`` where positive, ``alpha * x`` elsewhere.

    Written as ``max(x, 0) + alpha * min(x, 0)``: the same floats as the ONNX
    graph's ``relu(x) + N * relu(-x)`` with ``N = -alpha`` (negation is exact,
    adding zero is exact), in fewer passes over memory than ``where``.
    ``x`` is overwritten (a fresh activation of inference, no autograd).
    """
    negative = x.clamp(max=0)
    return x.clamp_(min=0).addcmul_(negative, alpha)


def _conv_same(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """2-D convolution with TensorFlow "same" padding, on NCHW tensors.

    TF pads ``k - 1`` in total, the extra sample at the end (begin
    ``(k - 1) // 2``). For an even kernel, padding ``k / 2`` on both sides (which
    oneDNN does without copying the input) gives one output more at the start,
    which is dropped.
    """
    kh, kw = weight.shape[2:]
    x = F.conv2d(x, weight, bias, padding=(kh // 2, kw // 2))
    return x[:, :, 1 - kh % 2 :, 1 - kw % 2 :]


def _max_pool(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Max pooling by 2 (stride 2, floor) along ``dim``: the larger of each pair.

    Two strided views and one ``maximum`` are several times faster than
    ``max_pool*d``, which also computes the indices of the maxima.
    """
    index = [slice(None)] * x.dim()
    end = x.shape[dim] // 2 * 2
    index[dim] = slice(0, end, 2)
    even = x[tuple(index)]
    index[dim] = slice(1, end, 2)
    return torch.maximum(even, x[tuple(index)])


def read_onnx_weights(fname: str) -> dict[str, NDArray[np.float32]]:
    """Read the initializers of ``megnet.onnx``.

    Parameters
    ----------
    fname : str
        Path of ``megnet.onnx``.

    Returns
    -------
    weights : dict of str to ndarray
        Initializers by name, without the ``StatefulPartitionedCall/model/``
        prefix.
    """
    onnx = import_optional_dependency("onnx")
    from onnx import numpy_helper

    model = onnx.load(str(fname))
    return {
        init.name.removeprefix(_PREFIX): numpy_helper.to_array(init)
        for init in model.graph.initializer
    }


class MEGNet(nn.Module):
    """The MEGNet network (inference only).

    Parameters
    ----------
    weights : dict of str to ndarray
        ONNX initializers, see ``read_onnx_weights``.
    """

    def __init__(self, weights: dict[str, NDArray[np.float32]]) -> None:
        super().__init__()

        def tensor(name: str) -> torch.Tensor:
            return torch.from_numpy(np.array(weights[name], np.float32))

        # Spatial layers: conv (+ bias) -> PReLU -> BN. The BN is kept as the
        # affine map ``x * scale + shift`` of inference; it cannot be folded into
        # the next convolution, whose zero padding would then differ.
        for k in range(1, len(_SPATIAL) + 1):
            bn = "batch_normalization" + ("" if k == 1 else f"_{k - 1}")
            prelu = "p_re_lu" + ("" if k == 1 else f"_{k - 1}")
            weight = tensor(f"spatial_L{k}/Conv2D/ReadVariableOp:0")
            self.register_buffer(
                f"s{k}_w", weight.contiguous(memory_format=torch.channels_last)
            )
            self.register_buffer(
                f"s{k}_b", tensor(f"spatial_L{k}/BiasAdd/ReadVariableOp:0")
            )
            # (H, W, C) channels-last, seen as (C, H, W) with the memory order
            # of the channels-last activations.
            self.register_buffer(
                f"s{k}_alpha", (-tensor(f"{prelu}/Neg:0")).permute(2, 0, 1)
            )
            gamma = tensor(f"{bn}/ReadVariableOp:0")
            beta = tensor(f"{bn}/ReadVariableOp_1:0")
            mean = tensor(f"{bn}/FusedBatchNormV3/ReadVariableOp:0")
            var = tensor(f"{bn}/FusedBatchNormV3/ReadVariableOp_1:0")
            scale = gamma / torch.sqrt(var + _EPS)
            self.register_buffer(f"s{k}_scale", scale[:, None, None])
            self.register_buffer(f"s{k}_shift", (beta - mean * scale)[:, None, None])
        # Temporal layers: conv -> + bias -> BN folded by tf2onnx into x * M + A
        # -> PReLU. The bias and the affine BN are folded into the convolution:
        # conv(x, W) * M + (b * M + A) = conv(x, W * M) + (b * M + A).
        for k, (*_, bias, shift) in enumerate(_TEMPORAL, start=1):
            # (Cout, Cin, 1, k): the 1-D convolutions run as 2-D ones in
            # channels-last memory, which oneDNN computes faster than conv1d.
            weight = tensor(f"temporal_L{k}/Conv1D/ExpandDims_1:0")
            mul = tensor(f"batch_normalization_{7 + k}/batchnorm/mul:0").reshape(-1)
            weight = weight * mul[:, None, None, None]
            self.register_buffer(
                f"t{k}_w", weight.contiguous(memory_format=torch.channels_last)
            )
            self.register_buffer(
                f"t{k}_b",
                (
                    tensor(f"const_fold_opt__{bias}").reshape(-1) * mul
                    + tensor(f"const_fold_opt__{shift}").reshape(-1)
                ),
            )
            # (T, C): the layout of the (B, T, C) activations
            self.register_buffer(f"t{k}_alpha", -tensor(f"p_re_lu_{7 + k}/Neg:0"))
        for k, layer in enumerate(_DENSE):
            self.register_buffer(f"d{k}_w", tensor(f"{layer}/MatMul/ReadVariableOp:0"))
            self.register_buffer(f"d{k}_b", tensor(f"{layer}/BiasAdd/ReadVariableOp:0"))
            if k < 3:
                self.register_buffer(f"d{k}_alpha", -tensor(f"p_re_lu_{13 + k}/Neg:0"))

    def spatial(self, x: torch.Tensor) -> torch.Tensor:
        """Spatial branch: (B, 120, 120, 3) NHWC topomaps -> (B, 1372)."""
        # An NCHW view of the NHWC input: channels-last memory all along.
        x = x.permute(0, 3, 1, 2)
        for k, (*_, pool) in enumerate(_SPATIAL, start=1):
            x = _conv_same(x, self.get_buffer(f"s{k}_w"), self.get_buffer(f"s{k}_b"))
            x = _prelu_(x, self.get_buffer(f"s{k}_alpha"))
            x = torch.addcmul(
                self.get_buffer(f"s{k}_shift"), x, self.get_buffer(f"s{k}_scale")
            )
            if pool:
                x = _max_pool(_max_pool(x, 2), 3)
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)

    def temporal(self, x: torch.Tensor) -> torch.Tensor:
        """Temporal branch: (B, 15000) or (B, 15000, 1) chunks -> (B, 44039)."""
        x = x.reshape(x.shape[0], 1, 1, -1)
        for k, (*_, pool, _, _) in enumerate(_TEMPORAL, start=1):
            x = _conv_same(x, self.get_buffer(f"t{k}_w"), self.get_buffer(f"t{k}_b"))
            # (B, C, 1, T) channels-last -> (B, T, C) view, Keras' layout
            x = _prelu_(x[:, :, 0].transpose(1, 2), self.get_buffer(f"t{k}_alpha"))
            if pool:
                x = _max_pool(x, 1)
            x = x.transpose(1, 2)[:, :, None]
        return x[:, :, 0].transpose(1, 2).reshape(x.shape[0], -1)

    def dense_spatial(self, features: torch.Tensor) -> torch.Tensor:
        """Spatial part of the first dense layer (no bias): (B, 1372) -> (B, 117)."""
        return features @ self.d0_w[:N_SPATIAL_FEATURES]

    def dense_temporal(self, features: torch.Tensor) -> torch.Tensor:
        """Temporal part of the first dense layer (no bias): (B, 44039) -> (B, 117)."""
        return features @ self.d0_w[N_SPATIAL_FEATURES:]

    def logits(self, dense0: torch.Tensor) -> torch.Tensor:
        """From the first dense layer without bias, (B, 117), to logits (B, 4)."""
        x = _prelu_(dense0 + self.d0_b, self.d0_alpha)
        x = _prelu_(x @ self.d1_w + self.d1_b, self.d1_alpha)
        x = _prelu_(x @ self.d2_w + self.d2_b, self.d2_alpha)
        return x @ self.d3_w + self.d3_b

    def head(self, dense0: torch.Tensor) -> torch.Tensor:
        """From the first dense layer without bias, (B, 117), to probabilities."""
        return torch.softmax(self.logits(dense0), dim=1)

    def forward(
        self, spatial_input: torch.Tensor, temporal_input: torch.Tensor
    ) -> torch.Tensor:
        """Probabilities (B, 4) of a batch of topomaps and time chunks.

        Parameters
        ----------
        spatial_input : Tensor of shape (B, 120, 120, 3)
            float32 topomaps (0–255).
        temporal_input : Tensor of shape (B, 15000, 1)
            float32 time chunks.

        Returns
        -------
        proba : Tensor of shape (B, 4)
            Softmax output.
        """
        features = torch.cat(
            [self.spatial(spatial_input), self.temporal(temporal_input)], dim=1
        )
        return self.head(features @ self.d0_w)


@lru_cache(maxsize=4)
def _load_network(fname: str) -> MEGNet:
    """Build the network of a weights file once per process."""
    return MEGNet(read_onnx_weights(fname)).eval()


class TorchRunner(MEGNetRunner):
    """MEGNet run by torch, spatial branch once per component.

    Parameters
    ----------
    fname : str
        Path of ``megnet.onnx`` (its initializers are the weights).
    batch_size : int
        Maximum number of topomaps or chunks per forward pass.
    """

    name = "torch"

    def __init__(self, fname: str, batch_size: int = BATCH_SIZE) -> None:
        super().__init__(batch_size)
        self.network = _load_network(str(fname))

    def predict(self, spatial, temporal, component) -> NDArray[np.float32]:
        """Classify chunks; see ``MEGNetRunner.predict``."""
        net = self.network
        with torch.inference_mode():
            spatial_dense = torch.cat(
                [
                    net.dense_spatial(net.spatial(torch.from_numpy(spatial[batch])))
                    for batch in _batches(spatial.shape[0], self.batch_size)
                ]
            )
            out = np.empty((temporal.shape[0], 4), np.float32)
            index = torch.from_numpy(np.asarray(component, np.int64))
            for batch in _batches(temporal.shape[0], self.batch_size):
                chunks = torch.from_numpy(np.ascontiguousarray(temporal[batch]))
                dense0 = spatial_dense[index[batch]] + net.dense_temporal(
                    net.temporal(chunks)
                )
                out[batch] = net.head(dense0).numpy()
        return out


def load(fname) -> TorchRunner:
    """Build the runner of ``megnet.onnx`` (the backend interface's ``load``)."""
    return TorchRunner(str(fname))
