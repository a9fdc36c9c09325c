"""Tests of the ICLabel network: references, backends, inputs, caching."""

from __future__ import annotations

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
from mne_icalabel.iclabel.network import _backends, _format_input, _run
from mne_icalabel.iclabel.network._state_dict import read_state_dict

BACKENDS = list(_backends.BACKENDS)
# Max |delta| to the MATLAB references measured with float32 torch, onnxruntime
# and NumPy: 6.6e-7 / 8.3e-7 (raw), 1.6e-6 (epo); the float32 MatConvNet
# reference itself is 1e-6 away from a float64 forward pass. The upstream test
# is np.allclose with atol 1e-7 (rtol 1e-5); we also bound the absolute error.
REF_RTOL, REF_ATOL, REF_MAX = 1e-5, 1e-7, 2e-6


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each backend; skipped only if its optional package is not installed."""
    package = _backends.BACKENDS[request.param]
    if package is not None:
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
    assert np.abs(labels - reference).max() < REF_MAX


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
    module, model = _backends._get_model(backend)
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
    """The backends agree with each other and with a float64 forward pass.

    Inputs: EEGLAB features of random components plus noise, so that the
    outputs are realistic, not saturated (pure noise gives probabilities of 1).
    """
    for package in filter(None, _backends.BACKENDS.values()):
        pytest.importorskip(package)
    features = _realistic_features(n_components, n_components, iclabel_path)
    labels = {name: run_iclabel(*features, backend=name) for name in BACKENDS}
    # float64 reference: the NumPy forward pass with float64 parameters
    module, params = _backends._get_model("numpy")
    params64 = {key: value.astype(np.float64) for key, value in params.items()}
    batch64 = [x.astype(np.float64) for x in _format_input(*features)]
    exact = module.run(params64, *batch64)
    assert_allclose(exact.sum(axis=1), 1, atol=1e-12)
    assert exact.max(axis=1).min() < 0.99  # not saturated
    for name, label in labels.items():
        assert label.shape == (n_components, 7)
        assert label.dtype == np.float32
        assert_allclose(label.sum(axis=1), 1, atol=1e-6)
        # float32 rounding only: measured max |delta| <= 1.05e-6 for each backend
        assert_allclose(label, exact, rtol=1e-5, atol=1e-6, err_msg=name)
        assert np.abs(label - exact).max() < 2e-6, name
    # pairwise, measured <= 0.5e-6 (torch-onnx), 1.2e-6 (numpy-torch, numpy-onnx)
    for first, second in (("torch", "onnx"), ("numpy", "torch"), ("numpy", "onnx")):
        assert_allclose(labels[first], labels[second], rtol=1e-5, atol=1e-6)
        assert np.abs(labels[first] - labels[second]).max() < 2e-6


def test_torch_image_chunks_do_not_change_results(monkeypatch, iclabel_path):
    """The image branch in chunks of maps gives the whole batch's numbers."""
    pytest.importorskip("torch")
    from mne_icalabel.iclabel.network import torch as torch_backend

    features = _realistic_features(30, 5, iclabel_path)  # 120 maps
    monkeypatch.setattr(torch_backend, "_IMAGE_CHUNK", 1000)
    whole = run_iclabel(*features, backend="torch")
    monkeypatch.setattr(torch_backend, "_IMAGE_CHUNK", 7)
    chunked = run_iclabel(*features, backend="torch")
    assert_allclose(chunked, whole, rtol=0, atol=1e-7)


def test_numpy_backend_splits_large_batches(monkeypatch, iclabel_path):
    """Bounding the im2col memory splits the batch without changing results."""
    from mne_icalabel.iclabel.network import numpy as numpy_backend

    features = _realistic_features(2, 5, iclabel_path)
    expected = run_iclabel(*features, backend="numpy")
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
    assert_allclose(labels, expected, rtol=1e-5, atol=1e-6)


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
        from mne_icalabel.iclabel.network._backends import _select_backend

        assert _select_backend(None) == "numpy"
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
    get_model = _run._get_model

    def spy(name):
        used.append(name)
        return get_model(name)

    monkeypatch.setattr(_run, "_get_model", spy)
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


def test_array_like_inputs():
    """Nested lists and float64 / integer arrays are accepted."""
    features = _good()
    expected = run_iclabel(*features, backend="numpy")
    as_lists = [array.tolist() for array in features]
    assert_allclose(run_iclabel(*as_lists, backend="numpy"), expected, atol=1e-7)
    as_double = [array.astype(np.float64) for array in features]
    assert_array_equal(run_iclabel(*as_double, backend="numpy"), expected)
    as_int = [np.zeros(array.shape, np.int64) for array in features]
    labels = run_iclabel(*as_int, backend="numpy")
    assert labels.dtype == np.float32
    assert_allclose(labels.sum(axis=1), 1, atol=1e-6)


# -- loading: cache and corrupt weights ----------------------------------------------


def test_model_loaded_once(backend, monkeypatch):
    """Each backend loads its network once per process."""
    monkeypatch.setattr(_backends, "_MODELS", {})
    module = _backends._backend_module(backend)
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
    [(name, fname)] = _backends._MODELS
    assert name == backend
    assert Path(fname).name == module.WEIGHTS


def test_corrupt_weights_not_loaded(backend, weights_dir, tmp_path, monkeypatch):
    """A corrupt weights file raises WeightsError before it is parsed."""
    module = _backends._backend_module(backend)
    corrupt = tmp_path / module.WEIGHTS
    shutil.copyfile(weights_dir / module.WEIGHTS, corrupt)
    with open(corrupt, "r+b") as fid:
        fid.seek(1000)
        byte = fid.read(1)
        fid.seek(1000)
        fid.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setenv("MNE_ICALABEL_WEIGHTS_PATH", str(tmp_path))
    monkeypatch.setattr(_backends, "_MODELS", {})
    monkeypatch.setattr(weights_module, "_VERIFIED", set())

    def must_not_load(fname):
        raise AssertionError(f"{fname} was loaded")

    monkeypatch.setattr(module, "load", must_not_load)
    with pytest.raises(WeightsError, match=f"{module.WEIGHTS}.*SHA256") as info:
        run_iclabel(*_random_features(2, seed=4), backend=backend)
    assert weights_module.WEIGHTS[module.WEIGHTS][1] in str(info.value)
    assert not _backends._MODELS
