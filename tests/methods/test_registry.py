"""The registry of labelling methods: its records, backends and a stand-in method."""

from __future__ import annotations

import mne
import numpy as np
import pytest
from mne.preprocessing import read_ica_eeglab
from numpy.testing import assert_allclose, assert_array_equal
from scipy.io import loadmat

from mne_icalabel import label_components
from mne_icalabel.annotation._classes import CLASSES, to_mne_key
from mne_icalabel.iclabel import get_iclabel_features
from mne_icalabel.methods import (
    Method,
    Preparation,
    get_method,
    method_for,
    method_for_channels,
    method_names,
    network_names,
    register_method,
    unregister_method,
)

from .._standin import NAME, standin_scores

# API.md §2 (ICLabel's columns, their EEGLAB names and MNE's keys, in order)
_ICLABEL = "brain|muscle artifact|eye blink|heart beat|line noise|channel noise|other"
ICLABEL_CLASSES = tuple(_ICLABEL.split("|"))
ICLABEL_EEGLAB = tuple(
    "Brain|Muscle|Eye|Heart|Line Noise|Channel Noise|Other".split("|")
)
ICLABEL_KEYS = ("brain", "muscle", "eog", "ecg", "line_noise", "ch_noise", "other")
# MEGNET.md: "Output columns (code order, authoritative)"
MEGNET_CLASSES = ("brain/other", "eye blink", "heart beat", "eye movement")
MEGNET_KEYS = ("brain", "eog", "ecg", "eye_movement")
# tests/iclabel/test_network.py: MATLAB's single-precision pass vs ours
REF_RTOL, REF_ATOL = 1e-5, 1e-7
_EEGLAB_WARNINGS = (
    "ignore:.*common average reference.*:RuntimeWarning",
    "ignore:.*not filtered between 1 and 100 Hz.*:RuntimeWarning",
    "ignore:.*designed with extended infomax ICA.*:RuntimeWarning",
)


# -- the records -------------------------------------------------------------------


def test_builtin_methods():
    assert method_names() == ("iclabel", "megnet", "both")
    assert network_names() == ("iclabel", "megnet")
    iclabel, megnet, both = (get_method(name) for name in method_names())
    assert iclabel.classes == ICLABEL_CLASSES
    assert iclabel.mne_keys == ICLABEL_KEYS
    assert iclabel.labels == ICLABEL_EEGLAB
    assert megnet.classes == MEGNET_CLASSES
    assert megnet.mne_keys == MEGNET_KEYS
    assert megnet.labels == tuple(c.title() for c in MEGNET_CLASSES)
    assert (iclabel.display_name, megnet.display_name) == ("ICLabel", "MEGNet")
    assert (iclabel.dtype, megnet.dtype) == (np.float32, np.float64)
    # ICLabel stores its labels on the ICA in label_components, MEGNet does not
    assert iclabel.stores_labels and not megnet.stores_labels
    assert iclabel.default_include == ("brain", "other")
    assert iclabel.argmax_include == ("brain",)
    assert megnet.default_include == megnet.argmax_include == ("brain/other",)
    assert megnet.include_aliases == {"brain": "brain/other", "other": "brain/other"}
    assert iclabel.aliases["Eye"] == iclabel.aliases["eog"] == "eye blink"
    assert both.components == both.networks == ("iclabel", "megnet")
    assert both.classes == () and both.backends is None
    assert iclabel.networks == ("iclabel",)
    assert dict(CLASSES) == {"iclabel": ICLABEL_CLASSES, "megnet": MEGNET_CLASSES}


def test_upstream_tables_are_the_records():
    from mne_icalabel import config
    from mne_icalabel.iclabel import iclabel_label_components
    from mne_icalabel.megnet import megnet_label_components

    assert config.ICALABEL_METHODS == {
        "iclabel": iclabel_label_components,
        "megnet": megnet_label_components,
        "manual": None,
    }
    for name in network_names():
        method = get_method(name)
        assert config.ICALABEL_METHODS_NUMERICAL_TO_STRING[name] is (
            method.numerical_to_string
        )
        assert tuple(method.numerical_to_string.values()) == method.classes
        assert (
            method.string_to_numerical
            == config.ICALABEL_METHODS_STRING_TO_NUMERICAL[name]
        )


