"""The labelling window on an ICA of EEG and MEG: maps side by side, both scores."""

from __future__ import annotations

import numpy as np
import pytest

from mne_icalabel.gui._label_components import ICAComponentLabeler


def test_combined_ica_window(qtbot, combined_recording):
    raw, ica = combined_recording["raw"], combined_recording["ica_both"].copy()
    rng = np.random.default_rng(0)
    iclabel = rng.dirichlet(np.ones(7), ica.n_components_).astype(np.float32)
    megnet = rng.dirichlet(np.ones(4), ica.n_components_)
    ica.labels_scores_ = iclabel
    window = ICAComponentLabeler(
        raw, ica, show=True, scores=dict(iclabel=iclabel, megnet=megnet)
    )
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    data = window._data
    # one map per modality (MEG: the magnetometers), each on its own axes
    assert [t.ch_type for t in data.topomaps] == ["eeg", "mag"]
    assert len({id(ax) for ax in window._topo_axes}) == 2
    window.select_component(3)
    for topo, artist, title in zip(
        data.topomaps, window._topo_ims, window._topo_titles, strict=True
    ):
        np.testing.assert_array_equal(artist.get_array().filled(np.nan), topo.images[3])
        assert title.get_text() == f"ICA003 ({topo.ch_type})"
    # the EEG map is that of the EEG rows only: it differs from the MEG ones
    assert not np.array_equal(data.topomaps[0].images, data.topomaps[1].images)
    # ICLabel's set beside the buttons, MEGNet's in the header
    assert window._proba_labels[0].text() == f"{iclabel[3, 0]:.2f}"
    header = window.header.text()
    assert "MEGNet: brain/other" in header
    assert f"eye blink {megnet[3, 1]:.2f}" in header
    assert "ICLabel:" not in header  # the same set as labels_scores_


def test_scores_checked(qtbot, combined_recording):
    raw, ica = combined_recording["raw"], combined_recording["ica_both"]
    with pytest.raises(ValueError, match=r"scores\['megnet'\] must have shape"):
        ICAComponentLabeler(raw, ica, show=False, scores=dict(megnet=np.ones((2, 4))))
    assert not hasattr(ica, "labels_scores_") or ica.labels_scores_ is None
