"""Tests of the ICLabel network: references, backends, inputs, caching."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.io import loadmat

from mne_icalabel.datasets import weights as weights_module
from mne_icalabel.datasets.weights import WeightsError
from mne_icalabel.iclabel import run_iclabel
from mne_icalabel.iclabel.network import _format_input
from mne_icalabel.iclabel.network._backends import BACKENDS as NETWORK
from mne_icalabel.iclabel.network._state_dict import read_state_dict

BACKENDS = list(NETWORK.names)
# The MATLAB references: np.allclose as upstream and ICLABEL.md section 8
# (rtol 1e-5, atol 1e-7). Between our float32 backends and a float64 forward
# pass, the bound of ``_float64_forward_and_bound`` below.
REF_RTOL, REF_ATOL = 1e-5, 1e-7

# -- a float64 forward pass and the error bound of any float32 one -------------
#
# Every correctly rounded float32 operation has a relative error of at most the
# unit roundoff u = 2**-24. To first order in u, the error of a float32 forward
# pass is a linear combination sum_k a_k delta_k of the rounding errors
# |delta_k| <= u of its operations. For a convolution or dense unit
# z = sum_i w_i x_i + b, computed in any order (any BLAS / oneDNN / MLAS kernel,
# blocking, FMA, thread count), the n products and the n additions each make
# one rounding error of at most u * m, where m = sum_i |w_i x_i| + |b| (every
# partial sum is at most m); LeakyReLU's 0.2 * z one more. An error delta of z
# reaches the output p as (dp/dz) * delta. So, with g = dp/dz,
#     sum_k a_k^2 <= sum over units of (n + 2) * (g * m)^2.
# Rounding errors behave as independent, mean-zero random variables (the model
# of Higham & Mary, SIAM J. Sci. Comput. 41(5), 2019); Hoeffding's inequality
# then bounds |error| by LAMBDA * u * sqrt(sum_k a_k^2) except with probability
# 2 exp(-LAMBDA^2 / 2) = 2.5e-14 per output (LAMBDA = 8). The worst case
# (all errors of one sign) is useless here: it exceeds 1 for realistic inputs.
# Not random, hence added in full: the slope 0.2 is 0.2 * (1 + 1.5e-8) in float32
# (< u, over all negative units), and the softmax and 4-way mean: exp within
# 4 ulp (8 u) in numerator and denominator, 6 additions, 1 division, 3
# additions of the mean (the division by 4 is exact): 26 u of p, taken as 32 u.
# The four copies of a component share the psds and autocorr inputs (an
# implementation may compute those branches once, as the NumPy backend does),
# so their rounding errors add coherently: (sum over copies of |g|)^2; the same
# is taken for the dense layer. Dropped: second-order terms, O(u^2) relative.
# Outside the argument: convolutions by transforms (Winograd, FFT), which
# onnxruntime and oneDNN do not choose for float32 here. For scale (not part of
# the bound): the backends use 0.1-2% of it on an AMD EPYC, any of the three
# settings of the README's test section; the last layer's weights scaled by
# 1 + 1e-3, a dropped bias or one augmentation copy instead of four exceed it.
U32 = 2.0**-24
U64 = 2.0**-53
LAMBDA = 8.0
SOFTMAX_UNITS = 32
_LAYOUT = {
    "img_conv": (2, (1, 1)),
    "psds_conv": (1, (0, 1)),
    "autocorr_conv": (1, (0, 1)),
}


def _matmul(x: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``x @ matrix`` over the last axis as one 2-D product (not one per row)."""
    # contiguous operands: else NumPy skips BLAS
    out = np.reshape(x, (-1, x.shape[-1])) @ np.ascontiguousarray(matrix)
    return out.reshape(x.shape[:-1] + (matrix.shape[1],))


def _conv(x: np.ndarray, weight: np.ndarray, stride: int, pad: tuple) -> np.ndarray:
    """Cross-correlation, channels-last: (B, H, W, C_in) x (kh, kw, C_in, C_out).

    Written apart from the backends: one matrix product per kernel offset.
    """
    kh, kw = weight.shape[:2]
    x = np.pad(x, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1]), (0, 0)))
    h_out = (x.shape[1] - kh) // stride + 1
    w_out = (x.shape[2] - kw) // stride + 1
    return sum(
        _matmul(
            x[:, i : i + stride * h_out : stride, j : j + stride * w_out : stride],
            weight[i, j],
        )
        for i in range(kh)
        for j in range(kw)
    )


