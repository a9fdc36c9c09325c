"""The exclusion policy and the manual decisions in ``bids`` (a 2-subject dataset)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from mne_icalabel import __version__
from mne_icalabel.annotation import mark_component
from mne_icalabel.annotation._classes import CLASSES, to_mne_key
from mne_icalabel.annotation.policy import ExclusionPolicy
from mne_icalabel.batch import label_bids_dataset
from mne_icalabel.commands.main import main

from .conftest import N_COMPONENTS

DERIV = Path("derivatives", "mne-icalabel")
STEMS = ("sub-01/eeg/sub-01_task-rest_run-01", "sub-02/eeg/sub-02_task-rest_run-01")
PROBA = [f"iclabel_{c}" for c in ("brain", "muscle_artifact", "eye_blink")]
# the annotation fields a manual decision owns
FIELDS = ("status", "status_description", "annotate_method", "annotate_author")
FIELDS += ("ic_type",)


def _read(fname: Path) -> list[dict[str, str]]:
    with open(fname, encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def _proba(rows) -> np.ndarray:
    """ICLabel's probabilities as written: the exact float32 outputs."""
    cols = [c for c in rows[0] if c.startswith("iclabel_")]
    return np.array([[float(r[c]) for c in cols] for r in rows], dtype=np.float32)


def _files(root: Path) -> dict[str, bytes]:
    """The content of every file under ``root``."""
    return {str(f): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}


@pytest.fixture(scope="module")
def labelled_root(tmp_path_factory, bids_template):
    """The 2-subject dataset labelled once with the default policy."""
    import shutil

    root = tmp_path_factory.mktemp("policy") / "ds"
    shutil.copytree(bids_template, root)
    label_bids_dataset(root, n_components=N_COMPONENTS, report=False, verbose="error")
    return root


def test_default_rule_statuses(labelled_root):
    """status = bad exactly for ExclusionPolicy().excluded; the fields, sidecar, ICA."""
    from mne.preprocessing import read_ica

    policy = ExclusionPolicy()
    deriv = labelled_root / DERIV
    differs = False
    for stem in STEMS:
        rows = _read(deriv / f"{stem}_components.tsv")
        proba = _proba(rows)
        excluded = policy.decide(proba, "iclabel").excluded
        assert [r["status"] for r in rows] == ["bad" if e else "good" for e in excluded]
        assert [r["status_description"] for r in rows] == list(
            policy.decide(proba, "iclabel").descriptions
        )
        assert {r["annotate_method"] for r in rows} == {"iclabel"}
        assert {r["annotate_author"] for r in rows} == {f"mne-icalabel {__version__}"}
        keys = [to_mne_key(c) for c in CLASSES["iclabel"]]
        assert [r["ic_type"] for r in rows] == [keys[k] for k in proba.argmax(1)]
        # the argmax rule would exclude others: the data tell the two apart
        argmax = ExclusionPolicy(rule="argmax", include=["brain"])
        differs |= bool((argmax.decide(proba, "iclabel").excluded != excluded).any())
        sidecar = json.loads((deriv / f"{stem}_components.json").read_text())
        assert sidecar["ExclusionPolicy"] == policy.to_dict(["iclabel"])
        assert "annotate_method" in sidecar  # the column descriptions are kept
        # the saved ICA excludes what the TSV says
        ica = read_ica(deriv / f"{stem}_ica.fif", verbose=False)
        assert ica.exclude == [
            int(r["component"]) for r in rows if r["status"] == "bad"
        ]
    assert differs, "the simulated data no longer separate the two rules"
    summary = _read(deriv / "summary.tsv")
    assert [r["policy"] for r in summary] == [policy.summary(["iclabel"])] * 2
    assert [r["n_manual"] for r in summary] == ["0", "0"]
    assert [int(r["n_excluded"]) for r in summary] == [
        sum(r["status"] == "bad" for r in _read(deriv / f"{s}_components.tsv"))
        for s in STEMS
    ]


