"""Merging ICLabel predictions into ``ica.labels_`` (API.md §4.1)."""

import numpy as np
import pytest

from mne_icalabel.iclabel.label_components import _write_labels


class _FakeICA:
    def __init__(self, labels):
        self.labels_ = labels


def _proba(argmax, n_classes=7):
    proba = np.full((len(argmax), n_classes), 0.01, dtype=np.float32)
    proba[np.arange(len(argmax)), argmax] = 0.94
    return proba


def test_write_labels_creates_all_keys_and_keeps_existing():
    ica = _FakeICA({"brain": [3], "other": []})
    proba = _proba([0, 6, 6, 0, 6])
    _write_labels(ica, proba)
    assert ica.labels_scores_ is proba
    assert list(ica.labels_) == [
        "brain",
        "other",
        "muscle",
        "eog",
        "ecg",
        "line_noise",
        "ch_noise",
    ]
    assert ica.labels_["brain"] == [3, 0]
    assert ica.labels_["other"] == [1, 2, 4]
    assert all(ica.labels_[key] == [] for key in ("muscle", "eog", "ecg"))


def test_write_labels_does_not_duplicate_or_remove():
    ica = _FakeICA({"eog": [1, 0], "ecg/0/ECG": [2]})
    _write_labels(ica, _proba([2, 2, 3]))
    assert ica.labels_["eog"] == [1, 0]
    assert ica.labels_["ecg"] == [2]
    assert ica.labels_["ecg/0/ECG"] == [2]
    # a second run with a different prediction adds, never removes
    _write_labels(ica, _proba([0, 2, 3]))
    assert ica.labels_["brain"] == [0]
    assert ica.labels_["eog"] == [1, 0]


@pytest.mark.parametrize("argmax", [[0, 0, 0], [6, 5, 4, 3, 2, 1, 0]])
def test_write_labels_items_are_sorted_component_indices(argmax):
    ica = _FakeICA({})
    _write_labels(ica, _proba(argmax))
    merged = sorted(k for comps in ica.labels_.values() for k in comps)
    assert merged == list(range(len(argmax)))