def _conv_backward(grad, weight, stride, pad, shape) -> np.ndarray:
    """Gradient of ``_conv`` with respect to its input (of ``shape``)."""
    kh, kw = weight.shape[:2]
    h_out, w_out = grad.shape[1:3]
    padded = np.zeros(
        (shape[0], shape[1] + 2 * pad[0], shape[2] + 2 * pad[1], shape[3]), grad.dtype
    )
    for i in range(kh):
        for j in range(kw):
            rows = (slice(None), slice(i, i + stride * h_out, stride))
            cols = (slice(j, j + stride * w_out, stride),)
            padded[rows + cols] += _matmul(grad, weight[i, j].T)
    return padded[:, pad[0] : pad[0] + shape[1], pad[1] : pad[1] + shape[2]]


@functools.cache
def _reference(n_components: int, seed: int, iclabel_path: Path) -> tuple:
    """Realistic features, their float64 probabilities and the float32 bound.

    Cached: the bound costs 7 backward passes (one per class).
    """
    features = _realistic_features(n_components, seed, iclabel_path)
    return (features, *_float64_forward_and_bound(features))


def _float64_forward_and_bound(features) -> tuple[np.ndarray, np.ndarray]:
    """ICLabel in float64, and the bound on the error of a float32 pass.

    Returns the (N, 7) probabilities and the (N, 7) bound, see above. The
    gradients and magnitudes in the bound are computed in float32 (a bound needs
    no more digits); the probabilities and the signs of z in float64.
    """
    state = read_state_dict(weights_module.get_weights_path("ICLabelNet.pt"))
    params = {key: value.astype(np.float64) for key, value in state.items()}
    inputs = [
        x.astype(np.float64).transpose(0, 2, 3, 1) for x in _format_input(*features)
    ]
    batch = inputs[0].shape[0]
    n = batch // 4
    layers, outputs = [], []
    for (branch, (stride, pad)), x in zip(_LAYOUT.items(), inputs, strict=True):
        for name in ("conv1", "conv2", "conv3"):
            weight = params[f"{branch}.{name}.weight"].transpose(2, 3, 1, 0)
            bias = params[f"{branch}.{name}.bias"]
            z = _conv(x, weight, stride, pad) + bias
            weight, x_abs = (
                np.abs(weight).astype(np.float32),
                np.abs(x).astype(np.float32),
            )
            mag = _conv(x_abs, weight, stride, pad) + np.abs(bias).astype(np.float32)
            slope = np.where(z > 0, 1, 0.2).astype(np.float32)
            weight = state[f"{branch}.{name}.weight"].transpose(2, 3, 1, 0)
            first = name == "conv1"  # no gradient needed for the inputs
            layers.append((branch, first, x.shape, weight, stride, pad, z, mag, slope))
            x = np.where(z > 0, z, 0.2 * z)
        outputs.append(x)
    image, psds, autocorr = outputs  # (B, 4, 4, 512), (B, 1, 100, 1) x 2
    grid = (batch, 4, 4, 100)
    x = np.concatenate(
        [image]
        + [
            np.broadcast_to(y.reshape(batch, 1, 1, 100), grid) for y in (psds, autocorr)
        ],
        axis=3,
    ).reshape(batch, -1)
    weight = params["conv.weight"].transpose(2, 3, 1, 0).reshape(-1, 7)
    logits = x @ weight + params["conv.bias"]
    mag = np.abs(x) @ np.abs(weight) + np.abs(params["conv.bias"])
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    exact = proba.reshape(4, n, 7).mean(axis=0)

    def copies(values):  # (B, ...) -> (N,): the 4 copies' errors add coherently
        return np.square(np.abs(values).reshape(4, n, -1).sum(axis=0)).sum(axis=1)

    variance, systematic = np.zeros((n, 7)), np.zeros((n, 7))
    for c in range(7):
        # d mean(p[:, c]) / d logits; + 4: the rounding of logits - max(logits)
        grad = 0.25 * proba[:, [c]] * (np.eye(7)[c] - proba)
        variance[:, c] += (x.shape[1] + 5) * copies(grad * mag)
        grad_x = (grad @ weight.T).astype(np.float32).reshape(batch, 4, 4, 712)
        grads = {
            "img_conv": grad_x[..., :512],
            "psds_conv": grad_x[..., 512:612]
            .sum(axis=(1, 2))
            .reshape(batch, 1, 100, 1),
            "autocorr_conv": grad_x[..., 612:]
            .sum(axis=(1, 2))
            .reshape(batch, 1, 100, 1),
        }
        for branch, first, shape, weight_l, stride, pad, z, mag_l, slope in layers[
            ::-1
        ]:
            grad_z = grads[branch] * slope
            if branch == "img_conv":  # each copy has its own input
                contrib = np.square(grad_z * mag_l).reshape(4, n, -1).sum(axis=(0, 2))
            else:
                contrib = copies(grad_z * mag_l)
            variance[:, c] += (weight_l[..., 0].size + 2) * contrib
            negative = np.abs(grad_z * z) * (z < 0)
            systematic[:, c] += negative.reshape(4, n, -1).sum(axis=(0, 2))
            if not first:
                grads[branch] = _conv_backward(grad_z, weight_l, stride, pad, shape)
    bound = LAMBDA * U32 * np.sqrt(variance) + U32 * systematic
    return exact, bound + SOFTMAX_UNITS * U32 * exact


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each backend; skipped only if its optional package is not installed."""
    for package in NETWORK[request.param].packages:
        pytest.importorskip(package)
    return request.param


def _eeglab_layout(formatted: np.ndarray) -> np.ndarray:
    """Undo the NCHW transpose of ``_format_input``: (B, C, H, W) -> (H, W, C, B)."""
    return np.transpose(formatted, (2, 3, 1, 0))


def _random_features(n_components: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    shapes = ((32, 32, 1), (1, 100, 1), (1, 100, 1))
    return tuple(
        rng.uniform(-0.99, 0.99, shape + (n_components,)).astype(np.float32)
        for shape in shapes
    )


def _realistic_features(
    n_components: int, seed: int, iclabel_path: Path
) -> list[np.ndarray]:
    """EEGLAB features of random components plus noise (unsaturated outputs)."""
    rng = np.random.default_rng(seed)
    eeglab = loadmat(iclabel_path / "features" / "features-epo.mat")["features"][0]
    picks = rng.integers(0, eeglab[0].shape[3], n_components)
    return [
        (array[..., picks] + rng.normal(0, 0.05, array.shape[:3] + (n_components,)))
        .clip(-0.99, 0.99)
        .astype(np.float32)
        for array in eeglab
    ]


def _assert_reference(labels: np.ndarray, reference: np.ndarray) -> None:
    assert labels.dtype == np.float32
    assert labels.shape == reference.shape
    assert_allclose(labels, reference, rtol=REF_RTOL, atol=REF_ATOL)


# -- references ----------------------------------------------------------------


def test_network_reference(backend, iclabel_path):
    """MatConvNet forward pass on the formatted MATLAB input."""
    cell = loadmat(iclabel_path / "network" / "network_input.mat")["input"][0]
    assert [str(cell[i][0]) for i in (0, 2, 4)] == [
        "in_image",
        "in_psdmed",
        "in_autocorr",
    ]
    formatted = [cell[i] for i in (1, 3, 5)]  # (32, 32, 1, 120), (1, 100, 1, 120) x2
    reference = loadmat(iclabel_path / "network" / "network_output.mat")["labels"]
    n_components = reference.shape[0]
    features = [array[..., :n_components] for array in formatted]
    # the MATLAB input is exactly our augmentation of its first N components
    for ours, theirs in zip(_format_input(*features), formatted, strict=True):
        assert_array_equal(_eeglab_layout(ours), theirs)
    _assert_reference(run_iclabel(*features, backend=backend), reference)
    # the backend alone on the MATLAB-formatted batch
    module, model = NETWORK.load(backend)
    batch = [np.ascontiguousarray(np.transpose(a, (3, 2, 0, 1))) for a in formatted]
    _assert_reference(np.asarray(module.run(model, *batch)), reference)


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_features_reference(backend, kind, iclabel_path):
    """``run_ICL('default', features{:})`` on EEGLAB's features."""
    features = loadmat(iclabel_path / "features" / f"features-{kind}.mat")
    features = list(features["features"][0])
    reference = loadmat(iclabel_path / f"iclabel-output-{kind}.mat")["labels"]
    labels = run_iclabel(*features, backend=backend)
    _assert_reference(labels, reference)
    assert_array_equal(labels.argmax(axis=1), reference.argmax(axis=1))


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_format_input(kind, iclabel_path):
    """The 4-way augmentation equals EEGLAB's, exactly."""
    features = loadmat(iclabel_path / "features" / f"features-{kind}.mat")
    formatted = loadmat(iclabel_path / "features" / f"features-formatted-{kind}.mat")
    ours = _format_input(*features["features"][0])
    shapes = [(120, 1, 32, 32), (120, 1, 1, 100), (120, 1, 1, 100)]
    for array, theirs, shape in zip(
        ours, formatted["features"][0], shapes, strict=True
    ):
        assert array.shape == shape
        assert array.dtype == np.float32
        assert array.flags.c_contiguous
        assert_array_equal(_eeglab_layout(array), theirs)


