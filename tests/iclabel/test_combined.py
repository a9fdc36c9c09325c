"""ICLabel on an ICA fitted on EEG and MEG together (issue 12)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mne_icalabel.iclabel import iclabel_label_components
from mne_icalabel.iclabel.features import get_iclabel_features
from mne_icalabel.iclabel.features._activations import (
    _compute_ica_activations,
    _retrieve_eeglab_icawinv,
)
from mne_icalabel.utils._picks import ica_type_picks

_EYE = 2  # column of "eye blink"
_COMBINED = "ICLabel was trained on EEG-only decompositions"


def _label(inst, ica):
    with pytest.warns(RuntimeWarning, match=_COMBINED) as record:
        proba = iclabel_label_components(inst, ica, inplace=False)
    assert sum(_COMBINED in str(w.message) for w in record) == 1
    return proba


def test_blink_from_the_eeg_part(combined_recording):
    """The combined ICA's blink IC is an eye blink, as in the EEG-only ICA."""
    rec = combined_recording
    raw, ica, k = rec["raw"], rec["ica_both"], rec["blink_both"]
    proba = _label(raw, ica)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a prepared EEG-only ICA: no warning
        eeg_only = iclabel_label_components(raw, rec["ica_eeg"], inplace=False)
    reference = eeg_only[rec["blink_eeg"]]
    assert np.argmax(reference) == _EYE
    assert np.argmax(proba[k]) == _EYE
    # the same source separated in both decompositions: the EEG part of the
    # combined map is the EEG-only map up to the ICA's sign (and to the
    # separation quality, which no bound fixes: we ask for the same map shape)
    with pytest.warns(RuntimeWarning, match=_COMBINED):
        topo = get_iclabel_features(raw, ica)[0][..., k].ravel()
    topo_eeg = get_iclabel_features(raw, rec["ica_eeg"])[0]
    topo_eeg = topo_eeg[..., rec["blink_eeg"]].ravel()
    assert abs(np.corrcoef(topo, topo_eeg)[0, 1]) > 0.99


def test_mixing_is_the_ica_maps_in_eeg_units(combined_recording):
    """icawinv and the activations are MNE's maps and sources, in EEG units."""
    rec = combined_recording
    raw, ica = rec["raw"], rec["ica_both"]
    eeg = ica_type_picks(ica, "eeg")
    icawinv, weights = _retrieve_eeglab_icawinv(ica, ref=int(eeg[0]))
    whitener = np.ravel(ica.pre_whitener_)
    maps = ica.get_components() * (whitener / whitener[eeg[0]])[:, None]
    # float64 pseudo-inverse: error bounded by eps * cond(weights) per entry
    cond = np.linalg.cond(weights)
    tol = 10 * np.finfo(float).eps * cond * np.abs(maps).max()
    np.testing.assert_allclose(icawinv, maps, rtol=0, atol=tol)
    np.testing.assert_allclose(icawinv[eeg], ica.get_components()[eeg], atol=tol)
    # activations (µV of EEG) = MNE's sources scaled by the EEG whitener, up to
    # the constant MNE subtracts (pca_mean_)
    icaact = _compute_ica_activations(raw, ica, weights)
    sources = ica.get_sources(raw).get_data() * whitener[eeg[0]] * 1e6
    icaact -= icaact.mean(axis=1, keepdims=True)
    sources -= sources.mean(axis=1, keepdims=True)
    scale = np.abs(sources).max()
    np.testing.assert_allclose(icaact, sources, rtol=0, atol=1e-9 * scale)


def test_eeg_reference_checked_on_the_eeg_part(combined_recording):
    """Unreferenced EEG warns as for EEG-only data; the projector case too."""
    rec = combined_recording
    raw = rec["raw"].copy()
    with raw.info._unlock():
        raw.info["custom_ref_applied"] = 0
    with pytest.warns(RuntimeWarning) as record:
        get_iclabel_features(raw, rec["ica_both"])
    messages = [str(w.message) for w in record]
    assert any("common average" in m for m in messages)
    raw.add_proj([], remove_existing=True)
    raw.set_eeg_reference("average", projection=True, verbose=False)
    with pytest.warns(RuntimeWarning) as record:  # projector not applied
        get_iclabel_features(raw, rec["ica_both"])
    assert any("common average" in str(w.message) for w in record)
    raw.apply_proj(verbose=False)
    with pytest.warns(RuntimeWarning) as record:
        get_iclabel_features(raw, rec["ica_both"])
    assert not any("common average" in str(w.message) for w in record)


def test_no_eeg_in_the_ica(combined_recording):
    """An ICA without EEG: clear error, caller's objects unchanged."""
    rec = combined_recording
    raw = rec["raw"]
    ica = rec["ica_both"].copy()
    ica_meg = ica.copy()
    with ica_meg.info._unlock():  # pretend the ICA was fitted on MEG only
        for ch in ica_meg.info["chs"]:
            if ch["kind"] == 2:  # FIFFV_EEG_CH
                ch["kind"] = 502  # FIFFV_MISC_CH
    before = (raw.get_data().copy(), ica_meg.unmixing_matrix_.copy())
    with pytest.raises(RuntimeError, match="ICLabel needs EEG channels"):
        iclabel_label_components(raw, ica_meg)
    np.testing.assert_array_equal(raw.get_data(), before[0])
    np.testing.assert_array_equal(ica_meg.unmixing_matrix_, before[1])
    assert getattr(ica_meg, "labels_scores_", None) is None


def test_caller_objects_unchanged(combined_recording):
    """Labelling (inplace=False) leaves the ICA and the recording unchanged."""
    rec = combined_recording
    raw, ica = rec["raw"], rec["ica_both"]
    data = raw.get_data().copy()
    matrices = [ica.unmixing_matrix_.copy(), ica.pca_components_.copy()]
    labels = {k: list(v) for k, v in ica.labels_.items()}
    _label(raw, ica)
    np.testing.assert_array_equal(raw.get_data(), data)
    np.testing.assert_array_equal(ica.unmixing_matrix_, matrices[0])
    np.testing.assert_array_equal(ica.pca_components_, matrices[1])
    assert ica.labels_ == labels