def test_manual_rows_survive_overwrite(labelled_root, tmp_path, capsys):
    """A manual row keeps its fields, gets its probabilities back; argmax statuses."""
    import shutil

    from mne.preprocessing import read_ica

    root = tmp_path / "ds"
    shutil.copytree(labelled_root, root)
    deriv = root / DERIV
    tsv = deriv / f"{STEMS[0]}_components.tsv"
    before = _read(tsv)
    # a person labels a kept component as muscle (bad), by hand
    kept = [int(r["component"]) for r in before if r["status"] == "good"]
    k = kept[0]
    mark_component(k, tsv, "manual", "muscle artifact", "Ada")
    # the review window's record, and a column of another tool
    sidecar = tsv.with_suffix(".json")
    content = json.loads(sidecar.read_text())
    content["Review"] = {
        "Author": "Ada",
        "Date": "2026-01-01T00:00:00Z",
        "Changed": [k],
    }
    sidecar.write_text(json.dumps(content))
    lines = tsv.read_text().splitlines()
    lines = [lines[0] + "\tnotes"] + [
        f"{ln}\tnote {j}" for j, ln in enumerate(lines[1:])
    ]
    # the manual row's probabilities are stale (as after a change of backend)
    header = lines[0].split("\t")
    fields = lines[k + 1].split("\t")
    for col in PROBA:
        fields[header.index(col)] = "0.25"
    lines[k + 1] = "\t".join(fields)
    tsv.write_text("\n".join(lines) + "\n")
    marked = _read(tsv)[k]
    ica_file = deriv / f"{STEMS[0]}_ica.fif"
    unmixing = read_ica(ica_file, verbose=False).unmixing_matrix_

    argv = ["bids", str(root), "--overwrite", "--no-report", "--policy", "argmax"]
    assert main(argv) == 0  # argmax without --include keeps brain only
    out = capsys.readouterr().out
    assert "Exclusion policy: argmax: iclabel keeps brain" in out
    after = _read(tsv)
    assert [r["component"] for r in after] == [r["component"] for r in before]
    # the annotation fields of the manual row, byte for byte, and its notes
    assert {f: after[k][f] for f in (*FIELDS, "notes")} == {
        f: marked[f] for f in (*FIELDS, "notes")
    }
    assert after[k]["annotate_method"] == "manual" and after[k]["status"] == "bad"
    # its probabilities are refreshed: the same ICA, re-read from its file,
    # gives the first run's within ICLabel's scientific bound (1e-5 of EEGLAB;
    # the re-read ICA may differ in its last bits, see test_recording.py)
    np.testing.assert_allclose(_proba(after)[k], _proba(before)[k], atol=1e-5)
    assert all(after[k][col] != "0.25" for col in PROBA)
    assert [r["notes"] for r in after] == [f"note {j}" for j in range(len(after))]
    # the other rows follow --policy argmax: bad when argmax is not brain
    proba = _proba(after)
    for j, row in enumerate(after):
        if j != k:
            assert row["status"] == ("good" if proba[j].argmax() == 0 else "bad")
            assert row["annotate_method"] == "iclabel"
    content = json.loads(sidecar.read_text())
    assert content["Review"]["Changed"] == [k]
    assert content["ExclusionPolicy"]["Rule"] == "argmax"
    # the saved ICA was reused (same unmixing) and its exclude follows the TSV
    ica = read_ica(ica_file, verbose=False)
    np.testing.assert_array_equal(ica.unmixing_matrix_, unmixing)
    assert ica.exclude == [j for j, r in enumerate(after) if r["status"] == "bad"]
    assert k in ica.exclude
    summary = {r["recording"].split("/")[0]: r for r in _read(deriv / "summary.tsv")}
    assert summary["sub-01"]["n_manual"] == "1" and summary["sub-02"]["n_manual"] == "0"
    assert summary["sub-01"]["n_excluded"] == str(len(ica.exclude))
    assert summary["sub-01"]["ica"].startswith("existing: derivatives/mne-icalabel/")
    # a resumed run counts the manual rows of the recordings it skips
    again = label_bids_dataset(root, verbose="error")
    assert list(again["status"]) == ["skipped", "skipped"]
    assert list(again["n_manual"]) == [1, 0]
    assert again["policy"][0] == "argmax: iclabel keeps brain"

    # a refit would renumber the components: refused before anything is written
    files = _files(deriv)
    assert main(["bids", str(root), "--overwrite", "--refit"]) == 1
    err = capsys.readouterr().err
    assert "sub-01/eeg/sub-01_task-rest_run-01_eeg.vhdr" in err
    assert f"components [{k}]" in err and "--discard-manual" in err
    assert "sub-02" not in err
    assert _files(deriv) == files
    # a missing ICA file means a new ICA too
    moved = tmp_path / "ica.fif"
    ica_file.rename(moved)
    with pytest.raises(RuntimeError, match="its ICA is missing"):
        label_bids_dataset(root, overwrite=True, verbose="error")
    moved.rename(ica_file)
    assert _files(deriv) == files

    # --discard-manual drops them, and the review record, and refits
    assert main([*argv[:4], "--refit", "--discard-manual", "--n-components", "10"]) == 0
    after = _read(tsv)
    assert {r["annotate_method"] for r in after} == {"iclabel"}
    assert "notes" not in after[0]
    proba = _proba(after)
    excluded = ExclusionPolicy().decide(proba, "iclabel").excluded
    assert [r["status"] for r in after] == ["bad" if e else "good" for e in excluded]
    assert "Review" not in json.loads(sidecar.read_text())
    assert _read(deriv / "summary.tsv")[0]["n_manual"] == "0"


def test_discard_manual_without_refit(labelled_root, tmp_path):
    """--discard-manual on the reused ICA: the row is automatic again."""
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(labelled_root, root)
    tsv = root / DERIV / f"{STEMS[1]}_components.tsv"
    before = _read(tsv)
    mark_component(0, tsv, "manual", "heart beat", "Ada")
    summary = label_bids_dataset(
        root, subjects="02", overwrite=True, discard_manual=True, report=False
    )
    assert list(summary["n_manual"]) == [0]
    after = _read(tsv)
    assert after[0] == before[0]