# -- backends --------------------------------------------------------------------


@pytest.mark.parametrize("n_components", [1, 13, 30])
def test_backends_agree(n_components, iclabel_path):
    """Each backend is within the float32 error bound of a float64 forward pass.

    Inputs: EEGLAB features of random components plus noise, so that the
    outputs are realistic, not saturated (pure noise gives probabilities of 1).
    Two backends then agree within twice the bound (not asserted: implied).
    """
    for name in NETWORK.names:
        for package in NETWORK[name].packages:
            pytest.importorskip(package)
    features, exact, bound = _reference(n_components, n_components, iclabel_path)
    # a softmax sums to 1 up to its own rounding and the sum's 6 additions
    assert_allclose(exact.sum(axis=1), 1, rtol=0, atol=(SOFTMAX_UNITS + 6) * U64)
    assert exact.max(axis=1).min() < 0.99  # not saturated
    # the NumPy backend in float64 is the same pass: both within the float64 bound
    module, params = NETWORK.load("numpy")
    params64 = {key: value.astype(np.float64) for key, value in params.items()}
    batch64 = [x.astype(np.float64) for x in _format_input(*features)]
    _assert_within(module.run(params64, *batch64), exact, 2 * bound * U64 / U32)
    for name in BACKENDS:
        label = run_iclabel(*features, backend=name)
        assert label.shape == (n_components, 7)
        assert label.dtype == np.float32
        atol = (SOFTMAX_UNITS + 6) * U32
        assert_allclose(label.sum(axis=1), 1, rtol=0, atol=atol, err_msg=name)
        _assert_within(label, exact, bound, name)


