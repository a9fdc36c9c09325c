"""NumPy backend: the ICLabel forward pass with NumPy only.

It needs neither torch nor onnxruntime. The weights are read from
``ICLabelNet.pt`` with a small zip + restricted-pickle reader
(``_state_dict.read_state_dict``), after the file's SHA256 was checked.

Activations are kept channels-last (``(B, H, W, C)``) and every convolution is
one im2col matrix product ``(B * H_out * W_out, kh * kw * C_in) @ (kh * kw *
C_in, C_out)``; no Python loop over components or pixels (a batch is split only
when its patch matrix would exceed 256 MiB, e.g. 4 x 120 components).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._state_dict import read_state_dict

WEIGHTS = "ICLabelNet.pt"

_ALPHA = 0.2  # LeakyReLU slope
_MAX_PATCH_BYTES = 1 << 28  # im2col matrix per matrix product: 256 MiB
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
    ``H_out = (H + 2 pad_h - kh) // stride + 1`` (same for W). im2col: the
    ``(kh, kw, C_in)`` patch under each output pixel becomes a row, and one
    matrix product with the flattened kernel gives all outputs.
    """
    kh, kw, c_in, c_out = weight.shape
    x = np.pad(x, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1]), (0, 0)))
    # (B, H_out, W_out, C_in, kh, kw) view, no copy
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    batch, h_out, w_out = windows.shape[:3]
    kernel = weight.reshape(kh * kw * c_in, c_out)
    pixels = h_out * w_out
    out = np.empty((batch * pixels, c_out), dtype=weight.dtype)
    # Bound the memory of the patch matrix by splitting a large batch.
    n_bytes = windows.size * windows.itemsize
    n_chunks = min(batch, -(-n_bytes // _MAX_PATCH_BYTES))
    for chunk in np.array_split(np.arange(batch), n_chunks):
        start, stop = chunk[0], chunk[-1] + 1
        patches = windows[start:stop].transpose(0, 1, 2, 4, 5, 3)
        patches = patches.reshape(-1, kh * kw * c_in)  # copy: the im2col matrix
        np.matmul(patches, kernel, out=out[start * pixels : stop * pixels])
    out += bias
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
    n_components = batch // 4
    dtype = params["conv.bias"].dtype
    topo, psds, autocorr = (x.astype(dtype, copy=False) for x in (topo, psds, autocorr))
    image = _branch(topo, params, "img_conv", 2, (1, 1))  # (B, 4, 4, 512)
    # The four augmented copies of a component share its spectrum and
    # autocorrelation (only the image is mirrored / negated): run the 1-D
    # branches on the first N rows only, a quarter of the work.
    psds = _branch(psds[:n_components], params, "psds_conv", 1, (0, 1))
    autocorr = _branch(autocorr[:n_components], params, "autocorr_conv", 1, (0, 1))
    # 1-D outputs -> 100 channels constant over the 4 x 4 grid and repeated
    # for the 4 copies: y[q * N + n, i, j, f] = x[n, f]; channel order
    # [image 512, psds 100, autocorr 100].
    grid = (4, n_components, 4, 4, 100)
    x = np.concatenate(
        [
            image,
            np.broadcast_to(psds.reshape(1, n_components, 1, 1, 100), grid).reshape(
                batch, 4, 4, 100
            ),
            np.broadcast_to(autocorr.reshape(1, n_components, 1, 1, 100), grid).reshape(
                batch, 4, 4, 100
            ),
        ],
        axis=3,
    )
    logits = x.reshape(batch, -1) @ params["conv.weight"] + params["conv.bias"]
    logits -= logits.max(axis=1, keepdims=True)  # stable softmax
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    # the batch is [all N] x 4 augmentations: average the four copies
    return proba.reshape(4, batch // 4, 7).mean(axis=0)