@pytest.mark.parametrize(
    "name, pick, fit, reference, sfreq, raw_only, extended, picard",
    [
        ("iclabel", ("eeg",), ("eeg",), "average", None, False, True, True),
        ("megnet", ("meg",), ("mag", "grad"), "none", 250.0, True, False, False),
        (
            "both",
            ("eeg", "meg"),
            ("eeg", "mag", "grad"),
            "average",
            250.0,
            True,
            True,
            False,
        ),
    ],
)
def test_preparations(name, pick, fit, reference, sfreq, raw_only, extended, picard):
    prep = get_method(name).preparation
    assert prep.pick_types == (*pick, "eog", "ecg")
    assert prep.fit_types == fit
    assert prep.reference == reference
    assert (prep.sfreq, prep.raw_only) == (sfreq, raw_only)
    assert (prep.extended, prep.picard, prep.n_components) == (extended, picard, 20)
    assert prep.missing(fit) == []
    assert prep.missing(["eog"]) == list(prep.modalities)


def test_method_lookup():
    assert method_for(["iclabel"]) == "iclabel"
    assert method_for(["megnet", "iclabel"]) == "both"
    with pytest.raises(ValueError, match="No labelling method runs exactly"):
        method_for(["iclabel", "unknown"])
    assert method_for_channels(["eeg", "eog"]) == "iclabel"
    assert method_for_channels(["mag", "grad"]) == "megnet"
    assert method_for_channels(["grad", "eeg"]) == "both"
    assert method_for_channels(["misc"]) == "iclabel"  # the first one
    with pytest.raises(ValueError, match="Invalid value for the 'method' parameter"):
        get_method("ICLabel")
    with pytest.raises(TypeError, match="method must be an instance of str"):
        get_method(None)


def test_register_checks():
    with pytest.raises(ValueError, match="'iclabel' is registered already"):
        register_method(get_method("iclabel"))
    with pytest.raises(ValueError, match="one MNE key per class"):
        Method("x", "X", classes=("a", "b"), mne_keys=("a",), proba=len)
    with pytest.raises(ValueError, match="needs its proba function"):
        Method("x", "X", classes=("a",), mne_keys=("a",))
    with pytest.raises(ValueError, match="component of a composite method"):
        register_method(Method("x", "X", components=("iclabel", "nope")))
    with pytest.raises(ValueError, match="part of \\['both'\\]"):
        unregister_method("megnet")
    assert method_names() == ("iclabel", "megnet", "both")


# -- the backends: one interface for both networks -----------------------------


def _network_backends():
    return [
        pytest.param(name, backend, id=f"{name}-{backend}")
        for name in network_names()
        for backend in get_method(name).backends.names
    ]


@pytest.mark.parametrize("name, backend", _network_backends())
def test_backend_interface(name, backend, iclabel_path):
    """Every backend through the same calls: packages, weights, load once, run.

    ICLabel: MATLAB's output on its formatted input (the tolerance of
    tests/iclabel/test_network.py); MEGNet: within the float32 error bound of
    the float64 pass (tests/megnet/_bound.py).
    """
    network = get_method(name).backends
    for package in network[backend].packages:
        pytest.importorskip(package)
    assert network.resolve(backend) == backend
    assert set(network[backend].packages) <= set(network.packages(backend))
    expected = {"iclabel": "ICLabelNet.onnx" if backend == "onnx" else "ICLabelNet.pt"}
    assert network.weights(backend) == expected.get(name, "megnet.onnx")
    assert network.load(backend)[1] is network.load(backend)[1]
    if name == "iclabel":
        cell = loadmat(iclabel_path / "network" / "network_input.mat")["input"][0]
        out = loadmat(iclabel_path / "network" / "network_output.mat")["labels"]
        batch = [
            np.ascontiguousarray(np.transpose(cell[i], (3, 2, 0, 1))) for i in (1, 3, 5)
        ]
        proba = np.asarray(network.run(backend, *batch))
        assert proba.dtype == np.float32
        assert_allclose(proba, out, rtol=REF_RTOL, atol=REF_ATOL)
    else:
        pytest.importorskip("torch")  # the float64 reference pass
        from ..megnet._bound import assert_proba_within, reference

        rng = np.random.default_rng(42)
        spatial = rng.uniform(0, 255, (2, 120, 120, 3)).astype(np.float32)
        temporal = rng.standard_normal((2, 15000)).astype(np.float32)
        component = np.arange(2)
        proba = network.run(backend, spatial, temporal, component)
        assert proba.shape == (2, 4)
        assert_proba_within(proba, reference(spatial, temporal), backend)