def _assert_within(labels, exact, bound, name="") -> None:
    """|labels - exact| <= bound, element-wise; the message gives the worst ratio."""
    ratio = np.abs(labels.astype(np.float64) - exact) / bound
    worst = np.unravel_index(ratio.argmax(), ratio.shape)
    assert ratio.max() <= 1, (
        f"{name}: |delta| = {ratio.max() * bound[worst]:.3g} exceeds the float32 "
        f"bound {bound[worst]:.3g} at {worst}, {int((ratio > 1).sum())} entries over"
    )


def test_torch_image_chunks_do_not_change_results(monkeypatch, iclabel_path):
    """The image branch in chunks of maps stays within the float32 bound."""
    pytest.importorskip("torch")
    from mne_icalabel.iclabel.network import torch as torch_backend

    features, exact, bound = _reference(30, 30, iclabel_path)  # 120 maps
    monkeypatch.setattr(torch_backend, "_IMAGE_CHUNK", 1000)
    _assert_within(run_iclabel(*features, backend="torch"), exact, bound, "whole")
    monkeypatch.setattr(torch_backend, "_IMAGE_CHUNK", 7)
    _assert_within(run_iclabel(*features, backend="torch"), exact, bound, "chunks")


def test_numpy_backend_splits_large_batches(monkeypatch, iclabel_path):
    """Bounding the im2col memory splits the batch without changing results."""
    from mne_icalabel.iclabel.network import numpy as numpy_backend

    features, exact, bound = _reference(2, 5, iclabel_path)
    # a 1-byte bound: one component copy (of 4 x 2) per matrix product
    monkeypatch.setattr(numpy_backend, "_MAX_PATCH_BYTES", 1)
    calls = []
    matmul = np.matmul

    def counting_matmul(*args, **kwargs):
        calls.append(args[0].shape[0])
        return matmul(*args, **kwargs)

    monkeypatch.setattr(numpy_backend.np, "matmul", counting_matmul)
    labels = run_iclabel(*features, backend="numpy")
    monkeypatch.undo()
    # image branch: 3 layers x 8 copies; 1-D branches: 2 x 3 layers x 2
    # components (the four copies of a component share spectrum and autocorr)
    assert calls == [16 * 16] * 8 + [8 * 8] * 8 + [4 * 4] * 8 + [100] * 12
    # the same sums, blocked differently by BLAS: float32 rounding only
    _assert_within(labels, exact, bound)


