"""method="both": one ICA of EEG and MEG labelled by ICLabel and MEGNet."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from mne_icalabel.annotation import read_components_tsv
from mne_icalabel.batch._both import combine_labels
from mne_icalabel.commands.main import main


def _onehot(n_classes, classes):
    proba = np.full((len(classes), n_classes), 0.01)
    proba[np.arange(len(classes)), classes] = 1.0
    return proba / proba.sum(axis=1, keepdims=True)


def test_combine_labels_rule():
    """Kept only if both say brain; ICLabel's artifact class first."""
    # ICLabel: brain, brain, eye, muscle ; MEGNet: brain/other, heart, brain, eye
    proba = dict(iclabel=_onehot(7, [0, 0, 2, 1]), megnet=_onehot(4, [0, 2, 0, 1]))
    assert combine_labels(proba) == [
        "brain",
        "heart beat",
        "eye blink",
        "muscle artifact",
    ]


def _read(fname):
    with open(fname, encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def test_label_command_both(combined_recording, tmp_path, capsys):
    """Both probability sets in one TSV, status by the rule, both tables."""
    raw, ica = combined_recording["raw"], combined_recording["ica_both"]
    raw.save(tmp_path / "rec_raw.fif", verbose=False)
    ica.save(tmp_path / "rec_ica.fif", verbose=False)
    argv = [
        "label",
        str(tmp_path / "rec_raw.fif"),
        "--ica",
        str(tmp_path / "rec_ica.fif"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # the suite turns warnings into errors
        assert main([*argv, "--method", "both", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    out = captured.out
    # the command prints the library's warnings as "warning: ..." lines
    assert captured.err.count("ICLabel was trained on EEG-only") == 1
    assert captured.err.count("MEGNet was trained on MEG-only") == 1
    assert "Labels from ICLabel" in out and "Labels from MEGNet" in out
    rows = _read(tmp_path / "out" / "rec_components.tsv")
    assert len(rows) == ica.n_components_
    iclabel = np.array(
        [[float(r[k]) for k in r if k.startswith("iclabel_")] for r in rows]
    )
    megnet = np.array(
        [[float(r[k]) for k in r if k.startswith("megnet_")] for r in rows]
    )
    assert iclabel.shape == (ica.n_components_, 7)
    assert megnet.shape == (ica.n_components_, 4)
    keep = (iclabel.argmax(axis=1) == 0) & (megnet.argmax(axis=1) == 0)
    assert [r["status"] for r in rows] == ["good" if k else "bad" for k in keep]
    assert rows[combined_recording["blink_both"]]["ic_type"] == "eog"
    read = read_components_tsv(tmp_path / "out" / "rec_components.tsv")
    assert read["method"] == "iclabel"
    np.testing.assert_array_equal(read["probabilities"]["megnet"], megnet)
    html = (tmp_path / "out" / "rec_report.html").read_text(encoding="utf-8")
    assert "<h4>ICLabel</h4>" in html and "<h4>MEGNet</h4>" in html
    # no method: the automatic choice is explained
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main([*argv, "--out", str(tmp_path / "auto"), "--no-report"]) == 0
    assert "Method: both (the ICA was fitted on MEG and EEG" in capsys.readouterr().out
    # --method megnet on the combined ICA keeps the EEG channels it needs
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        code = main([*argv, "--method", "megnet", "--out", str(tmp_path / "m")])
    assert code == 0
    rows = _read(tmp_path / "m" / "rec_components.tsv")
    assert not any(k.startswith("iclabel_") for k in rows[0])


def test_both_needs_eeg_and_meg(combined_recording):
    """A recording without EEG cannot be labelled with both networks."""
    from mne_icalabel.batch import prepare_recording

    raw = combined_recording["raw"].copy().pick("meg")
    with pytest.raises(RuntimeError, match="Could not find EEG channels"):
        prepare_recording(raw, "both")
