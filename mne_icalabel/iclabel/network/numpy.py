"""NumPy backend: the ICLabel forward pass with NumPy only.

It needs neither torch nor onnxruntime. The weights are read from
``ICLabelNet.pt`` with a small zip + restricted-pickle reader
(``_state_dict.read_state_dict``), after the file's SHA256 was checked.

Activations are kept channels-last (``(B, H, W, C)``) so that every convolution
is a sum over the kernel taps of ``(B * H_out * W_out, C_in) @ (C_in, C_out)``
matrix products: a loop over the 16 (image) or 3 (1-D) taps, never over
components or pixels, and no im2col copy larger than one layer's input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._state_dict import read_state_dict

WEIGHTS = "ICLabelNet.pt"

_ALPHA = 0.2  # LeakyReLU slope
_BRANCHES = ("img_conv", "psds_conv", "autocorr_conv")


def load(fname: Path) -> dict[str, np.ndarray]:
    """Read ``ICLabelNet.pt`` and lay the kernels out as ``(kh, kw, C_in, C_out)``.

    The parameters stay float32, like in torch and onnxruntime: ``run`` computes
    in the dtype of the parameters (cast them to float64 for a reference pass).
    """
    state = read_state_dict(fname)
    params = {}
    for branch in _BRANCHES:
        for layer in ("conv1", "conv2", "conv3"):
            name = f"{branch}.{layer}"
            # torch (C_out, C_in, kh, kw) -> (kh, kw, C_in, C_out)
            weight = state[f"{name}.weight"].transpose(2, 3, 1, 0)
            params[f"{name}.weight"] = np.ascontiguousarray(weight)
            params[f"{name}.bias"] = state[f"{name}.bias"]
    # The last 4 x 4 convolution without padding on the 4 x 4 grid is a dense
    # layer on the flattened (h, w, channel) input.
    weight = state["conv.weight"].transpose(2, 3, 1, 0).reshape(-1, 7)
    params["conv.weight"] = np.ascontiguousarray(weight)
    params["conv.bias"] = state["conv.bias"]
    return params


def _conv_leaky(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    stride: int,
    pad: tuple[int, int],
) -> np.ndarray:
    """Convolution (cross-correlation) + bias + LeakyReLU(0.2), channels-last.

    ``x`` is ``(B, H, W, C_in)``, ``weight`` ``(kh, kw, C_in, C_out)``; the
    output is ``(B, H_out, W_out, C_out)`` with
    ``H_out = (H + 2 pad_h - kh) // stride + 1`` (same for W).
    """
    kh, kw, c_in, c_out = weight.shape
    x = np.pad(x, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1]), (0, 0)))
    batch, height, width, _ = x.shape
    h_out = (height - kh) // stride + 1
    w_out = (width - kw) // stride + 1
    out = np.empty((batch * h_out * w_out, c_out), dtype=weight.dtype)
    out[:] = bias
    product = np.empty_like(out)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i, i + stride * (h_out - 1) + 1, stride)
            cols = slice(j, j + stride * (w_out - 1) + 1, stride)
            taps = x[:, rows, cols, :].reshape(-1, c_in)
            out += np.matmul(taps, weight[i, j], out=product)
    # LeakyReLU: max(x, 0.2 x) since 0 < 0.2 < 1
    np.maximum(out, out * out.dtype.type(_ALPHA), out=out)
    return out.reshape(batch, h_out, w_out, c_out)


def _branch(
    x: np.ndarray,
    params: dict[str, np.ndarray],
    branch: str,
    stride: int,
    pad: tuple[int, int],
) -> np.ndarray:
    """Apply the three convolution layers of one branch to NCHW input ``x``."""
    x = x.transpose(0, 2, 3, 1)  # NCHW -> NHWC
    for layer in ("conv1", "conv2", "conv3"):
        weight = params[f"{branch}.{layer}.weight"]
        bias = params[f"{branch}.{layer}.bias"]
        x = _conv_leaky(x, weight, bias, stride, pad)
    return x


def run(
    params: dict[str, np.ndarray],
    topo: np.ndarray,
    psds: np.ndarray,
    autocorr: np.ndarray,
) -> np.ndarray:
    """Forward pass of the formatted batch, see ``_backends``."""
    batch = topo.shape[0]
    dtype = params["conv.bias"].dtype
    topo, psds, autocorr = (x.astype(dtype, copy=False) for x in (topo, psds, autocorr))
    image = _branch(topo, params, "img_conv", 2, (1, 1))  # (B, 4, 4, 512)
    psds = _branch(psds, params, "psds_conv", 1, (0, 1))  # (B, 1, 100, 1)
    autocorr = _branch(autocorr, params, "autocorr_conv", 1, (0, 1))
    # 1-D outputs -> 100 channels constant over the 4 x 4 grid:
    # y[b, i, j, f] = x[b, f]; channel order [image 512, psds 100, autocorr 100].
    grid = (batch, 4, 4, 100)
    x = np.concatenate(
        [
            image,
            np.broadcast_to(psds.reshape(batch, 1, 1, 100), grid),
            np.broadcast_to(autocorr.reshape(batch, 1, 1, 100), grid),
        ],
        axis=3,
    )
    logits = x.reshape(batch, -1) @ params["conv.weight"] + params["conv.bias"]
    logits -= logits.max(axis=1, keepdims=True)  # stable softmax
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    # the batch is [all N] x 4 augmentations: average the four copies
    return proba.reshape(4, batch // 4, 7).mean(axis=0)
