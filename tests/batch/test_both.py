"""method="both": one ICA of EEG and MEG labelled by ICLabel and MEGNet."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from mne_icalabel.annotation import read_components_tsv
from mne_icalabel.annotation._classes import CLASSES, to_mne_key
from mne_icalabel.annotation.policy import ExclusionPolicy
from mne_icalabel.commands.main import main


def _onehot(n_classes, classes):
    proba = np.full((len(classes), n_classes), 0.01)
    proba[np.arange(len(classes)), classes] = 1.0
    return proba / proba.sum(axis=1, keepdims=True)


def test_combine_labels_rule():
    """The policy per network; excluded by either, ICLabel's class first."""
    # ICLabel: brain, brain, eye, muscle, other ; MEGNet: brain/other, heart,
    # brain/other, eye, brain/other (one-hot: 1 / 1.06 = 0.94, 1 / 1.03 = 0.97)
    proba = dict(
        iclabel=_onehot(7, [0, 0, 2, 1, 6]), megnet=_onehot(4, [0, 2, 0, 1, 0])
    )
    decision = ExclusionPolicy().decide(proba, "both")
    excluded, labels, descriptions = (
        decision.excluded,
        list(decision.labels),
        decision.descriptions,
    )
    assert labels == ["brain", "heart beat", "eye blink", "muscle artifact", "other"]
    assert excluded.tolist() == [False, True, True, True, False]
    assert decision.exclude == [1, 2, 3]
    assert list(decision.per_method) == ["iclabel", "megnet"]
    assert decision.per_method["megnet"].exclude == [1, 3]
    assert descriptions[1] == "Auto-detected heart beat (p=0.97) by megnet"
    assert descriptions[3] == "Auto-detected muscle artifact (p=0.94) by iclabel"
    assert descriptions[4] == (
        "Kept: other (p=0.94) by iclabel; Kept: brain/other (p=0.97) by megnet"
    )
    # a policy that keeps muscle: the third is excluded by MEGNet's eye blink
    policy = ExclusionPolicy(include=["brain", "other", "muscle artifact"])
    decision = policy.decide(proba, "both")
    assert decision.labels[3] == "eye blink" and decision.excluded[3]
    # argmax keeping brain only: ICLabel's "other" is excluded, as before 0.11
    argmax = ExclusionPolicy(rule="argmax", include=["brain"])
    assert argmax.decide(proba, "both").excluded.tolist() == [
        False,
        True,
        True,
        True,
        True,
    ]


def _excluded(proba):
    """The default policy on each network: excluded by ICLabel, by MEGNet."""
    policy = ExclusionPolicy()
    return policy.decide(proba["iclabel"], "iclabel").excluded, policy.decide(
        proba["megnet"], "megnet"
    ).excluded


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
    # the TSV holds ICLabel's float32 outputs exactly
    by_iclabel, by_megnet = _excluded(
        dict(iclabel=iclabel.astype(np.float32), megnet=megnet)
    )
    keep = ~(by_iclabel | by_megnet)
    assert [r["status"] for r in rows] == ["good" if k else "bad" for k in keep]
    assert {r["annotate_method"] for r in rows} == {"iclabel+megnet"}
    assert "Exclusion policy: threshold: iclabel keeps brain, other" in out
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


