"""MEGNet in float64, and a bound on the error of any float32 forward pass.

Written from MEGNET.md §6 and the initializers of ``megnet.onnx``, apart from
the torch module under test. ``reference`` gives the float64 pass of (topomap,
chunk) pairs and a bound on the error of the logits of any float32 pass
(onnxruntime or torch; any BLAS / oneDNN / MLAS kernel, blocking, FMA, thread
count), cached per input.

The argument, as for ICLabel (tests/iclabel/test_network.py), to first order
in the unit roundoff ``u = 2**-24``: the error of a logit is a sum
``sum_k g_k delta_k`` over the rounding errors ``delta_k`` of the pass, with
``g_k`` the derivative of the logit with respect to the rounded quantity
(one float32 backward pass per pair and class, on four copies of the pair).

- Convolution or dense unit ``z = sum_i w_i x_i + b`` (n terms), summed in any
  order: the n products and n additions make one rounding each of at most
  ``u * m``, ``m = sum_i |w_i x_i| + |b|`` (every partial sum is at most m):
  ``n + 2`` terms ``(g m)**2`` of the variance.
- Temporal layers ``M * (conv(x) + b) + A`` (BN folded by tf2onnx) round three
  more times per unit (``+ b``, ``* M``, ``+ A``) or, folded into the weights
  as torch does, round ``W * M`` and ``b * M + A`` once for all chunks:
  ``FOLD_UNITS`` roundings of at most ``u * m``, ``m = |M| (|W| |x| + |b|) +
  |A|``, added in full (the same in every unit of a weight: not random).
- PReLU: one rounding of ``alpha * x`` (``relu(x) + N relu(-x)`` adds an exact
  zero); the slopes are stored floats, exact.
- Spatial BN ``(x - mean) * s + beta`` with ``s = gamma / sqrt(var + eps)``,
  or ``x * s + (beta - mean * s)``: applying it rounds twice per unit
  (random); its constants ``BN_SYSTEMATIC`` times, of at most ``u * (|s| (|x|
  + |mean|) + |beta|)``, added in full.
- Max pooling and flattening are exact.
Treated as independent mean-zero random variables (Higham & Mary, SIAM J.
Sci. Comput. 41(5), 2019), the random roundings give, by Hoeffding's
inequality, ``|error| <= LAMBDA * u * sqrt(variance)`` except with probability
``2 exp(-LAMBDA**2 / 2) = 2.5e-14`` per logit (LAMBDA = 8); the systematic
ones ``u * sum |g| * units * m`` are added. The worst case (all errors of one
sign) would be useless: the first dense layer alone sums 45411 terms. The
float64 pass has the same error with ``2**-53``: the bound is scaled by
``1 + 2**-29``. Dropped: second-order terms, ``O(u**2)`` relative (they
include a float32 sign of a unit near 0 or max of a near tie differing from
float64's); the gradients and magnitudes are computed in float32 (a bound
needs no more digits). Outside the argument: convolutions by transforms
(Winograd, FFT), which oneDNN and MLAS do not choose for float32 here.

The bound is split by branch (``spatial_bound``, ``temporal_bound``: the
rounding errors of one branch only), which bounds a branch's float32 output
where it matters: the float64 head on it and the other branch's float64
features moves the logits by at most that part.

Softmax: ``p_c`` increases with ``z_c`` and decreases with the other logits, so
logits within ``z +- e`` give ``p`` within the softmax of the extreme logits
(exact, not first order), widened by ``SOFTMAX_UNITS * u * p`` for the
subtraction of the maximum, the float32 ``exp`` (a few ulps), the sum and the
division, and by ``TINY`` absolute: float32 loses the relative precision of
probabilities below its normal range (they may be flushed to 0).

For scale (not part of the bound): onnxruntime and torch use 0.02-0.2% of it
(logits and branches, random and real inputs, on an AMD EPYC, any of the
README's three test settings). The first dense layer (45411 terms) makes
about 3/4 of it: the bound is about 3e-3 of the largest logit. Caught: a
missing bias in a spatial or temporal convolution, a 1% error of the first
dense PReLU's slopes, the last dense weights off by 3e-3, chunks paired with
the wrong topomaps. Not caught: weights off by 1e-3, a missing bias of the
last two dense layers (small against logits in the thousands).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

U32 = 2.0**-24
LAMBDA = 8.0
FOLD_UNITS = 4  # + b, * M, + A; or W * M, b * M, + A
BN_RANDOM = 2  # applying it: a product and a sum
BN_SYSTEMATIC = 6  # its constants: var + eps, sqrt, division, mean * s, beta - .
SOFTMAX_UNITS = 32
TINY = 2.0**-125  # twice the smallest normal float32
F64_SCALE = 1 + 2.0**-29

# (kernel, pool) of spatial_L1..8 and temporal_L1..5; (bias, BN shift) constants
_SPATIAL = [(11, 0), (2, 1), (9, 1), (6, 0), (10, 0), (8, 1), (10, 0), (9, 1)]
_TEMPORAL = [(5, 1), (4, 1), (12, 1), (9, 0), (8, 1)]
_TEMPORAL_CONST = [(320, 307), (316, 317), (315, 319), (312, 310), (314, 304)]
_DENSE = ["dense", "dense_1", "dense_2", "merge_output"]


class Bounded(NamedTuple):
    """Float64 values and the bound on the error of a float32 pass, as numpy."""

    value: np.ndarray
    bound: np.ndarray


class Reference(NamedTuple):
    """The float64 pass of (map, chunk) pairs and the float32 bounds.

    ``logits.bound`` bounds the whole float32 pass; ``spatial_bound`` and
    ``temporal_bound`` the part of it due to one branch (its rounding errors
    alone, seen at the logits). ``proba_lo`` and ``proba_hi`` enclose any
    float32 softmax output.
    """

    spatial: np.ndarray  # (B, 1372) flattened spatial features
    temporal: np.ndarray  # (B, 44039) flattened temporal features
    logits: Bounded  # (B, 4)
    spatial_bound: np.ndarray  # (B, 4)
    temporal_bound: np.ndarray  # (B, 4)
    proba: np.ndarray
    proba_lo: np.ndarray
    proba_hi: np.ndarray


class _Tape:
    """Where a float32 pass rounds: (branch, tensor, magnitude, units).

    ``random`` roundings of at most ``u * magnitude`` per element enter the
    variance, ``systematic`` ones (the same in every chunk) are added in full.
    """

    def __init__(self, record: bool) -> None:
        self.record = record
        self.items: list = []

    def add(self, branch, tensor, magnitude, random, systematic=0) -> None:
        if self.record:
            tensor.retain_grad()
            self.items.append((branch, tensor, magnitude, random, systematic))


@functools.cache
def _weights(fname: str, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    from mne_icalabel.megnet.network.torch import read_onnx_weights

    # float32 weights are exact in float64
    return {
        name: torch.from_numpy(np.asarray(value, np.float64)).to(dtype)
        for name, value in read_onnx_weights(fname).items()
    }


def _suffix(k: int) -> str:
    return "" if k == 0 else f"_{k}"


def _linear(tape, branch, fun, x, weight, bias, n_terms, systematic=0):
    """``fun(x, weight) + bias``, with the rounding of its sums on the tape."""
    z = fun(x, weight) + bias
    if tape.record:
        with torch.no_grad():  # the copies of a tape are equal: the first one
            magnitude = fun(x.detach()[:1].abs(), weight.abs()) + bias.abs()
        tape.add(branch, z, magnitude, n_terms + 2, systematic)
    return z


def _prelu(tape, branch, x, neg):
    """Keras PReLU with the stored ``N = -alpha``: one rounding of ``alpha * x``."""
    y = torch.where(x > 0, x, -neg * x)
    if tape.record:
        x = x.detach()[:1]
        tape.add(branch, y, (neg * x).abs() * (x < 0), 1)
    return y


def _pool(x, dims):
    """Max pooling by 2 (floor) along ``dims``: exact, 1-Lipschitz."""
    for dim in dims:
        end = x.shape[dim] // 2 * 2
        x = torch.maximum(
            x.narrow(dim, 0, end).unfold(dim, 2, 2)[..., 0],
            x.narrow(dim, 0, end).unfold(dim, 2, 2)[..., 1],
        )
    return x


def _same(kernel: int) -> tuple[int, int]:
    return (kernel - 1) // 2, kernel // 2  # TF "same": the extra sample at the end


def _spatial(w, x, tape):
    """(B, 120, 120, 3) topomaps -> (B, 1372) flattened features."""
    x = x.permute(0, 3, 1, 2)
    for k, (kernel, pool) in enumerate(_SPATIAL):
        weight = w[f"spatial_L{k + 1}/Conv2D/ReadVariableOp:0"]
        bias = w[f"spatial_L{k + 1}/BiasAdd/ReadVariableOp:0"][:, None, None]
        pads = _same(kernel) * 2

        def conv(x, weight, pads=pads):
            # channels-last memory: the fast oneDNN kernels for float32
            x = F.pad(x, pads).contiguous(memory_format=torch.channels_last)
            return F.conv2d(x, weight.contiguous(memory_format=torch.channels_last))

        x = _linear(tape, "spatial", conv, x, weight, bias, weight[0].numel())
        x = _prelu(tape, "spatial", x, w[f"p_re_lu{_suffix(k)}/Neg:0"].permute(2, 0, 1))
        bn = f"batch_normalization{_suffix(k)}"
        gamma, beta = w[f"{bn}/ReadVariableOp:0"], w[f"{bn}/ReadVariableOp_1:0"]
        mean = w[f"{bn}/FusedBatchNormV3/ReadVariableOp:0"]
        var = w[f"{bn}/FusedBatchNormV3/ReadVariableOp_1:0"]
        scale = (gamma / torch.sqrt(var + 1e-3))[:, None, None]
        mean, beta = mean[:, None, None], beta[:, None, None]
        magnitude = scale.abs() * (x.detach()[:1].abs() + mean.abs()) + beta.abs()
        x = (x - mean) * scale + beta
        tape.add("spatial", x, magnitude, BN_RANDOM, BN_SYSTEMATIC)
        if pool:
            x = _pool(x, (2, 3))
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def _temporal(w, x, tape):
    """(B, 15000) chunks -> (B, 44039) flattened features."""
    x = x[:, None, :]
    for k, ((kernel, pool), (bias, shift)) in enumerate(
        zip(_TEMPORAL, _TEMPORAL_CONST, strict=True)
    ):
        weight = w[f"temporal_L{k + 1}/Conv1D/ExpandDims_1:0"][:, :, 0]
        mul = w[f"batch_normalization_{8 + k}/batchnorm/mul:0"].reshape(-1, 1)
        shift = w[f"const_fold_opt__{shift}"].reshape(-1, 1)
        bias = w[f"const_fold_opt__{bias}"].reshape(-1, 1)

        pads = _same(kernel)

        def conv(x, weight, pads=pads):
            return F.conv1d(F.pad(x, pads), weight)

        # M (conv(x) + b) + A as one linear map: weights M W, bias M b + A
        x = _linear(
            tape,
            "temporal",
            conv,
            x,
            weight * mul[:, :, None],
            mul * bias + shift,
            weight[0].numel(),
            FOLD_UNITS,
        )
        x = _prelu(tape, "temporal", x, w[f"p_re_lu_{8 + k}/Neg:0"].T)
        if pool:
            x = _pool(x, (2,))
    return x.transpose(1, 2).reshape(x.shape[0], -1)


def _head(w, x, tape):
    """Dense layers on the concatenated features -> (B, 4) logits."""
    for k, layer in enumerate(_DENSE):
        weight = w[f"{layer}/MatMul/ReadVariableOp:0"]
        bias = w[f"{layer}/BiasAdd/ReadVariableOp:0"]
        x = _linear(tape, "head", torch.matmul, x, weight, bias, weight.shape[0])
        if k < 3:
            x = _prelu(tape, "head", x, w[f"p_re_lu_{13 + k}/Neg:0"])
    return x


def _softmax_interval(logits, error):
    """Probabilities and the interval of any float32 softmax of ``logits +- e``."""
    # rounding of z - max(z) in float32: one more error of the logits
    error = error + U32 * np.abs(logits - logits.max(axis=1, keepdims=True))
    logits, error = torch.from_numpy(logits), torch.from_numpy(error)
    proba = torch.softmax(logits, dim=1)
    eye = torch.eye(logits.shape[1], dtype=bool)[None]
    # p_c is largest with z_c + e_c and the other logits at z_j - e_j
    up, down = (logits + error)[:, None], (logits - error)[:, None]
    hi = torch.softmax(torch.where(eye, up, down), dim=-1).diagonal(dim1=1, dim2=2)
    lo = torch.softmax(torch.where(eye, down, up), dim=-1).diagonal(dim1=1, dim2=2)
    widen = SOFTMAX_UNITS * U32
    return (
        proba.numpy(),
        (lo * (1 - widen) - TINY).numpy(),
        (hi * (1 + widen) + TINY).numpy(),
    )


_OFF = _Tape(record=False)


@functools.cache
def _exact_spatial(fname: str, key: bytes) -> torch.Tensor:
    spatial = np.frombuffer(key, np.float32).reshape(1, 120, 120, 3)
    with torch.no_grad():
        return _spatial(
            _weights(fname, torch.float64),
            torch.from_numpy(spatial.astype(np.float64)),
            _OFF,
        )[0]


@functools.cache
def _exact_temporal(fname: str, key: bytes) -> torch.Tensor:
    temporal = np.frombuffer(key, np.float32)[None]
    with torch.no_grad():
        return _temporal(
            _weights(fname, torch.float64),
            torch.from_numpy(temporal.astype(np.float64)),
            _OFF,
        )[0]


@functools.cache
def _pair_bound(fname: str, spatial_key: bytes, temporal_key: bytes) -> np.ndarray:
    """(3, 4) bounds of the 4 logits of a pair: whole pass, spatial, temporal.

    One float32 pass on 4 copies of the pair, copy c backpropagating logit c:
    the gradient of logit c with respect to every rounded quantity.
    """
    w = _weights(fname, torch.float32)
    spatial = torch.from_numpy(
        np.frombuffer(spatial_key, np.float32).copy().reshape(1, 120, 120, 3)
    )
    temporal = torch.from_numpy(np.frombuffer(temporal_key, np.float32).copy()[None])
    spatial, temporal = spatial.repeat(4, 1, 1, 1), temporal.repeat(4, 1)
    spatial.requires_grad_(True)
    temporal.requires_grad_(True)
    tape = _Tape(record=True)
    features = torch.cat([_spatial(w, spatial, tape), _temporal(w, temporal, tape)], 1)
    logits = _head(w, features, tape)
    logits.diagonal().sum().backward()
    variance = {
        branch: torch.zeros(4, dtype=torch.float64)
        for branch in ("spatial", "temporal", "head")
    }
    systematic = {branch: torch.zeros(4, dtype=torch.float64) for branch in variance}
    with torch.no_grad():
        for branch, tensor, magnitude, random, sys_units in tape.items:
            gm = (tensor.grad * magnitude).reshape(4, -1).double()
            variance[branch] += random * gm.square().sum(axis=1)
            if sys_units:
                systematic[branch] += sys_units * gm.abs().sum(axis=1)

    def bound(*branches):
        var = sum(variance[b] for b in branches)
        sys = sum(systematic[b] for b in branches)
        return (LAMBDA * U32 * var.sqrt() + U32 * sys) * F64_SCALE

    return torch.stack(
        [bound("spatial", "temporal", "head"), bound("spatial"), bound("temporal")]
    ).numpy()


def reference(spatial, temporal, component=None) -> Reference:
    """The float64 pass of float32 chunks and their bounds, cached per input.

    Parameters
    ----------
    spatial : ndarray of shape (n_maps, 120, 120, 3)
        float32 topomaps.
    temporal : ndarray of shape (n_chunks, 15000)
        float32 chunks.
    component : ndarray of shape (n_chunks,) | None
        Map of each chunk; None: chunk i goes with map i.
    """
    from mne_icalabel.megnet.network import BACKENDS

    fname = str(BACKENDS.weights_path("onnx"))
    spatial = np.asarray(spatial, np.float32)
    temporal = np.asarray(temporal, np.float32).reshape(len(temporal), -1)
    if component is None:
        component = np.arange(temporal.shape[0])
    spatial_keys = [np.ascontiguousarray(spatial[c]).tobytes() for c in component]
    temporal_keys = [np.ascontiguousarray(chunk).tobytes() for chunk in temporal]
    fs = torch.stack([_exact_spatial(fname, key) for key in spatial_keys])
    ft = torch.stack([_exact_temporal(fname, key) for key in temporal_keys])
    with torch.no_grad():
        logits = _head(_weights(fname, torch.float64), torch.cat([fs, ft], 1), _OFF)
    logits = logits.numpy()
    bounds = np.stack(
        [
            _pair_bound(fname, *keys)
            for keys in zip(spatial_keys, temporal_keys, strict=True)
        ]
    )
    proba, lo, hi = _softmax_interval(logits, bounds[:, 0])
    return Reference(
        fs.numpy(),
        ft.numpy(),
        Bounded(logits, bounds[:, 0]),
        bounds[:, 1],
        bounds[:, 2],
        proba,
        lo,
        hi,
    )


def head_logits(spatial_features, temporal_features) -> np.ndarray:
    """The head in float64 on given flattened features: (B, 4) logits."""
    from mne_icalabel.megnet.network import BACKENDS

    w = _weights(str(BACKENDS.weights_path("onnx")), torch.float64)
    features = np.concatenate([spatial_features, temporal_features], axis=1)
    with torch.no_grad():
        return _head(w, torch.from_numpy(features.astype(np.float64)), _OFF).numpy()


def assert_within(values, bounded: Bounded, name: str = "") -> float:
    """``|values - value| <= bound`` element-wise; returns the worst ratio."""
    ratio = np.abs(np.asarray(values, np.float64) - bounded.value) / bounded.bound
    worst = np.unravel_index(ratio.argmax(), ratio.shape)
    assert ratio.max() <= 1, (
        f"{name}: |delta| = {ratio.max() * bounded.bound[worst]:.3g} exceeds the "
        f"float32 bound {bounded.bound[worst]:.3g} at {worst}, "
        f"{int((ratio > 1).sum())} entries over"
    )
    return float(ratio.max())


def assert_proba_within(proba, ref: Reference, name: str = "") -> None:
    """float32 probabilities inside the softmax interval of ``ref``."""
    proba = np.asarray(proba, np.float64)
    outside = (proba < ref.proba_lo) | (proba > ref.proba_hi)
    assert not outside.any(), (
        f"{name}: {int(outside.sum())} probabilities outside the float32 interval, "
        f"e.g. {proba[outside][:3]} not in "
        f"[{ref.proba_lo[outside][:3]}, {ref.proba_hi[outside][:3]}]"
    )


def vote_interval(time_series, topomaps, picks) -> tuple[np.ndarray, np.ndarray]:
    """Where any float32 MEGNet puts the voted probabilities of ``picks``.

    ``q_c = sum_s v_s p_sc / sum_k sum_s v_s p_sk`` increases with every
    ``p_sc`` and decreases with the other classes' (MEGNET.md §5): the chunk
    intervals of ``reference`` give an exact interval of ``q``, widened by the
    float64 rounding of the vote (``4 n_starts + 4`` roundings).

    Returns
    -------
    lo, hi : ndarray of shape (len(picks), 4)
    """
    from mne_icalabel.megnet._voting import CHUNK_LEN, _vote_weights

    starts, votes = _vote_weights(time_series.shape[1])
    chunks = np.stack(
        [time_series[k, s : s + CHUNK_LEN] for k in picks for s in starts]
    ).astype(np.float32)
    component = np.repeat(np.arange(len(picks)), starts.size)
    ref = reference(topomaps[picks].astype(np.float32), chunks, component)
    shape = (len(picks), starts.size, -1)
    lo = np.einsum("csk,s->ck", ref.proba_lo.clip(0).reshape(shape), votes)
    hi = np.einsum("csk,s->ck", ref.proba_hi.clip(max=1).reshape(shape), votes)
    q_lo = lo / (lo + hi.sum(axis=1, keepdims=True) - hi)
    q_hi = hi / (hi + lo.sum(axis=1, keepdims=True) - lo)
    widen = (4 * starts.size + 4) * 2.0**-53
    return q_lo * (1 - widen), q_hi * (1 + widen)
