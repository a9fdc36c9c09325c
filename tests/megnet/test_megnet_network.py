"""The onnxruntime and torch runners of MEGNet agree, and backends resolve."""

from __future__ import annotations

import numpy as np
import pytest

from mne_icalabel.megnet._voting import _vote_weights
from mne_icalabel.megnet.network import BACKENDS
from mne_icalabel.utils import _backend as backend_module

from ._bound import assert_proba_within, assert_within, head_logits, reference

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")


def _weights_fname() -> str:
    return str(BACKENDS.weights_path("onnx"))


def _runner(backend, batch_size=None):
    """The loaded runner of a backend, or a new one with another batch size."""
    runner = BACKENDS.load(backend)[1]
    return runner if batch_size is None else type(runner)(_weights_fname(), batch_size)


@pytest.fixture(scope="module")
def logits_model(weights_dir):
    """megnet.onnx with the logits and both flattened branches as extra outputs."""
    model = onnx.load(str(weights_dir / "megnet.onnx"))
    softmax = next(n for n in model.graph.node if n.op_type == "Softmax")
    concat = next(n for n in model.graph.node if n.op_type == "Concat")
    for name in [softmax.input[0], *concat.input]:
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
        )
    return model


@pytest.fixture(scope="module")
def logits_session(logits_model):
    """Session of ``logits_model``: proba, logits, spatial and temporal features."""
    return ort.InferenceSession(
        logits_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _torch_intermediates(spatial, temporal):
    net = _runner("torch").network
    with torch.inference_mode():
        fs = net.spatial(torch.from_numpy(spatial))
        ft = net.temporal(torch.from_numpy(temporal))
        logits = net.logits(net.dense_spatial(fs) + net.dense_temporal(ft))
    return fs.numpy(), ft.numpy(), logits.numpy()


def _assert_branches(ref, fs, ft, name):
    """Each branch's float32 output within that branch's share of the bound.

    Seen where they matter, at the logits: the float64 head on the float32
    features of one branch and the float64 features of the other.
    """
    spatial = ref.logits._replace(bound=ref.spatial_bound)
    temporal = ref.logits._replace(bound=ref.temporal_bound)
    assert_within(head_logits(fs, ref.temporal), spatial, f"{name} spatial")
    assert_within(head_logits(ref.spatial, ft), temporal, f"{name} temporal")


def _check_agreement(session, spatial, temporal):
    """Both runners within the float32 bound of the float64 pass (``_bound``).

    Each within the bound implies that they agree within twice the bound.
    """
    ref = reference(spatial, temporal)
    proba, logits, fs, ft = session.run(
        None, {"spatial_input": spatial, "temporal_input": temporal[:, :, None]}
    )
    t_fs, t_ft, t_logits = _torch_intermediates(spatial, temporal)
    for name, (f_s, f_t, z) in {
        "onnx": (fs, ft, logits),
        "torch": (t_fs, t_ft, t_logits),
    }.items():
        _assert_branches(ref, f_s, f_t, name)
        assert_within(z, ref.logits, f"{name} logits")
    component = np.arange(spatial.shape[0])
    p_onnx = _runner("onnx").predict(spatial, temporal, component)
    p_torch = _runner("torch").predict(spatial, temporal, component)
    np.testing.assert_array_equal(p_onnx, proba)  # the same session, same batch
    assert p_torch.shape == p_onnx.shape == (spatial.shape[0], 4)
    assert_proba_within(p_onnx, ref, "onnx")
    assert_proba_within(p_torch, ref, "torch")


def _random_inputs(n_maps, n_chunks, seed):
    rng = np.random.default_rng(seed)
    spatial = rng.uniform(0, 255, (n_maps, 120, 120, 3)).astype(np.float32)
    temporal = rng.standard_normal((n_chunks, 15000)).astype(np.float32)
    return spatial, temporal


def test_runners_agree_on_random_inputs(logits_session):
    _check_agreement(logits_session, *_random_inputs(2, 2, 42))


def test_runners_agree_on_real_topomaps(logits_session, meg_recording, meg_features):
    _check_agreement(logits_session, *_real_inputs(meg_recording, meg_features))


def _real_inputs(meg_recording, meg_features):
    """Topomaps of a few components and their last chunk, float32."""
    _, _, blink, heart = meg_recording
    time_series, topomaps = meg_features
    starts, _ = _vote_weights(time_series.shape[1])
    picks = sorted({blink, heart, 1, 5, 11, 17})
    spatial = topomaps[picks].astype(np.float32)
    temporal = time_series[picks, starts[-1] : starts[-1] + 15000]
    return spatial, temporal.astype(np.float32)


def test_split_graph_equals_whole(
    logits_model, logits_session, meg_recording, meg_features
):
    """Spatial half then temporal + head half = the whole graph, logits included.

    Probabilities of realistic inputs saturate to 0/1 in float32, so the logits
    (an extra output of the head half) are what is compared.
    """
    from mne_icalabel.megnet.network.onnx import _split_graph

    model = onnx.ModelProto()
    model.CopyFrom(logits_model)
    del model.graph.output[2:]  # keep proba and logits
    spatial_model, head_model, features = _split_graph(model)
    assert head_model is model  # cut in place: the head's weights not copied
    n_nodes = len(spatial_model.graph.node) + len(head_model.graph.node)
    assert n_nodes == len(logits_model.graph.node)  # each node in one half
    # each initializer in the half that reads it, none in both
    halves = [{i.name for i in m.graph.initializer} for m in (spatial_model, model)]
    assert not halves[0] & halves[1]
    assert halves[0] | halves[1] == {i.name for i in logits_model.graph.initializer}
    assert [i.name for i in head_model.graph.input] == [features, "temporal_input"]
    spatial_session, head_session = (
        ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        for m in (spatial_model, head_model)
    )
    real = _real_inputs(meg_recording, meg_features)
    for spatial, temporal in (real, _random_inputs(2, 2, 42)):
        ref = reference(spatial, temporal)
        temporal = temporal[:, :, None]
        whole = logits_session.run(
            None, {"spatial_input": spatial, "temporal_input": temporal}
        )
        (fs,) = spatial_session.run(None, {"spatial_input": spatial})
        proba, logits = head_session.run(
            None, {features: fs, "temporal_input": temporal}
        )
        # the same float32 computation in another grouping: each within the
        # bound of the float64 pass (see ``_check_agreement``)
        outputs = {"split": (fs, logits, proba), "whole": whole[2::-1]}
        for name, (f_s, z, p) in outputs.items():
            _assert_branches(ref, f_s, whole[3], name)
            assert_within(z, ref.logits, f"{name} logits")
            assert_proba_within(p, ref, name)


def test_split_runner_equals_whole_runner(meg_recording, meg_features):
    """Spatial features computed per component, repeated per chunk, any batch."""
    from mne_icalabel.megnet.network.onnx import OnnxRunner

    fname = _weights_fname()
    spatial, temporal = _real_inputs(meg_recording, meg_features)
    component = np.array([0, 0, 3, 1, 5, 5, 2, 4, 3])
    chunks = temporal[component]  # the pairs of _real_inputs, repeated
    ref = reference(spatial, chunks, component)
    whole = OnnxRunner(fname, split=False).predict(spatial, chunks, component)
    assert_proba_within(whole, ref, "whole")
    for batch_size in (2, 32):
        runner = OnnxRunner(fname, batch_size)
        assert runner.split
        # the same float32 computation grouped otherwise: within the same bound
        assert_proba_within(runner.predict(spatial, chunks, component), ref, "split")


class _Recorder:
    """An onnxruntime session that records the batch size of each call."""

    def __init__(self, session):
        self.session, self.sizes = session, []

    def run(self, output_names, feeds):
        self.sizes.append({name: len(value) for name, value in feeds.items()})
        return self.session.run(output_names, feeds)


def test_onnx_spatial_branch_one_topomap_per_call(meg_recording, meg_features):
    """The spatial branch sees SPATIAL_BATCH_SIZE maps per call, the head batches.

    Its convolutions unfold each map into ~20 MB of patches that
    onnxruntime's arena keeps: batching the maps as the chunks made the
    arena (and the process's peak memory) 140 MB larger.
    """
    from mne_icalabel.megnet.network._base import SPATIAL_BATCH_SIZE
    from mne_icalabel.megnet.network.onnx import OnnxRunner

    spatial, temporal = _real_inputs(meg_recording, meg_features)
    component = np.array([0, 0, 3, 1, 5, 5, 2, 4, 3, 1])
    runner = OnnxRunner(_weights_fname(), batch_size=4)
    sessions = runner.sessions
    spy = sessions._replace(
        spatial=_Recorder(sessions.spatial), head=_Recorder(sessions.head)
    )
    runner.sessions = spy
    got = runner.predict(spatial, temporal[component], component)
    assert SPATIAL_BATCH_SIZE == 1
    assert [size[spy.spatial_input] for size in spy.spatial.sizes] == [1] * 6
    assert [size[spy.temporal_input] for size in spy.head.sizes] == [4, 4, 2]
    ref = reference(spatial, temporal[component], component)
    assert_proba_within(got, ref, "onnx, one map per call")
    whole = OnnxRunner(_weights_fname(), batch_size=4, split=False)
    whole.session = _Recorder(whole.session)
    whole.predict(spatial, temporal[component], component)
    assert [len(size) for size in whole.session.sizes] == [2] * 10
    assert {size[whole.spatial_name] for size in whole.session.sizes} == {1}


def test_sessions_do_not_keep_the_serialised_model():
    """onnxruntime's Python session would keep the bytes it was built from."""
    import sys

    from mne_icalabel.utils._onnx import cpu_session

    serialised = onnx.load(_weights_fname()).SerializeToString()
    before = sys.getrefcount(serialised)
    session = cpu_session(serialised)
    assert sys.getrefcount(serialised) == before
    assert session.get_inputs()[0].name == "spatial_input"


def test_onnx_runner_without_onnx_package(monkeypatch):
    """Without the onnx package the whole graph runs per chunk, with a note."""
    from mne.utils import catch_logging

    from mne_icalabel.megnet.network import onnx as onnx_runner

    monkeypatch.setattr(onnx_runner, "has_module", lambda name: name != "onnx")
    spatial, temporal = _random_inputs(2, 2, 42)
    component = np.array([1, 0, 1])
    temporal = temporal[component]  # pairs of the cached reference
    fname = _weights_fname()
    with catch_logging(verbose="info") as log:
        runner = onnx_runner.OnnxRunner(fname)
    assert "'onnx' package is missing" in log.getvalue()
    assert not runner.split and not hasattr(runner, "sessions")
    monkeypatch.undo()
    split = onnx_runner.OnnxRunner(fname)
    assert split.split
    ref = reference(spatial, temporal, component)
    assert_proba_within(runner.predict(spatial, temporal, component), ref, "whole")
    assert_proba_within(split.predict(spatial, temporal, component), ref, "split")


def test_torch_spatial_once_and_batching():
    """Spatial branch per component + any batch size = the full forward."""
    from mne_icalabel.megnet.network.torch import TorchRunner

    spatial, temporal = _random_inputs(2, 2, 42)
    component = np.array([0, 1, 1, 0, 1])
    temporal = temporal[component]  # pairs of the cached reference
    ref = reference(spatial, temporal, component)
    net = _runner("torch").network
    with torch.inference_mode():
        full = net(
            torch.from_numpy(spatial[component]),
            torch.from_numpy(temporal[:, :, None]),
        ).numpy()
    fname = _weights_fname()
    for batch_size in (1, 2, 32):
        got = TorchRunner(fname, batch_size).predict(spatial, temporal, component)
        assert_proba_within(got, ref, f"torch, batches of {batch_size}")
    assert_proba_within(full, ref, "torch, whole")
    onnx_small = _runner("onnx", batch_size=2)
    assert_proba_within(onnx_small.predict(spatial, temporal, component), ref, "onnx")


def test_runners_are_loaded_once():
    assert _runner("onnx").sessions is _runner("onnx").sessions
    assert _runner("torch").network is _runner("torch").network


def test_backend_resolution(monkeypatch):
    assert BACKENDS.resolve("onnx") == "onnx"
    assert BACKENDS.resolve("torch") == "torch"
    assert BACKENDS.resolve(None) == "onnx"
    with pytest.raises(ValueError, match="Invalid value for the 'backend'"):
        BACKENDS.resolve("pytorch")
    no_ort = lambda name: name != "onnxruntime"  # noqa: E731
    monkeypatch.setattr(backend_module, "has_module", no_ort)
    assert BACKENDS.resolve(None) == "torch"
    monkeypatch.setattr(backend_module, "has_module", lambda name: False)
    with pytest.raises(ImportError, match="pip install onnxruntime"):
        BACKENDS.resolve(None)


@pytest.mark.parametrize(
    ("backend", "missing", "hint"),
    [("onnx", "onnxruntime", "pip install onnxruntime"), ("torch", "torch", "torch")],
)
def test_missing_backend_package(monkeypatch, backend, missing, hint):
    import sys

    monkeypatch.setitem(sys.modules, missing, None)  # import raises ImportError
    with pytest.raises(ImportError, match=f"Missing optional dependency.*{hint}"):
        BACKENDS.resolve(backend)
