"""Components TSV files: round trips through a BIDS folder, marks, corrupted files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from mne_bids import BIDSPath
from mne_bids.tsv_handler import _from_tsv

from mne_icalabel.annotation import (
    mark_component,
    read_components_tsv,
    write_components_tsv,
)

_COLUMNS = [
    "component",
    "type",
    "description",
    "status",
    "status_description",
    "annotate_method",
    "annotate_author",
    "ic_type",
]
_ICLABEL_COLUMNS = [
    "iclabel_brain",
    "iclabel_muscle_artifact",
    "iclabel_eye_blink",
    "iclabel_heart_beat",
    "iclabel_line_noise",
    "iclabel_channel_noise",
    "iclabel_other",
]
_MEGNET_COLUMNS = [
    "megnet_brain_other",
    "megnet_eye_blink",
    "megnet_heart_beat",
    "megnet_eye_movement",
]


def _deriv_path(root, suffix: str) -> BIDSPath:
    kwargs = dict(
        subject="01",
        task="rest",
        datatype="eeg",
        root=root / "derivatives" / "mne-icalabel",
        extension=".tsv",
    )
    if suffix == "components":  # mne-bids-pipeline's name, refused when checked
        return BIDSPath(processing="ica", suffix="components", check=False, **kwargs)
    return BIDSPath(suffix=suffix, **kwargs)


@pytest.mark.parametrize("suffix", ["channels", "components"])
@pytest.mark.parametrize("method", ["iclabel", "megnet"])
def test_round_trip_bids_folder(bids_root, suffix, method, request):
    ica = request.getfixturevalue(f"ica_{method}")
    bids_path = _deriv_path(bids_root, suffix)
    fname = write_components_tsv(ica, bids_path)
    name = {
        "channels": "sub-01_task-rest_channels.tsv",
        "components": "sub-01_task-rest_proc-ica_components.tsv",
    }[suffix]
    expected = bids_root / "derivatives" / "mne-icalabel" / "sub-01" / "eeg" / name
    assert fname == expected
    assert expected.is_file()
    assert expected.with_suffix(".json").is_file()

    for where in (bids_path, str(expected), expected):
        out = read_components_tsv(where)
        assert out["method"] == method
        assert out["labels_pred_proba"].dtype == ica.labels_scores_.dtype
        # the shortest repr of each value is written: exact round trip
        np.testing.assert_array_equal(out["labels_pred_proba"], ica.labels_scores_)
    if method == "iclabel":
        assert out["labels"] == ["brain", "eog", None, "brain", None]
        assert out["status"] == ["good", "bad", "good", "good", "good"]
        assert out["classes"][2] == "eye blink"
    else:
        assert out["labels"] == [None] * 5
        assert out["classes"] == [
            "brain/other",
            "eye blink",
            "heart beat",
            "eye movement",
        ]

    # back on an ICA without labels
    target = ica.copy()
    del target.labels_scores_
    target.labels_ = {"eog/0/Fp1": [2], "brain": [4]}
    read_components_tsv(bids_path, ica=target)
    np.testing.assert_array_equal(target.labels_scores_, ica.labels_scores_)
    assert target.labels_["eog/0/Fp1"] == [2]  # other keys are kept
    if method == "iclabel":
        assert target.labels_["brain"] == [0, 3]
        assert target.labels_["eog"] == [1]
        assert target.labels_["muscle"] == []
    else:
        assert target.labels_["brain"] == []

    # readable by pandas (mne-bids-pipeline) and mne-bids, no index column
    proba_cols = _ICLABEL_COLUMNS if method == "iclabel" else _MEGNET_COLUMNS
    df = pd.read_csv(expected, sep="\t")
    assert list(df.columns) == _COLUMNS + proba_cols
    assert df["component"].tolist() == list(range(5))
    assert set(df["status"]) <= {"good", "bad"}
    # shortest repr of each value, read as float64: within half a float32 ulp
    np.testing.assert_allclose(
        df[proba_cols].to_numpy(), ica.labels_scores_, rtol=2**-24, atol=0
    )
    tsv = _from_tsv(expected)
    assert list(tsv) == _COLUMNS + proba_cols
    assert tsv["type"] == ["ica"] * 5


def test_columns_and_sidecar(ica_iclabel, tmp_path):
    fname = tmp_path / "sub-01_task-rest_channels.tsv"
    sidecar = fname.with_suffix(".json")
    sidecar.write_text(
        json.dumps({"megnet_eye_blink": "stale", "Comment": "keep me"}), "utf-8"
    )
    ica_iclabel.labels_["eog"] = [1, 2]
    ica_iclabel.labels_["other"] = [2]  # later keys overwrite earlier ones
    write_components_tsv(ica_iclabel, fname)
    lines = fname.read_text("utf-8").splitlines()
    assert lines[0].split("\t") == _COLUMNS + _ICLABEL_COLUMNS
    assert [line.split("\t")[:8] for line in lines[1:]] == [
        ["0", "ica", "Independent Component", "good", "n/a", "n/a", "n/a", "brain"],
        ["1", "ica", "Independent Component", "bad", "n/a", "n/a", "n/a", "eog"],
        ["2", "ica", "Independent Component", "bad", "n/a", "n/a", "n/a", "other"],
        ["3", "ica", "Independent Component", "good", "n/a", "n/a", "n/a", "brain"],
        ["4", "ica", "Independent Component", "good", "n/a", "n/a", "n/a", "n/a"],
    ]
    content = json.loads(sidecar.read_text("utf-8"))
    assert content["Comment"] == "keep me"
    assert "megnet_eye_blink" not in content
    assert set(content) == {"Comment", *_COLUMNS[5:], *_ICLABEL_COLUMNS}
    assert "eye blink" in content["iclabel_eye_blink"]
    assert "'eog'" in content["ic_type"] and "'eye blink'" in content["ic_type"]


def test_without_probabilities(fitted_ica, tmp_path):
    fname = tmp_path / "x_channels.tsv"
    ica = fitted_ica.copy()
    ica.labels_ = {"muscle": [2]}
    write_components_tsv(ica, fname)
    assert fname.read_text().splitlines()[0].split("\t") == _COLUMNS
    out = read_components_tsv(fname)
    assert out["method"] is None and out["labels_pred_proba"] is None
    assert out["labels"] == [None, None, "muscle", None, None]
    with pytest.raises(ValueError, match="has no labels_scores_"):
        write_components_tsv(ica, fname, method="iclabel")


def test_write_invalid(ica_iclabel, tmp_path):
    fname = tmp_path / "x_channels.tsv"
    with pytest.raises(ValueError, match="have 7 columns but method 'megnet'"):
        write_components_tsv(ica_iclabel, fname, method="megnet")
    ica = ica_iclabel.copy()
    ica.labels_scores_ = np.full((5, 3), 1 / 3)
    with pytest.raises(ValueError, match="expected 7 \\(ICLabel\\) or 4"):
        write_components_tsv(ica, fname)
    ica.labels_scores_ = np.full((4, 7), 1 / 7)
    with pytest.raises(ValueError, match="shape \\(n_components, n_classes\\)"):
        write_components_tsv(ica, fname)
    ica = ica_iclabel.copy()
    ica.labels_["eog"] = [7]
    with pytest.raises(ValueError, match="lists component 7, but the ICA has 5"):
        write_components_tsv(ica, fname)
    with pytest.raises(ValueError, match="extension '.tsv'"):
        write_components_tsv(ica_iclabel, tmp_path / "x_channels.csv")
    with pytest.raises(TypeError, match="fname must be an instance of"):
        write_components_tsv(ica_iclabel, 42)
    with pytest.raises(ValueError, match="must have a suffix"):
        write_components_tsv(ica_iclabel, BIDSPath(subject="01", root=tmp_path))
    assert not fname.exists()


def test_bids_path_without_extension(ica_iclabel, tmp_path):
    bids_path = BIDSPath(
        subject="01", task="rest", datatype="eeg", suffix="channels", root=tmp_path
    )
    fname = write_components_tsv(ica_iclabel, bids_path)
    assert fname == tmp_path / "sub-01" / "eeg" / "sub-01_task-rest_channels.tsv"
    assert read_components_tsv(bids_path)["method"] == "iclabel"


def test_mark_component_twice(bids_root, ica_iclabel):
    bids_path = _deriv_path(bids_root, "components")
    fname = write_components_tsv(ica_iclabel, bids_path)
    before = pd.read_csv(fname, sep="\t")
    mark_component(2, bids_path, "manual", "heart beat", "Jane Doe")
    mark_component(2, str(fname), "iclabel", "brain", "Robot")
    mark_component(4, fname, "manual", "eye blink", "Jane Doe")
    after = pd.read_csv(fname, sep="\t", keep_default_na=False)
    assert list(after.columns) == list(before.columns)  # no column growth
    assert len(after) == 5
    row = after.loc[after["component"] == 2].iloc[0]
    assert row["status"] == "good"
    assert row["status_description"] == "Auto-detected with iclabel: brain"
    assert row["annotate_method"] == "iclabel"
    assert row["annotate_author"] == "Robot"
    assert row["ic_type"] == "brain"
    row = after.loc[after["component"] == 4].iloc[0]
    assert row["status"] == "bad"
    assert row["status_description"] == "Manually-annotated: eye blink"
    # untouched rows and the probabilities are kept
    pd.testing.assert_frame_equal(
        after.loc[[0, 1, 3], _COLUMNS[:4]], before.loc[[0, 1, 3], _COLUMNS[:4]]
    )
    np.testing.assert_array_equal(
        read_components_tsv(fname)["labels_pred_proba"], ica_iclabel.labels_scores_
    )
    target = ica_iclabel.copy()
    read_components_tsv(fname, ica=target)
    assert target.labels_["brain"] == [0, 2, 3]
    assert target.labels_["eog"] == [1, 4]  # "eye blink" stored under MNE's key


def test_mark_component_pipeline_file(tmp_path):
    """A file with only the columns mne-bids-pipeline writes gains them once."""
    fname = tmp_path / "sub-01_task-rest_proc-ica_components.tsv"
    fname.write_text(
        "component\ttype\tdescription\tstatus\tstatus_description\n"
        "0\tica\tIndependent Component\tgood\tn/a\n"
        "1\tica\tIndependent Component\tbad\tEOG\n",
        encoding="utf-8",
    )
    mark_component(0, fname, "manual", "muscle artifact", "me")
    header = fname.read_text().splitlines()[0]
    mark_component(1, fname, "manual", "brain", "me")
    lines = fname.read_text().splitlines()
    assert lines[0] == header
    assert header.split("\t") == _COLUMNS
    assert lines[1].split("\t")[3:] == [
        "bad",
        "Manually-annotated: muscle artifact",
        "manual",
        "me",
        "muscle artifact",
    ]
    assert lines[2].split("\t")[3] == "good"
    out = read_components_tsv(fname)
    assert out["labels"] == ["muscle artifact", "brain"]
    assert out["labels_pred_proba"] is None


def test_strict_labels(ica_iclabel, tmp_path):
    fname = write_components_tsv(ica_iclabel, tmp_path / "x_channels.tsv")
    content = fname.read_bytes()
    for label in ("Eye", "eog", "blink"):
        with pytest.raises(ValueError, match=f"'{label}' is not a valid label"):
            mark_component(0, fname, "manual", label, "me")
    assert fname.read_bytes() == content
    mark_component(0, fname, "manual", "blink", "me", strict_label=False)
    assert read_components_tsv(fname)["labels"][0] == "blink"
    # MEGNet's classes are valid labels; "brain/other" is a good component
    mark_component(1, fname, "megnet", "brain/other", "me")
    mark_component(3, fname, "megnet", "eye movement", "me")
    out = read_components_tsv(fname)
    assert out["labels"][:4] == ["blink", "brain/other", None, "eye movement"]
    assert out["status"][:4] == ["bad", "good", "good", "bad"]


def test_mark_component_invalid(ica_iclabel, tmp_path):
    fname = write_components_tsv(ica_iclabel, tmp_path / "x_channels.tsv")
    content = fname.read_bytes()
    with pytest.raises(ValueError, match="Component 5 is not in"):
        mark_component(5, fname, "manual", "brain", "me")
    with pytest.raises(TypeError, match="component must be an int"):
        mark_component("1", fname, "manual", "brain", "me")
    with pytest.raises(ValueError, match="without tabs or line breaks"):
        mark_component(1, fname, "manual", "brain", "Jane\tDoe")
    with pytest.raises(TypeError, match="strict_label must be an instance of bool"):
        mark_component(1, fname, "manual", "brain", "me", strict_label=1)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mark_component(1, tmp_path / "missing_channels.tsv", "manual", "brain", "me")
    assert fname.read_bytes() == content


_HEADER = "\t".join(_COLUMNS)
_ROW = "ica\tIndependent Component\tgood\tn/a\tn/a\tn/a\tn/a"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not a UTF-8 text file"),
        (b"", "is empty"),
        (b"name\ttype\tunits\nFp1\tEEG\tV\n", "no 'component' column"),
        (f"{_HEADER}\n0\t{_ROW}\n1\tica\n".encode(), "Line 3 of .* has 2 fields"),
        (f"{_HEADER}\nzero\t{_ROW}\n".encode(), "must hold integers"),
        (f"{_HEADER}\n0\t{_ROW}\n2\t{_ROW}\n".encode(), "0 to 1, each once"),
        (f"{_HEADER}\n0\t{_ROW}\n0\t{_ROW}\n".encode(), "0 to 1, each once"),
        (b"component\tcomponent\n0\t0\n", "duplicate columns"),
        (
            f"{_HEADER}\ticlabel_brain\n0\t{_ROW}\t0.5\n".encode(),
            "misses the probability column",
        ),
        (
            f"{_HEADER}\tmegnet_brain_other\tmegnet_eye_blink\tmegnet_heart_beat"
            f"\tmegnet_eye_movement\n0\t{_ROW}\t0.5\tx\t0.25\t0.25\n".encode(),
            "non-numeric probability",
        ),
        (
            f"{_HEADER}\tmegnet_brain_other\tmegnet_eye_blink\tmegnet_heart_beat"
            f"\tmegnet_eye_movement\n0\t{_ROW}\t1.5\t0\t0\t0\n".encode(),
            "not between 0 and 1",
        ),
        (
            f"{_HEADER}\tmegnet_brain_other\tmegnet_eye_blink\tmegnet_heart_beat"
            f"\tmegnet_eye_movement\ticlabel_brain\n0\t{_ROW}\t1\t0\t0\t0\t1\n".encode(),
            "misses the probability column",
        ),
    ],
)
def test_corrupted_files(tmp_path, content, match):
    fname = tmp_path / "sub-01_task-rest_channels.tsv"
    fname.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        read_components_tsv(fname)
    if b"iclabel_brain" not in content and b"megnet" not in content:
        with pytest.raises(ValueError, match=match):
            mark_component(0, fname, "manual", "brain", "me")
    assert fname.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [fname.name]


def test_read_into_mismatching_ica(ica_iclabel, fitted_ica, tmp_path):
    fname = tmp_path / "x_channels.tsv"
    fname.write_text(f"{_HEADER}\n0\t{_ROW}\n1\t{_ROW}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="describes 2 components but the ICA has 5"):
        read_components_tsv(fname, ica=ica_iclabel)
    with pytest.raises(TypeError, match="ica must be an instance of ICA"):
        read_components_tsv(fname, ica="ica")


def test_atomic_write_failure_keeps_previous_file(ica_iclabel, tmp_path, monkeypatch):
    fname = write_components_tsv(ica_iclabel, tmp_path / "x_channels.tsv")
    content = fname.read_bytes()
    files = sorted(tmp_path.iterdir())

    def fail(*args):
        raise OSError("disk full")

    # the failure happens after part of the new content is written
    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        mark_component(0, fname, "manual", "eye blink", "me")
    with pytest.raises(OSError, match="disk full"):
        write_components_tsv(ica_iclabel.copy(), fname)
    monkeypatch.undo()
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        mark_component(0, fname, "manual", "eye blink", "me")
    monkeypatch.undo()
    assert fname.read_bytes() == content
    assert sorted(tmp_path.iterdir()) == files  # no temporary file left
    # and a normal write replaces the file, keeping it readable by others
    mark_component(0, fname, "manual", "eye blink", "me")
    assert fname.read_bytes() != content
    assert fname.stat().st_mode & 0o444 == 0o444


def test_unwritable_path(ica_iclabel, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    fname = blocker / "sub-01" / "x_channels.tsv"
    # the sidecar is written first (the TSV last marks a complete write)
    with pytest.raises(OSError, match=f"Cannot write {fname.parent}/x_channels"):
        write_components_tsv(ica_iclabel, fname)


def test_invalid_existing_sidecar(ica_iclabel, tmp_path):
    fname = tmp_path / "x_channels.tsv"
    fname.with_suffix(".json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="is not valid JSON"):
        write_components_tsv(ica_iclabel, fname)
    assert not fname.exists()  # nothing written
    fname.with_suffix(".json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="must hold a JSON object"):
        write_components_tsv(ica_iclabel, fname)


def test_no_pandas_or_mne_bids_for_paths(tmp_path):
    """Plain paths are handled with the standard library only."""
    fname = tmp_path / "x_channels.tsv"
    code = (
        "import sys, numpy as np, mne\n"
        "from mne_icalabel.annotation import write_components_tsv, mark_component, "
        "read_components_tsv\n"
        "info = mne.create_info(['Fz', 'Cz', 'Pz'], 100.0, 'eeg')\n"
        "raw = mne.io.RawArray(np.random.default_rng(0).laplace(size=(3, 1000)), "
        "info, verbose=False)\n"
        "ica = mne.preprocessing.ICA(2, method='infomax', max_iter=5, "
        "verbose=False)\n"
        "ica.fit(raw, verbose=False)\n"
        "ica.labels_scores_ = np.full((2, 4), 0.25)\n"
        f"write_components_tsv(ica, {str(fname)!r}, verbose=False)\n"
        f"mark_component(1, {str(fname)!r}, 'manual', 'brain', 'me')\n"
        f"read_components_tsv({str(fname)!r}, ica)\n"
        "print([m for m in ('pandas', 'mne_bids') if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_megnet_labels_round_trip(ica_megnet, tmp_path):
    """MEGNet's MNE keys, eye movements included, survive write and read."""
    ica = ica_megnet.copy()
    ica.labels_ = {"brain": [0, 2], "eog": [1], "ecg": [3], "eye_movement": [4]}
    fname = tmp_path / "sub-01_task-rest_proc-ica_components.tsv"
    write_components_tsv(ica, fname)
    rows = fname.read_text(encoding="utf-8").splitlines()
    assert rows[5].split("\t")[3:8:4] == ["bad", "eye_movement"]
    restored = ica_megnet.copy()
    read_components_tsv(fname, ica=restored)
    assert restored.labels_["eye_movement"] == [4]
    assert restored.labels_["eog"] == [1]
    assert restored.labels_["brain"] == [0, 2]
    np.testing.assert_array_equal(restored.labels_scores_, ica.labels_scores_)


