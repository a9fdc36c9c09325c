"""End to end: MEGNet labels the simulated blink and heartbeat components."""

from __future__ import annotations

import numpy as np
import pytest

from mne_icalabel import label_components
from mne_icalabel.megnet import megnet_label_components
from mne_icalabel.megnet._config import MEGNET_STRING_TO_NUMERICAL

from .._properties import EPS64, assert_probabilities
from ._bound import vote_interval

BLINK = MEGNET_STRING_TO_NUMERICAL["eye blink"]
HEART = MEGNET_STRING_TO_NUMERICAL["heart beat"]


@pytest.fixture(scope="module")
def onnx_proba(meg_recording):
    raw, ica, _, _ = meg_recording
    data, mixing = raw.get_data().copy(), ica.mixing_matrix_.copy()
    proba = megnet_label_components(raw, ica, backend="onnx")
    np.testing.assert_array_equal(raw.get_data(), data)  # nothing modified
    np.testing.assert_array_equal(ica.mixing_matrix_, mixing)
    assert ica.labels_ == {}
    return proba


def test_blink_and_heartbeat_are_found(meg_recording, onnx_proba):
    _, ica, blink, heart = meg_recording
    assert onnx_proba.dtype == np.float64
    assert_probabilities(onnx_proba, ica.n_components_, 4, EPS64)
    predicted = onnx_proba.argmax(axis=1)
    assert predicted[blink] == BLINK, onnx_proba[blink]
    assert predicted[heart] == HEART, onnx_proba[heart]
    # the other components are not all artifacts
    others = np.delete(predicted, [blink, heart])
    assert (others == 0).mean() > 0.5


@pytest.fixture(scope="module")
def voted_interval(meg_recording, meg_features):
    """Components checked against the float32 bound, and their vote interval.

    The blink, the heartbeat and two others: the bound costs a float32
    backward pass per chunk, so not all 20 components.
    """
    _, _, blink, heart = meg_recording
    picks = sorted({blink, heart, 1, 5})
    return picks, *vote_interval(*meg_features, picks)


def _assert_in(proba, interval, name):
    picks, lo, hi = interval
    inside = (lo <= proba[picks]) & (proba[picks] <= hi)
    assert inside.all(), (name, proba[picks][~inside], lo[~inside], hi[~inside])


def test_torch_backend_agrees(meg_recording, onnx_proba, voted_interval):
    """Both backends inside the interval of any float32 MEGNet (``_bound``)."""
    raw, ica, _, _ = meg_recording
    proba = megnet_label_components(raw, ica, backend="torch", verbose="error")
    _assert_in(onnx_proba, voted_interval, "onnx")
    _assert_in(proba, voted_interval, "torch")
    np.testing.assert_array_equal(proba.argmax(axis=1), onnx_proba.argmax(axis=1))


def test_dispatcher(meg_recording, onnx_proba, voted_interval):
    raw, ica, blink, heart = meg_recording
    result = label_components(raw, ica, method="megnet")
    assert set(result) == {"y_pred_proba", "labels"}
    assert result["labels"][blink] == "eye blink"
    assert result["labels"][heart] == "heart beat"
    # the probability of the predicted class, of the same computation
    predicted = onnx_proba.argmax(axis=1)
    assert [MEGNET_STRING_TO_NUMERICAL[label] for label in result["labels"]] == (
        list(predicted)
    )
    picks, lo, hi = voted_interval
    got = result["y_pred_proba"][picks]
    rows = predicted[picks]
    assert (lo[np.arange(len(picks)), rows] <= got).all()
    assert (got <= hi[np.arange(len(picks)), rows]).all()
    assert result["y_pred_proba"].dtype == np.float64


def test_errors_before_features(meg_recording):
    raw, ica, _, _ = meg_recording
    with pytest.raises(ValueError, match="Invalid value for the 'backend'"):
        megnet_label_components(raw, ica, backend="pytorch")
    with pytest.raises(TypeError, match="MEGNet needs continuous data"):
        import mne

        epochs = mne.make_fixed_length_epochs(raw, duration=10.0, verbose=False)
        label_components(epochs, ica, method="megnet")


def test_onnx_backend_never_imports_torch(
    meg_recording, onnx_proba, voted_interval, tmp_path
):
    """A fresh process labels with onnxruntime alone: torch is not even imported.

    Importing torch costs about 1 s and a few hundred MB of shared libraries;
    the default backend must not pull it in through a shared helper.
    """
    import json
    import subprocess
    import sys
    import textwrap

    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    raw, ica, _, _ = meg_recording
    raw.save(tmp_path / "meg_raw.fif", fmt="double")  # the same samples
    ica.save(tmp_path / "meg-ica.fif")
    script = textwrap.dedent(
        f"""
        import json, sys
        import mne
        from mne_icalabel.megnet import megnet_label_components

        raw = mne.io.read_raw_fif({str(tmp_path / "meg_raw.fif")!r}, preload=True)
        ica = mne.preprocessing.read_ica({str(tmp_path / "meg-ica.fif")!r})
        proba = megnet_label_components(raw, ica, verbose="error")
        print(json.dumps({{
            "proba": proba.tolist(),
            "modules": [m for m in ("torch", "onnxruntime") if m in sys.modules],
        }}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["modules"] == ["onnxruntime"]
    proba = np.array(out["proba"])
    _assert_in(proba, voted_interval, "onnx in a fresh process")
    np.testing.assert_array_equal(proba.argmax(axis=1), onnx_proba.argmax(axis=1))
