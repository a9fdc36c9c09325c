"""MEGNet on an ICA fitted on EEG and MEG together (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

from mne_icalabel.megnet import megnet_label_components
from mne_icalabel.megnet.features import get_megnet_features

_COMBINED = "MEGNet was trained on MEG-only decompositions"


def test_megnet_combined(combined_recording):
    """4-class probabilities from the magnetometer maps; caller unchanged."""
    raw, ica = combined_recording["raw"], combined_recording["ica_both"]
    data = raw.get_data().copy()
    unmixing = ica.unmixing_matrix_.copy()
    with pytest.warns(RuntimeWarning) as record:
        proba = megnet_label_components(raw, ica)
    assert sum(_COMBINED in str(w.message) for w in record) == 1
    assert any("102 magnetometers" in str(w.message) for w in record)
    assert proba.shape == (ica.n_components_, 4)
    # softmax output in float64 from float32 network: rows sum to 1 to float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=8 * np.finfo("f4").eps)
    np.testing.assert_array_equal(raw.get_data(), data)
    np.testing.assert_array_equal(ica.unmixing_matrix_, unmixing)


def test_megnet_topomaps_ignore_eeg_rows(combined_recording):
    """Changing the EEG part of the ICA leaves the MEGNet topomaps unchanged."""
    raw, ica = combined_recording["raw"], combined_recording["ica_both"]
    with pytest.warns(RuntimeWarning) as record:
        _, topomaps = get_megnet_features(raw, ica)
    assert any(_COMBINED in str(w.message) for w in record)
    other = ica.copy()
    eeg = np.flatnonzero(np.array(other.get_channel_types()) == "eeg")
    # pca_components_ rows give the maps; scaling EEG columns only changes the
    # EEG rows of ica.get_components()
    other.pca_components_[:, eeg] *= -3.0
    with pytest.warns(RuntimeWarning):
        _, topomaps_other = get_megnet_features(raw, other)
    np.testing.assert_array_equal(topomaps, topomaps_other)


@pytest.mark.parametrize("kind", ["grad", "eeg"])
def test_megnet_needs_magnetometers(combined_recording, kind):
    """No magnetometer in the ICA: clear error naming them."""
    raw = combined_recording["raw"]
    ica = combined_recording["ica_both"].copy()
    ica_bad = ica.copy()
    with ica_bad.info._unlock():
        for ch in ica_bad.info["chs"]:
            if ch["kind"] == 1 and ch["unit"] == 112:  # magnetometer (T)
                if kind == "grad":  # the unit decides: T/m is a gradiometer
                    ch["unit"], ch["coil_type"] = 201, 3012
                else:
                    ch["kind"] = 502  # misc: an ICA of EEG and gradiometers
    with pytest.raises(RuntimeError, match="MEGNet needs magnetometers"):
        megnet_label_components(raw, ica_bad)