def test_public_writer_unchanged_by_manual_rows(ica_iclabel, tmp_path):
    """write_components_tsv replaces manual rows, keeps the sidecar's keys."""
    fname = tmp_path / "x_components.tsv"
    write_components_tsv(ica_iclabel, fname)
    mark_component(0, fname, "manual", "eye blink", "Ada")
    sidecar = fname.with_suffix(".json")
    content = json.loads(sidecar.read_text())
    content["Review"] = {"Author": "Ada"}
    sidecar.write_text(json.dumps(content))
    write_components_tsv(ica_iclabel, fname)
    rows = pd.read_csv(fname, sep="\t", keep_default_na=False)
    assert "manual" not in set(rows["annotate_method"])
    assert json.loads(sidecar.read_text())["Review"] == {"Author": "Ada"}


def test_keep_manual_rows_needs_the_same_ica(ica_iclabel, fitted_ica, tmp_path):
    """Manual rows of another ICA (another count): refused, the file untouched."""
    from mne_icalabel.derivatives._components import (
        write_components as _write_components,
    )

    fname = tmp_path / "x_components.tsv"
    write_components_tsv(ica_iclabel, fname)
    mark_component(1, fname, "manual", "brain", "Ada")
    before = fname.read_bytes()
    other = fitted_ica.copy()
    other.n_components_ = ica_iclabel.n_components_ - 1  # a smaller decomposition
    with pytest.raises(ValueError, match=r"manual decisions \(components \[1\]\)"):
        _write_components(other, fname, {}, manual="keep")
    assert fname.read_bytes() == before
    # the same ICA: the manual row is kept, the others rewritten
    _write_components(ica_iclabel, fname, {}, manual="keep")
    rows = pd.read_csv(fname, sep="\t", keep_default_na=False)
    assert list(rows["annotate_method"] == "manual") == [
        k == 1 for k in range(ica_iclabel.n_components_)
    ]
    assert rows["annotate_author"][1] == "Ada"