def test_options_from_the_command_line(labelled_root, tmp_path, capsys):
    """--include, --exclusion-threshold CLASS=P, --class-threshold P."""
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(labelled_root, root)
    argv = ["bids", str(root), "--subject", "01", "--overwrite", "--no-report"]
    argv += ["--include", "brain", "other", "heart beat"]
    argv += [
        "--exclusion-threshold",
        "eye blink=0.5",
        "--exclusion-threshold",
        "Muscle=0.6",
    ]
    argv += ["--class-threshold", "0.2"]
    assert main(argv) == 0
    expected = ExclusionPolicy(
        include=("brain", "other", "heart beat"),
        exclusion_threshold={"eye blink": 0.5, "Muscle": 0.6},
        class_threshold=0.2,
    )
    stem = root / DERIV / STEMS[0]
    record = json.loads(stem.with_name(stem.name + "_components.json").read_text())
    assert record["ExclusionPolicy"] == expected.to_dict(["iclabel"])
    assert record["ExclusionPolicy"]["iclabel"]["ExclusionThresholds"] == {
        "muscle artifact": 0.6,
        "eye blink": 0.5,
        "line noise": 0.8,
        "channel noise": 0.8,
    }
    rows = _read(stem.with_name(stem.name + "_components.tsv"))
    excluded = expected.decide(_proba(rows), "iclabel").excluded
    assert [r["status"] for r in rows] == ["bad" if e else "good" for e in excluded]
    assert expected.summary(["iclabel"]) in capsys.readouterr().out


@pytest.mark.parametrize(
    "options, match",
    [
        (["--include", "brian"], "Unknown class name 'brian'"),
        (["--exclusion-threshold", "eye blink=1.5"], "between 0 and 1"),
        (["--class-threshold", "eye blink=0.5"], "'eye blink' is not kept"),
        (["--policy", "argmax", "--exclusion-threshold", "0.9"], "cannot be used"),
        (
            ["--exclusion-threshold", "0.9", "--exclusion-threshold", "Eye=0.5"],
            "either",
        ),
    ],
)
def test_invalid_options_touch_nothing(bids_root, options, match, capsys):
    """A bad policy stops the command before the derivatives folder exists."""
    files = _files(bids_root)
    assert main(["bids", str(bids_root), *options]) == 1
    assert match in capsys.readouterr().err
    assert not (bids_root / "derivatives").exists()
    assert _files(bids_root) == files


def test_invalid_arguments_touch_nothing(bids_root, capsys):
    files = _files(bids_root)
    with pytest.raises(ValueError, match="Unknown class name 'eye'"):
        label_bids_dataset(bids_root, include=["brain", "eye"])
    with pytest.raises(ValueError, match="cannot be combined"):
        label_bids_dataset(bids_root, policy=ExclusionPolicy(), include=["brain"])
    with pytest.raises(ValueError, match="policy"):
        label_bids_dataset(bids_root, policy="max")
    with pytest.raises(SystemExit):
        main(["bids", str(bids_root), "--exclusion-threshold", "eye blink=high"])
    assert "expected CLASS=P" in capsys.readouterr().err
    assert _files(bids_root) == files and not (bids_root / "derivatives").exists()


def test_label_command_keeps_manual_rows(tmp_path, capsys):
    """``label``: the policy printed; manual rows kept with --ica, else refused."""
    from mne_icalabel.datasets.simulation import simulate_eeg_raw

    raw = simulate_eeg_raw(32, duration=30.0, random_state=5, verbose=False)
    fname = tmp_path / "rec_raw.fif"
    raw.save(fname, verbose=False)
    out = tmp_path / "out"
    argv = ["label", str(fname), "--out", str(out), "--no-report"]
    assert main([*argv, "--n-components", "8"]) == 0
    printed = capsys.readouterr().out
    tsv = out / "rec_components.tsv"
    rows = _read(tsv)
    bad = [f"ICA{int(r['component']):03d}" for r in rows if r["status"] == "bad"]
    assert "Exclusion policy: threshold: iclabel keeps brain, other" in printed
    assert f"Excluded (status 'bad'): {len(bad)} of 8" in printed
    assert all(name in printed for name in bad)
    mark_component(2, tsv, "manual", "heart beat", "Ada")
    marked = _read(tsv)[2]
    before = tsv.read_bytes()
    # no --ica: a new ICA would renumber the components
    assert main(argv) == 1
    assert "labelled by hand ([2])" in capsys.readouterr().err
    assert tsv.read_bytes() == before
    # with the ICA the decisions were made on: kept
    assert main([*argv, "--ica", str(out / "rec_ica.fif")]) == 0
    assert "(1 decided by hand, kept)" in capsys.readouterr().out
    assert {f: _read(tsv)[2][f] for f in FIELDS} == {f: marked[f] for f in FIELDS}
    # --discard-manual refits and drops them
    assert main([*argv, "--discard-manual", "--n-components", "8"]) == 0
    assert "manual" not in {r["annotate_method"] for r in _read(tsv)}