def test_torch_module_loads_strictly(weights_dir):
    """ICLabelNet loads ICLabelNet.pt strictly; its tensors are the ONNX ones."""
    torch = pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    from mne_icalabel.iclabel.network.torch import ICLabelNet, load

    state = torch.load(weights_dir / "ICLabelNet.pt", weights_only=True)
    assert len(state) == 40
    net = ICLabelNet()
    assert set(net.state_dict()) == set(state)
    result = net.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # one of each alias pair is dropped: strict loading must fail
    with pytest.raises(RuntimeError, match="Missing key"):
        ICLabelNet().load_state_dict(
            {k: v for k, v in state.items() if k != "seq.0.bias"}, strict=True
        )
    model = load(weights_dir / "ICLabelNet.pt")
    assert not model.training
    # built on the meta device, then given the file's tensors: none left behind
    assert {t.device.type for t in model.state_dict().values()} == {"cpu"}
    params = {k: v.numpy() for k, v in model.state_dict().items()}
    graph = onnx.load(str(weights_dir / "ICLabelNet.onnx")).graph
    initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    assert len(initializers) == 20
    for name, value in initializers.items():
        assert params[name].dtype == np.float32
        assert_array_equal(params[name], value)
    for branch in ("img_conv", "psds_conv", "autocorr_conv"):
        for index, layer in ((0, "conv1"), (2, "conv2"), (4, "conv3")):
            for kind in ("weight", "bias"):
                assert_array_equal(
                    params[f"{branch}.sequential.{index}.{kind}"],
                    params[f"{branch}.{layer}.{kind}"],
                )
    assert_array_equal(params["seq.0.weight"], params["conv.weight"])
    # the torch-free reader gives the same tensors, in the same order
    numpy_state = read_state_dict(weights_dir / "ICLabelNet.pt")
    assert list(numpy_state) == list(state)
    for name, value in numpy_state.items():
        assert value.dtype == np.float32
        assert value.flags.c_contiguous
        assert_array_equal(value, state[name].numpy())


