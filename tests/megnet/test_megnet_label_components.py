"""End to end: MEGNet labels the simulated blink and heartbeat components."""

from __future__ import annotations

import numpy as np
import pytest

from mne_icalabel import label_components
from mne_icalabel.megnet import megnet_label_components
from mne_icalabel.megnet._config import MEGNET_STRING_TO_NUMERICAL

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
    assert onnx_proba.shape == (ica.n_components_, 4)
    assert onnx_proba.dtype == np.float64
    np.testing.assert_allclose(onnx_proba.sum(axis=1), 1, rtol=1e-12)
    predicted = onnx_proba.argmax(axis=1)
    assert predicted[blink] == BLINK, onnx_proba[blink]
    assert predicted[heart] == HEART, onnx_proba[heart]
    # the other components are not all artifacts
    others = np.delete(predicted, [blink, heart])
    assert (others == 0).mean() > 0.5


def test_torch_backend_agrees(meg_recording, onnx_proba):
    raw, ica, _, _ = meg_recording
    proba = megnet_label_components(raw, ica, backend="torch", verbose="error")
    assert np.abs(proba - onnx_proba).max() <= 1e-5
    np.testing.assert_array_equal(proba.argmax(axis=1), onnx_proba.argmax(axis=1))


def test_dispatcher(meg_recording, onnx_proba):
    raw, ica, blink, heart = meg_recording
    result = label_components(raw, ica, method="megnet")
    assert set(result) == {"y_pred_proba", "labels"}
    assert result["labels"][blink] == "eye blink"
    assert result["labels"][heart] == "heart beat"
    expected = onnx_proba[np.arange(ica.n_components_), onnx_proba.argmax(axis=1)]
    np.testing.assert_allclose(result["y_pred_proba"], expected, atol=1e-6)
    assert result["y_pred_proba"].dtype == np.float64


def test_errors_before_features(meg_recording):
    raw, ica, _, _ = meg_recording
    with pytest.raises(ValueError, match="Invalid value for the 'backend'"):
        megnet_label_components(raw, ica, backend="pytorch")
    with pytest.raises(TypeError, match="MEGNet needs continuous data"):
        import mne

        epochs = mne.make_fixed_length_epochs(raw, duration=10.0, verbose=False)
        label_components(epochs, ica, method="megnet")
