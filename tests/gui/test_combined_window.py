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
    window.view.wait_plots()  # computed in the background
    data = window.view._data
    # one map per modality (MEG: the magnetometers), each on its own axes
    assert [t.ch_type for t in data.topomaps] == ["eeg", "mag"]
    assert len({id(ax) for ax in window.view.topo_panel.axes}) == 2
    window.select_component(3)
    for topo, artist, title in zip(
        data.topomaps,
        window.view.topo_panel.images,
        window.view.topo_panel.titles,
        strict=True,
    ):
        np.testing.assert_array_equal(artist.get_array().filled(np.nan), topo.images[3])
        assert title.get_text() == f"ICA003 ({topo.ch_type})"
    # the EEG map is that of the EEG rows only: it differs from the MEG ones
    assert not np.array_equal(data.topomaps[0].images, data.topomaps[1].images)
    # ICLabel's set beside the buttons, MEGNet's in the header
    assert window.view._proba_labels[0].text() == f"{iclabel[3, 0]:.2f}"
    header = window.header.text()
    assert "MEGNet: brain/other" in header
    assert f"eye blink {megnet[3, 1]:.2f}" in header
    assert "ICLabel:" not in header  # the same set as labels_scores_


def test_scores_checked(qtbot, combined_recording):
    raw, ica = combined_recording["raw"], combined_recording["ica_both"]
    with pytest.raises(ValueError, match=r"scores\['megnet'\] must have shape"):
        ICAComponentLabeler(raw, ica, show=False, scores=dict(megnet=np.ones((2, 4))))
    assert not hasattr(ica, "labels_scores_") or ica.labels_scores_ is None


def _read_rows(fname):
    lines = fname.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return header, [
        dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]
    ]


def test_save_keeps_both_probability_sets(qtbot, combined_recording, tmp_path):
    """Ctrl+S in the window of the gui command rewrites only the edited row."""
    from qtpy.QtCore import Qt

    from mne_icalabel.annotation._classes import to_mne_key
    from mne_icalabel.annotation.policy import ExclusionPolicy
    from mne_icalabel.commands.gui import open_window
    from mne_icalabel.derivatives._components import (
        write_components as _write_components,
    )

    raw, ica = combined_recording["raw"], combined_recording["ica_both"].copy()
    rng = np.random.default_rng(1)
    proba = dict(
        iclabel=rng.dirichlet(np.ones(7), ica.n_components_).astype(np.float32),
        megnet=rng.dirichlet(np.ones(4), ica.n_components_),
    )
    # the ICA and TSV as `label --method both` leaves them
    ica.labels_ = {}
    for k, label in enumerate(ExclusionPolicy().decide(proba, "both").labels):
        ica.labels_.setdefault(to_mne_key(label), []).append(k)
    tsv = tmp_path / "rec_components.tsv"
    _write_components(ica, tsv, proba)
    raw.save(tmp_path / "rec_raw.fif", verbose=False)
    ica.save(tmp_path / "rec_ica.fif", verbose=False)
    header_before, before = _read_rows(tsv)
    edited = next(k for k in range(ica.n_components_) if before[k]["ic_type"] != "ecg")

    window = open_window(
        [
            str(tmp_path / "rec_raw.fif"),
            str(tmp_path / "rec_ica.fif"),
            "--tsv",
            str(tsv),
            "--author",
            "tester",
        ]
    )
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    assert "MEGNet: brain/other" in window.header.text()  # read from the TSV
    window.select_component(edited)
    qtbot.keyClick(window.list_components, Qt.Key.Key_H)  # Heart
    qtbot.keyClick(
        window.list_components, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
    )
    assert not window.modified and window.saved_files[0] == tsv

    header, after = _read_rows(tsv)
    assert header == header_before
    proba_cols = [c for c in header if c.startswith(("iclabel_", "megnet_"))]
    assert len(proba_cols) == 7 + 4
    annotation = {"status", "status_description", "annotate_method"}
    annotation |= {"annotate_author", "ic_type"}
    for k, (old, new) in enumerate(zip(before, after, strict=True)):
        if k != edited:
            assert new == old
        else:
            assert {c: new[c] for c in header if c not in annotation} == {
                c: old[c] for c in header if c not in annotation
            }
    assert after[edited]["ic_type"] == "ecg"
    assert after[edited]["status"] == "bad"
    assert after[edited]["annotate_method"] == "manual"
    assert after[edited]["annotate_author"] == "tester"
    # the probabilities read back are those written, to the last bit
    from mne_icalabel.annotation import read_components_tsv

    read = read_components_tsv(tsv)["probabilities"]
    for method, values in proba.items():
        np.testing.assert_array_equal(read[method], values)