# -- a method registered from a test -----------------------------------------------


@pytest.fixture(scope="module")
def eeglab_raw(iclabel_path):
    fname = iclabel_path / "datasets" / "sample-raw.set"
    return mne.io.read_raw_eeglab(fname, preload=True), read_ica_eeglab(fname)


@pytest.mark.filterwarnings(*_EEGLAB_WARNINGS)
def test_standin_runs_through_label_components(standin_method, eeglab_raw):
    raw, ica = eeglab_raw
    ica = ica.copy()
    assert method_names() == ("iclabel", "megnet", "both", NAME)
    assert CLASSES[NAME] == standin_method.classes
    expected = standin_scores(get_iclabel_features(raw, ica)[0])
    predicted = np.argmax(expected, axis=1)
    assert len(set(predicted)) > 1  # the sample's maps are not all alike
    result = label_components(raw, ica, method=NAME)
    assert result["labels"] == [standin_method.classes[k] for k in predicted]
    assert_array_equal(result["y_pred_proba"], expected.max(axis=1))
    assert result["y_pred_proba"].dtype == np.float32
    # stored on the ICA as ICLabel's are: scores, and components by MNE key
    assert_array_equal(ica.labels_scores_, expected)
    assert list(ica.labels_) == list(standin_method.mne_keys)
    for k, key in enumerate(standin_method.mne_keys):
        assert ica.labels_[key] == list(np.flatnonzero(predicted == k))
    # the class names are known wherever the registry is asked
    assert to_mne_key("eye blink") == "eog"
    assert method_for([NAME]) == NAME


@pytest.mark.filterwarnings(*_EEGLAB_WARNINGS)
def test_unregister_restores(eeglab_raw):
    from .._standin import STANDIN

    raw, ica = eeglab_raw
    before = method_names()
    register_method(STANDIN)
    try:
        assert method_names() == (*before, NAME)
    finally:
        assert unregister_method(NAME) is STANDIN
    assert method_names() == before
    assert NAME not in CLASSES
    with pytest.raises(ValueError, match="Allowed values are 'iclabel' and 'megnet'"):
        label_components(raw, ica.copy(), method=NAME)


def test_preparation_of_a_new_method():
    prep = Preparation(modalities=("MEG", "EEG"), sfreq=200.0)
    assert prep.pick_types == ("meg", "eeg", "eog", "ecg")
    assert prep.missing(["mag"]) == ["EEG"]


def test_layers():
    """The networks import no layer above them; the registry none above itself."""
    from ..test_import import _import_graph

    above = {
        "networks": ("batch", "gui", "web", "review", "derivatives", "annotation"),
        "methods": ("batch", "gui", "web", "review", "derivatives", "annotation"),
    }
    above["networks"] += ("methods", "commands")
    graph = _import_graph()
    for module, targets in graph.items():
        layer = module.split(".")[1] if module.count(".") else ""
        kind = "networks" if layer in ("iclabel", "megnet") else layer
        if kind not in above:
            continue
        bad = [
            t for t in targets if t.split(".")[1:2] and t.split(".")[1] in above[kind]
        ]
        assert not bad, f"{module} imports {bad}"
    assert "mne_icalabel.methods._registry" in graph["mne_icalabel.methods._iclabel"]
