"""Property-based tests of MEGNet's public entry points (see tests/_properties)."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from mne_icalabel import label_components
from mne_icalabel.megnet import get_megnet_features

from .._properties import (
    EPS64,
    assert_probabilities,
    assert_unchanged,
    call,
    meg_cases,
    property_settings,
    snapshot,
)

N_CLASSES = 4
CHUNK_LEN = 15000  # MEGNet's shortest recording, in samples (MEGNET.md)
# around the minimum, and up to two chunks (short enough to stay cheap)
AROUND_MINIMUM = {"min_times": CHUNK_LEN - 5, "max_times": CHUNK_LEN + 7600}


@property_settings(max_examples=12)
@given(case=meg_cases(**AROUND_MINIMUM))
def test_label_components_megnet(case):
    """Probabilities or one of our errors; MEGNet changes nothing of the caller."""
    raw, ica = case["inst"], case["ica"]
    before = snapshot(raw, ica)
    result, error = call(label_components, raw, ica, "megnet")
    assert_unchanged(before, raw, ica)
    if error is not None:
        return
    n = ica.n_components_
    assert len(result["labels"]) == n
    proba = result["y_pred_proba"]
    assert proba.shape == (n,) and proba.dtype == np.float64
    # the predicted class is the most probable: at least 1 / n_classes
    assert np.isfinite(proba).all() and (proba >= 1 / N_CLASSES - EPS64).all()


@property_settings(max_examples=8)
@given(case=meg_cases(**AROUND_MINIMUM))
def test_megnet_label_components_proba(case):
    """The full probability matrix: finite, rows sum to 1 (float64 vote)."""
    from mne_icalabel.megnet import megnet_label_components

    raw, ica = case["inst"], case["ica"]
    before = snapshot(raw, ica)
    proba, error = call(megnet_label_components, raw, ica, backend="onnx")
    assert_unchanged(before, raw, ica)
    if error is None:
        assert_probabilities(proba, ica.n_components_, N_CLASSES, EPS64)


@property_settings(max_examples=8)
@given(case=meg_cases(**AROUND_MINIMUM))
def test_get_megnet_features(case):
    """Finite float64 time courses and uint8 images, or one of our errors."""
    raw, ica = case["inst"], case["ica"]
    before = snapshot(raw, ica)
    result, error = call(get_megnet_features, raw, ica)
    assert_unchanged(before, raw, ica)
    if error is not None:
        return
    time_series, topomaps = result
    n = ica.n_components_
    assert time_series.shape == (n, raw.n_times)
    assert time_series.dtype == np.float64 and np.isfinite(time_series).all()
    # the network casts each chunk to float32: it must stay finite there too
    assert np.isfinite(time_series.astype(np.float32)).all()
    assert topomaps.shape == (n, 120, 120, 3) and topomaps.dtype == np.uint8
    # black outside the head disc (the corners), something drawn inside
    assert (topomaps[:, 0, 0] == 0).all()
    assert (topomaps.reshape(n, -1).max(axis=1) > 0).all()
