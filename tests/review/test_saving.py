"""Saving the window's labels into an existing components TSV."""

from __future__ import annotations

import json

import pytest

from mne_icalabel.review._saving import write_tsv_atomic

_PIPELINE = (
    "component\ttype\tdescription\tstatus\tstatus_description\tnote\n"
    "0\tica\tIndependent Component\tbad\tEOG\tx\n"
    "1\tica\tIndependent Component\tgood\tn/a\ty\n"
    "2\tica\tIndependent Component\tbad\tECG\tz\n"
)


def _rows(fname):
    lines = fname.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def _pipeline_file(n_components: int) -> str:
    """A TSV as mne-bids-pipeline writes it, with a column of another tool."""
    rows = [
        f"{k}\tica\tIndependent Component\tgood\tn/a\tnote{k}\n"
        for k in range(3, n_components)
    ]
    return _PIPELINE + "".join(rows)


def test_existing_file_keeps_other_rows_and_columns(eeg_ica, tmp_path):
    fname = tmp_path / "sub-01_proc-ica_components.tsv"
    fname.write_text(_pipeline_file(eeg_ica.n_components_), encoding="utf-8")
    eeg_ica.labels_ = {"ecg": [1]}  # not a hand label: the file's row 1 stays
    write_tsv_atomic(eeg_ica, fname, {0: None, 1: "muscle"}, "me")
    rows = _rows(fname)
    assert len(rows) == eeg_ica.n_components_
    # a removed label: the defaults; a hand label: marked manual; the rest kept
    assert [r["status"] for r in rows[:3]] == ["good", "bad", "bad"]
    assert rows[0]["status_description"] == "n/a" and rows[0]["ic_type"] == "n/a"
    assert rows[1]["annotate_method"] == "manual" and rows[1]["ic_type"] == "muscle"
    assert rows[2]["status_description"] == "ECG"
    assert rows[2]["annotate_method"] == "n/a"
    notes = ["x", "y", "z"] + [f"note{k}" for k in range(3, len(rows))]
    assert [r["note"] for r in rows] == notes  # another tool's column
    sidecar = json.loads(fname.with_suffix(".json").read_text(encoding="utf-8"))
    assert "annotate_method" in sidecar
    assert not any(k.startswith(("iclabel_", "megnet_")) for k in sidecar)
    assert not list(tmp_path.glob(".tmp*"))


def test_existing_file_of_another_ica(eeg_ica, tmp_path):
    fname = tmp_path / "sub-01_proc-ica_components.tsv"
    fname.write_text(_PIPELINE, encoding="utf-8")
    with pytest.raises(ValueError, match="describes 3 components but the ICA has 6"):
        write_tsv_atomic(eeg_ica, fname, {0: "eog"}, "me")
    assert fname.read_text(encoding="utf-8") == _PIPELINE
    assert sorted(p.name for p in tmp_path.iterdir()) == [fname.name]
