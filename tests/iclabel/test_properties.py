"""Property-based tests of ICLabel's public entry points (see tests/_properties)."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from mne_icalabel import label_components
from mne_icalabel.iclabel import get_iclabel_features
from mne_icalabel.iclabel._config import ICLABEL_NUMERICAL_TO_STRING

from .._properties import (
    EPS32,
    assert_probabilities,
    assert_unchanged,
    call,
    eeg_cases,
    property_settings,
    snapshot,
)

N_CLASSES = 7


@property_settings(max_examples=40)
@given(case=eeg_cases())
def test_label_components_iclabel(case):
    """Probabilities or one of our errors; only the documented attributes set."""
    inst, ica = case["inst"], case["ica"]
    labels_before = {key: list(value) for key, value in ica.labels_.items()}
    before = snapshot(inst, ica)
    result, error = call(label_components, inst, ica, "iclabel")
    if error is not None:
        assert_unchanged(before, inst, ica)
        return
    assert_unchanged(before, inst, ica, skip=("ica.labels_", "ica.labels_scores_"))
    proba = ica.labels_scores_
    assert proba.dtype == np.float32
    assert_probabilities(proba, ica.n_components_, N_CLASSES, EPS32)
    names = ICLABEL_NUMERICAL_TO_STRING  # the literal names: test_end_to_end
    assert result["labels"] == [names[k] for k in np.argmax(proba, axis=1)]
    np.testing.assert_array_equal(result["y_pred_proba"], proba.max(axis=1))
    # labels_ gains the predicted components and keeps what was there
    for key, value in labels_before.items():
        assert set(value) <= set(ica.labels_[key])
    assert sorted(c for value in ica.labels_.values() for c in value) == list(
        range(ica.n_components_)
    )


@property_settings(max_examples=25)
@given(case=eeg_cases())
def test_get_iclabel_features(case):
    """Finite float32 features of the documented shapes, or one of our errors."""
    inst, ica = case["inst"], case["ica"]
    before = snapshot(inst, ica)
    result, error = call(get_iclabel_features, inst, ica)
    assert_unchanged(before, inst, ica)
    if error is not None:
        return
    n = ica.n_components_
    shapes = [(32, 32, 1, n), (1, 100, 1, n), (1, 100, 1, n)]
    for feature, shape in zip(result, shapes, strict=True):
        assert feature.shape == shape
        assert feature.dtype == np.float32
        assert np.isfinite(feature).all()
    topo, psd, _ = result
    # each map and spectrum is divided by its largest magnitude, then * 0.99
    scale = np.float32(0.99)
    np.testing.assert_array_equal(np.abs(topo).max(axis=(0, 1, 2)), scale)
    np.testing.assert_array_equal(np.abs(psd).max(axis=(0, 1, 2)), scale)