@pytest.fixture(scope="module")
def meg_eeg_bids(shared_data, tmp_path_factory):
    """A BIDS dataset of one 61 s recording of 102 magnetometers and 60 EEG."""
    from mne_bids import BIDSPath, write_raw_bids

    from mne_icalabel.datasets.simulation import simulate_meg_raw

    raw = simulate_meg_raw(
        shared_data / "meg" / "sample_audvis_trunc_raw_sss.fif",
        61.0,  # MEGNet needs 60 s
        meg="mag",
        eeg=True,
        random_state=0,
        verbose=False,
    )
    root = tmp_path_factory.mktemp("bids_both") / "ds"
    bids_path = BIDSPath(subject="01", task="rest", datatype="meg", root=root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mne-bids: no line frequency, no events
        write_raw_bids(raw, bids_path, format="FIF", allow_preload=True, verbose=False)
    return root


def test_bids_both(meg_eeg_bids, capsys):
    """bids --method both: both column sets, the rule, a labelled summary row."""
    from mne.preprocessing import read_ica
    from mne_bids import BIDSPath, read_raw_bids

    from mne_icalabel.batch import prepare_recording
    from mne_icalabel.batch.bids import label_bids_dataset

    root = meg_eeg_bids
    with pytest.raises(ValueError, match="datatype='meg'"):
        label_bids_dataset(root, method="both")  # datatype="eeg"
    summary = label_bids_dataset(
        root, method="both", datatype="meg", n_components=10, report=False
    )
    row = summary.iloc[0]
    assert len(summary) == 1 and row["status"] == "labelled", row["error"]
    assert row["ica"] == "fitted" and row["n_components"] == 10
    assert "ICLabel was trained on EEG-only" in row["warnings"]
    assert "MEGNet was trained on MEG-only" in row["warnings"]
    folder = root / "derivatives" / "mne-icalabel" / "sub-01" / "meg"
    rows = _read(folder / "sub-01_task-rest_components.tsv")
    columns = list(rows[0])
    iclabel = [c for c in columns if c.startswith("iclabel_")]
    megnet = [c for c in columns if c.startswith("megnet_")]
    assert len(iclabel) == 7 and len(megnet) == 4
    proba = {
        "iclabel": np.array(
            [[float(r[c]) for c in iclabel] for r in rows], dtype=np.float32
        ),
        "megnet": np.array([[float(r[c]) for c in megnet] for r in rows]),
    }
    # the documented rule: excluded when the policy excludes the component for
    # either network, with ICLabel's class if it does (with the default
    # thresholds, p >= 0.8, the excluding class is the most probable), else
    # MEGNet's; a kept component has ICLabel's most probable class
    iclabel_key = [to_mne_key(c) for c in CLASSES["iclabel"]]
    megnet_key = [to_mne_key(c) for c in CLASSES["megnet"]]
    best = {method: values.argmax(axis=1) for method, values in proba.items()}
    by_iclabel, by_megnet = _excluded(proba)
    expected = [
        megnet_key[m] if em and not ei else iclabel_key[i]
        for i, m, ei, em in zip(
            best["iclabel"], best["megnet"], by_iclabel, by_megnet, strict=True
        )
    ]
    assert [r["ic_type"] for r in rows] == expected
    assert [r["status"] for r in rows] == [
        "bad" if e else "good" for e in by_iclabel | by_megnet
    ]
    described = [r["status_description"] for r in rows]
    assert all(
        d.endswith("by iclabel") == ei
        for d, ei in zip(described, by_iclabel, strict=True)
        if d.startswith("Auto-detected")
    )
    # the data exercise the rule: a component that only MEGNet excludes (the
    # heartbeat, which ICLabel calls "other"), with MEGNet's class, and one
    # that both exclude (the blink), with ICLabel's
    only_megnet = np.flatnonzero(by_megnet & ~by_iclabel)
    assert len(only_megnet), "the simulation no longer gives a MEGNet-only exclusion"
    assert all(described[k].endswith("by megnet") for k in only_megnet)
    assert (by_iclabel & by_megnet).any()
    labels = list(ExclusionPolicy().decide(proba, "both").labels)
    counts = "; ".join(f"{k}: {labels.count(k)}" for k in dict.fromkeys(labels))
    assert row["labels"] == counts
    # the blink, seen by EEG and MEG, is excluded as an eye artifact
    ica = read_ica(folder / "sub-01_task-rest_ica.fif", verbose=False)
    bids_path = BIDSPath(subject="01", task="rest", datatype="meg", root=root)
    prepared = prepare_recording(read_raw_bids(bids_path, verbose=False), "both")
    sources = ica.get_sources(prepared).get_data()
    eog = prepared.get_data("eog")[0]
    blink = int(np.argmax([abs(np.corrcoef(s, eog)[0, 1]) for s in sources]))
    assert rows[blink]["ic_type"] == "eog" and rows[blink]["status"] == "bad"
    read = read_components_tsv(folder / "sub-01_task-rest_components.tsv")
    assert sorted(read["probabilities"]) == ["iclabel", "megnet"]
    summary_rows = _read(root / "derivatives" / "mne-icalabel" / "summary.tsv")
    assert [r["status"] for r in summary_rows] == ["labelled"]
    # the command: --method both looks in the meg recordings by default
    assert main(["bids", str(root), "--method", "both", "--no-report"]) == 0
    assert "1 recording(s): 0 labelled, 1 skipped" in capsys.readouterr().out