def test_state_dict_reader_rejects_other_globals(tmp_path):
    """The restricted unpickler refuses anything but tensors and dicts."""
    import pickle
    import zipfile

    fname = tmp_path / "evil.pt"
    with zipfile.ZipFile(fname, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(os.system, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="Unsupported object"):
        read_state_dict(fname)
    with zipfile.ZipFile(fname, "w") as archive:
        archive.writestr("archive/other.pkl", b"")
    with pytest.raises(pickle.UnpicklingError, match="not a PyTorch zip"):
        read_state_dict(fname)


def test_numpy_backend_without_torch_and_onnxruntime(iclabel_path, weights_dir):
    """With torch and onnxruntime unimportable, None selects NumPy, which works."""
    script = textwrap.dedent(
        f"""
        import sys
        for name in ("torch", "onnxruntime", "onnx"):
            sys.modules[name] = None  # makes 'import name' raise ImportError
        import numpy as np
        from scipy.io import loadmat
        from mne_icalabel.iclabel import run_iclabel
        from mne_icalabel.iclabel.network._backends import BACKENDS

        assert BACKENDS.resolve(None) == "numpy"
        path = {str(iclabel_path)!r}
        features = loadmat(path + "/features/features-raw.mat")["features"][0]
        reference = loadmat(path + "/iclabel-output-raw.mat")["labels"]
        labels = run_iclabel(*features)
        assert labels.dtype == np.float32, labels.dtype
        np.testing.assert_allclose(labels, reference, rtol=1e-5, atol=1e-7)
        for backend, package in (("torch", "torch"), ("onnx", "onnxruntime")):
            try:
                run_iclabel(*features, backend=backend)
            except ImportError as error:
                assert f"pip install {{package}}" in str(error), error
            else:
                raise AssertionError(f"backend={{backend!r}} did not raise")
        assert sys.modules["torch"] is None and sys.modules["onnxruntime"] is None
        print("max-abs", np.abs(labels - reference).max())
        """
    )
    env = dict(os.environ, MNE_ICALABEL_WEIGHTS_PATH=str(weights_dir))
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "max-abs" in result.stdout


# -- backend selection -------------------------------------------------------------


@pytest.mark.parametrize(
    "blocked, expected",
    [
        ((), "onnx"),
        (("torch",), "onnx"),
        (("onnxruntime",), "torch"),
        (("torch", "onnxruntime"), "numpy"),
    ],
)
def test_backend_none_order(blocked, expected, monkeypatch):
    """None picks onnxruntime, then torch, then NumPy."""
    for package in {"torch", "onnxruntime"} - set(blocked):
        pytest.importorskip(package)
    for package in blocked:
        monkeypatch.setitem(sys.modules, package, None)
    used = []
    get_model = NETWORK.load

    def spy(name):
        used.append(name)
        return get_model(name)

    monkeypatch.setattr(NETWORK, "load", spy)
    labels = run_iclabel(*_random_features(2, seed=0))
    assert used == [expected]
    assert labels.shape == (2, 7)


@pytest.mark.parametrize("name, package", [("torch", "torch"), ("onnx", "onnxruntime")])
def test_missing_backend_package(name, package, monkeypatch):
    """Requesting a backend whose package is missing says what to install."""
    monkeypatch.setitem(sys.modules, package, None)
    with pytest.raises(ImportError, match=f"pip install {package}") as info:
        run_iclabel(*_random_features(2, seed=0), backend=name)
    assert f"Missing optional dependency '{package}'" in str(info.value)
    assert f"backend '{name}'" in str(info.value)


def test_pytorch_alias():
    """backend='pytorch' (upstream's default) means torch."""
    pytest.importorskip("torch")
    features = _random_features(3, seed=1)
    assert_array_equal(
        run_iclabel(*features, backend="pytorch"),
        run_iclabel(*features, backend="torch"),
    )


# -- invalid inputs ----------------------------------------------------------------


def _good():
    return list(_random_features(3, seed=2))


def _with(index, value):
    features = _good()
    features[index] = value
    return features


def _nan_at(index, value=np.nan):
    features = _good()
    features[index][0, 1, 0, 2] = value
    return features


@pytest.mark.parametrize(
    "features, match",
    [
        (
            _with(0, np.zeros((3, 1, 32, 32), np.float32)),
            r"images must have shape "
            r"\(32, 32, 1, n_components\).*got \(3, 1, 32, 32\).*formatted",
        ),
        (_with(0, np.zeros((32, 32, 3), np.float32)), r"images .*got \(32, 32, 3\)"),
        (
            _with(1, np.zeros((1, 100, 3), np.float32)),
            r"psds must have shape "
            r"\(1, 100, 1, n_components\).*got \(1, 100, 3\)",
        ),
        (
            _with(2, np.zeros((1, 99, 1, 3), np.float32)),
            r"autocorr must have shape "
            r"\(1, 100, 1, n_components\).*got \(1, 99, 1, 3\)",
        ),
        (
            _with(1, np.zeros((1, 100, 1, 4), np.float32)),
            r"same number of "
            r"components.*\(32, 32, 1, 3\), \(1, 100, 1, 4\) and \(1, 100, 1, 3\)",
        ),
        (
            [
                np.zeros(s + (0,), np.float32)
                for s in ((32, 32, 1), (1, 100, 1), (1, 100, 1))
            ],
            r"At least one component.*\(32, 32, 1, 0\)",
        ),
        (
            _with(0, np.zeros((32, 32, 1, 3), complex)),
            r"images must be an array of "
            r"real numbers.*complex128",
        ),
        (_with(2, np.full((1, 100, 1, 3), "a")), r"autocorr must be an array of real"),
        (_with(1, np.zeros((1, 100, 1, 3), bool)), r"psds must be an array of real"),
        (_with(1, [[[[0.0]]], [[[0.0, 1.0]]]]), r"psds cannot be converted"),
        (_nan_at(0), r"images \(shape \(32, 32, 1, 3\)\) contains 1 NaN or infinite"),
        (_nan_at(1, np.inf), r"psds .* contains 1 NaN or infinite"),
        (_nan_at(2, -np.inf), r"autocorr .* contains 1 NaN or infinite"),
        (_with(0, np.full((32, 32, 1, 3), 1e39)), r"images .* contains 3072 NaN"),
    ],
)
def test_invalid_features(features, match):
    """Bad shapes, dtypes, sizes and values name the argument and the shapes."""
    with pytest.raises(ValueError, match=match):
        run_iclabel(*features, backend="numpy")


def test_invalid_backend():
    features = _good()
    with pytest.raises(ValueError, match="Invalid value for the 'backend' parameter"):
        run_iclabel(*features, backend="tensorflow")
    with pytest.raises(ValueError, match="'onnx', 'torch', and 'numpy'"):
        run_iclabel(*features, backend="Torch")
    with pytest.raises(TypeError, match="backend must be an instance of"):
        run_iclabel(*features, backend=1)
    with pytest.raises(TypeError, match="images must be an instance of"):
        run_iclabel(None, *features[1:], backend="numpy")


def test_array_like_inputs(iclabel_path):
    """Nested lists and float64 / integer arrays are accepted."""
    features, exact, bound = _reference(3, 2, iclabel_path)
    # the conversions are exact: the float32 pass is within its bound
    as_lists = [array.tolist() for array in features]
    _assert_within(run_iclabel(*as_lists, backend="numpy"), exact, bound, "lists")
    as_double = [array.astype(np.float64) for array in features]
    _assert_within(run_iclabel(*as_double, backend="numpy"), exact, bound, "float64")
    as_int = [np.zeros(array.shape, np.int64) for array in features]
    labels = run_iclabel(*as_int, backend="numpy")
    assert labels.dtype == np.float32
    assert_allclose(labels.sum(axis=1), 1, rtol=0, atol=(SOFTMAX_UNITS + 6) * U32)


# -- loading: cache and corrupt weights ----------------------------------------------


def test_model_loaded_once(backend, monkeypatch):
    """Each backend loads its network once per process."""
    monkeypatch.setattr(NETWORK, "_models", {})
    module = NETWORK.module(backend)
    loads = []
    load = module.load

    def counting_load(fname):
        loads.append(Path(fname).name)
        return load(fname)

    monkeypatch.setattr(module, "load", counting_load)
    features = _random_features(2, seed=3)
    first = run_iclabel(*features, backend=backend)
    second = run_iclabel(*features, backend=backend)
    assert loads == [module.WEIGHTS]
    assert_array_equal(first, second)
    [(name, fname)] = NETWORK._models
    assert name == backend
    assert Path(fname).name == module.WEIGHTS


def test_corrupt_weights_not_loaded(backend, weights_dir, tmp_path, monkeypatch):
    """A corrupt weights file raises WeightsError before it is parsed."""
    module = NETWORK.module(backend)
    corrupt = tmp_path / module.WEIGHTS
    shutil.copyfile(weights_dir / module.WEIGHTS, corrupt)
    with open(corrupt, "r+b") as fid:
        fid.seek(1000)
        byte = fid.read(1)
        fid.seek(1000)
        fid.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setenv("MNE_ICALABEL_WEIGHTS_PATH", str(tmp_path))
    monkeypatch.setattr(NETWORK, "_models", {})
    monkeypatch.setattr(weights_module, "_VERIFIED", set())

    def must_not_load(fname):
        raise AssertionError(f"{fname} was loaded")

    monkeypatch.setattr(module, "load", must_not_load)
    with pytest.raises(WeightsError, match=f"{module.WEIGHTS}.*SHA256") as info:
        run_iclabel(*_random_features(2, seed=4), backend=backend)
    assert weights_module.WEIGHTS[module.WEIGHTS][1] in str(info.value)
    assert not NETWORK._models
