"""The review window's dataset model, on a labelled two-subject BIDS dataset."""

from __future__ import annotations

import calendar
import json
import os
import time
import warnings

import numpy as np
import pytest

from mne_icalabel.annotation import mark_component, read_components_tsv
from mne_icalabel.annotation.policy import ExclusionPolicy
from mne_icalabel.review import (
    DOUBTFUL,
    Fingerprint,
    ReviewQueue,
    TSVChangedError,
    component_doubt,
)
from mne_icalabel.review._saving import default_author

from ..conftest import REVIEW_N_COMPONENTS

pytest.importorskip("mne_bids")


def _tsv_lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def _sidecar(path):
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def _drop_policy(tsv):
    """Remove the policy record, as in a TSV of another tool or an older bids."""
    json_path = tsv.with_suffix(".json")
    content = json.loads(json_path.read_text(encoding="utf-8"))
    del content["ExclusionPolicy"]
    json_path.write_text(json.dumps(content, indent=4), encoding="utf-8")


def _write_policy(tsv, policy, methods=("iclabel",)):
    """Record a policy in the sidecar, as ``bids`` does (agreed format)."""
    json_path = tsv.with_suffix(".json")
    content = json.loads(json_path.read_text(encoding="utf-8"))
    content["ExclusionPolicy"] = policy.to_dict(methods)
    json_path.write_text(json.dumps(content, indent=4), encoding="utf-8")


def test_entries_counts_and_state(review_root):
    queue = ReviewQueue(review_root)
    assert len(queue) == 2
    assert [e.key for e in queue.entries] == [
        f"sub-{s}/eeg/sub-{s}_task-rest_run-01_eeg.vhdr" for s in ("01", "02")
    ]
    for entry in queue.entries:
        content = read_components_tsv(entry.recording.tsv)
        assert entry.methods == ("iclabel",)
        assert entry.n_components == REVIEW_N_COMPONENTS
        assert entry.n_excluded == content["status"].count("bad")
        assert entry.n_manual == 0
        assert entry.state == "not reviewed"
        assert entry.has_policy  # bids records its policy in the sidecar
    # a manual row (e.g. from mark_component) counts, and is not doubtful
    tsv = queue.entries[1].recording.tsv
    mark_component(0, tsv, "manual", "heart beat", "jdoe")
    entry = queue.refresh(1)
    assert entry.n_manual == 1
    assert entry.manual.tolist() == [True] + [False] * (REVIEW_N_COMPONENTS - 1)
    assert not entry.doubtful[0]
    assert entry.order()[-1] == 0  # decided by hand: last


def test_doubt_without_policy_record_is_top_probability(review_root):
    for entry in ReviewQueue(review_root).entries:
        _drop_policy(entry.recording.tsv)
    queue = ReviewQueue(review_root)
    assert not any(entry.has_policy for entry in queue.entries)
    for entry in queue.entries:
        proba = read_components_tsv(entry.recording.tsv)["probabilities"]["iclabel"]
        top = proba.astype(np.float64).max(axis=1)
        np.testing.assert_array_equal(entry.doubt, top - 0.5)
        # most doubtful (lowest top probability) first
        assert entry.order() == list(np.argsort(top, kind="stable"))
    # across the dataset: one ranking of all 12 components
    order = queue.order()
    assert sorted(order) == [(i, k) for i in range(2) for k in range(6)]
    keys = [queue.entries[i].doubt[k] for i, k in order]
    assert keys == sorted(keys)


def test_doubt_with_policy_record_is_margin(review_root):
    queue = ReviewQueue(review_root)
    tsv = queue.entries[0].recording.tsv
    policy = ExclusionPolicy(exclusion_threshold=0.95)
    _write_policy(tsv, policy)
    entry = queue.refresh(0)
    assert entry.has_policy
    proba = read_components_tsv(tsv)["probabilities"]["iclabel"]
    np.testing.assert_array_equal(entry.doubt, policy.decide(proba, "iclabel").margin)
    assert not np.array_equal(entry.doubt, proba.max(axis=1) - 0.5)
    # component_doubt of both networks: the margin of the combined decision,
    # the smaller one where both keep a component, the excluding network's
    # where one excludes it
    megnet = np.random.default_rng(0).dirichlet(np.ones(4), REVIEW_N_COMPONENTS)
    both = component_doubt({"iclabel": proba, "megnet": megnet}, policy)
    first, second = policy.decide(proba, "iclabel"), policy.decide(megnet, "megnet")
    for k in range(REVIEW_N_COMPONENTS):
        if first.excluded[k] and second.excluded[k]:
            expected = max(first.margin[k], second.margin[k])
        elif first.excluded[k] or second.excluded[k]:
            expected = (first if first.excluded[k] else second).margin[k]
        else:
            expected = min(first.margin[k], second.margin[k])
        assert both[k] == expected
    top = component_doubt({"iclabel": proba, "megnet": megnet}, None)
    np.testing.assert_array_equal(
        top, np.minimum(proba.max(1).astype(np.float64), megnet.max(1)) - 0.5
    )


def test_remaining_counts_doubtful_of_unreviewed(review_root):
    queue = ReviewQueue(review_root)
    # a strict policy makes the confident eye component of each recording doubtful
    policy = ExclusionPolicy(exclusion_threshold=0.95)
    for entry in queue.entries:
        _write_policy(entry.recording.tsv, policy)
    queue = ReviewQueue(review_root)
    expected = [int((e.doubt < DOUBTFUL).sum()) for e in queue.entries]
    assert sum(expected) > 0
    assert queue.n_remaining == sum(expected)
    loaded = queue.load(0)
    queue.save(loaded, {}, "jdoe")
    assert queue.entries[0].state == "reviewed"
    assert queue.n_remaining == expected[1]
    # a fresh queue (reopening) sees the same
    assert ReviewQueue(review_root).n_remaining == expected[1]
    assert ReviewQueue(review_root).recording_order()[-1] == 0  # reviewed: last


def test_invalid_policy_record(review_root):
    queue = ReviewQueue(review_root)
    tsv = queue.entries[0].recording.tsv
    json_path = tsv.with_suffix(".json")
    content = json.loads(json_path.read_text(encoding="utf-8"))
    content["ExclusionPolicy"] = {"Rule": "threshold", "iclabel": {"Include": ["x"]}}
    json_path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ValueError, match="exclusion policy recorded in .*invalid"):
        queue.refresh(0)
    json_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        ReviewQueue(review_root)


def test_load_prepares_as_labelled(review_root):
    import mne_bids
    from mne.preprocessing import read_ica

    from mne_icalabel.batch import prepare_recording

    queue = ReviewQueue(review_root)
    loaded = queue.load(1)
    rec = queue.entries[1].recording
    with warnings.catch_warnings():  # the EOG/ECG channels have no position
        warnings.simplefilter("ignore", RuntimeWarning)
        raw = mne_bids.read_raw_bids(rec.bids_path, verbose=False)
    expected = prepare_recording(raw, "iclabel", verbose=False)
    assert loaded.inst.ch_names == expected.ch_names
    np.testing.assert_array_equal(loaded.inst.get_data(), expected.get_data())
    assert loaded.method == "iclabel"
    # the policy bids recorded, which is the default one
    assert loaded.policy.to_dict(["iclabel"]) == ExclusionPolicy().to_dict(["iclabel"])
    content = read_components_tsv(rec.tsv)
    np.testing.assert_array_equal(
        loaded.ica.labels_scores_, content["probabilities"]["iclabel"]
    )
    np.testing.assert_array_equal(
        loaded.ica.unmixing_matrix_, read_ica(rec.ica, verbose=False).unmixing_matrix_
    )
    assert loaded.excluded == [k for k, s in enumerate(content["status"]) if s == "bad"]
    labelled = sorted(k for comps in loaded.ica.labels_.values() for k in comps)
    assert labelled == list(range(REVIEW_N_COMPONENTS))
    assert any("without locations" in w for w in loaded.warnings)
    # without a record: the default; a recorded policy is used
    _drop_policy(rec.tsv)
    assert queue.load(1).policy == ExclusionPolicy()
    policy = ExclusionPolicy(include=["brain"], rule="argmax")
    _write_policy(rec.tsv, policy)
    assert queue.load(1).policy == ExclusionPolicy.from_dict(
        policy.to_dict(["iclabel"])
    )


def test_save_writes_manual_rows_and_review(review_root):
    queue = ReviewQueue(review_root)
    loaded = queue.load(0)
    tsv = loaded.entry.recording.tsv
    before = _tsv_lines(tsv)
    header = before[0].split("\t")
    proba_cols = [i for i, c in enumerate(header) if c.startswith("iclabel_")]
    keys = loaded.label_keys()
    new = "muscle" if keys[3] != "muscle" else "ecg"
    start = time.time()
    entry = queue.save(loaded, {3: new, 4: keys[4]}, "Jane Doe")
    end = time.time()
    after = _tsv_lines(tsv)
    assert after[0] == before[0]
    for k in (0, 1, 2, 5):  # rows not decided: byte for byte
        assert after[k + 1] == before[k + 1]
    for k in (3, 4):
        old, row = before[k + 1].split("\t"), after[k + 1].split("\t")
        assert [row[i] for i in proba_cols] == [old[i] for i in proba_cols]
        assert row[header.index("annotate_method")] == "manual"
        assert row[header.index("annotate_author")] == "Jane Doe"
    row3 = after[4].split("\t")
    assert row3[header.index("ic_type")] == new
    assert row3[header.index("status")] == "bad"
    review = _sidecar(tsv)["Review"]
    assert review["Author"] == "Jane Doe"
    # 4 was confirmed (same label), 3 changed
    assert review["Changed"] == [3]
    # the save's UTC time, truncated to the second (time.gmtime): between the
    # second the save started in and its end (timegm: no local timezone)
    date = time.strptime(review["Date"], "%Y-%m-%dT%H:%M:%SZ")
    assert int(start) <= calendar.timegm(date) <= end, (review["Date"], start, end)
    assert "iclabel_brain" in _sidecar(tsv)  # column descriptions kept
    assert entry.state == "changed" and entry.n_manual == 2
    # a second save: Changed keeps the first review's components
    queue.save(loaded, {1: "ch_noise"}, "Jane Doe")
    assert _sidecar(tsv)["Review"]["Changed"] == [1, 3]
    # reopening: the state is read back from the sidecar
    assert ReviewQueue(review_root).entries[0].state == "changed"
    assert ReviewQueue(review_root).entries[1].state == "not reviewed"


def test_saved_status_follows_policy(review_root):
    queue = ReviewQueue(review_root)
    loaded = queue.load(0)
    tsv = loaded.entry.recording.tsv
    queue.save(loaded, {0: "other", 1: "eog", 2: "brain"}, "jdoe")
    status = read_components_tsv(tsv)["status"]
    # the default policy keeps brain and other
    assert status[:3] == ["good", "bad", "good"]
    # a recorded policy that keeps brain only
    _write_policy(tsv, ExclusionPolicy(include=["brain"]))
    loaded = queue.load(0)
    queue.save(loaded, {0: "other"}, "jdoe")
    assert read_components_tsv(tsv)["status"][0] == "bad"


def test_changed_on_disk_is_not_overwritten(review_root):
    queue = ReviewQueue(review_root)
    loaded = queue.load(0)
    tsv = loaded.entry.recording.tsv
    # touched, same bytes: no conflict
    os.utime(tsv, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert queue.changed_on_disk(loaded) == []
    # another program marks a component
    mark_component(5, tsv, "manual", "heart beat", "someone else")
    theirs = tsv.read_bytes()
    sidecar = tsv.with_suffix(".json").read_bytes()
    assert queue.changed_on_disk(loaded) == [tsv]
    with pytest.raises(TSVChangedError, match="changed on disk since"):
        queue.save(loaded, {0: "muscle"}, "jdoe")
    assert tsv.read_bytes() == theirs
    assert tsv.with_suffix(".json").read_bytes() == sidecar
    # saving anyway writes our row and keeps theirs
    queue.save(loaded, {0: "muscle"}, "jdoe", force=True)
    content = read_components_tsv(tsv)
    assert content["labels"][0] == "muscle" and content["labels"][5] == "heart beat"
    assert queue.changed_on_disk(loaded) == []  # the fingerprint follows the save
    # a sidecar changed by someone else counts too
    json_path = tsv.with_suffix(".json")
    json_path.write_text(json_path.read_text() + " ", encoding="utf-8")
    assert queue.changed_on_disk(loaded) == [json_path]


def test_errors(tmp_path, review_root):
    with pytest.raises(FileNotFoundError, match="not a BIDS dataset"):
        ReviewQueue(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="dataset_description.json"):
        ReviewQueue(tmp_path / "empty")
    with pytest.raises(RuntimeError, match="mne-icalabel bids"):
        ReviewQueue(review_root, subjects="03")
    with pytest.raises(RuntimeError, match="No labelled meg recording"):
        ReviewQueue(review_root, datatype="meg")
    queue = ReviewQueue(review_root)
    queue.entries[0].recording.ica.unlink()
    with pytest.raises(FileNotFoundError, match="No ICA found for sub-01"):
        queue.load(0)
    loaded = queue.load(1)
    with pytest.raises(ValueError, match="author"):
        queue.save(loaded, {0: "eog"}, "tab\there")


def test_fingerprint(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_text("x\n")
    first = Fingerprint.of(path)
    assert first.size == 2 and len(first.sha256) == 64
    assert first.same_content(Fingerprint.of(path))
    path.write_text("y\n")  # same size, other bytes
    assert not first.same_content(Fingerprint.of(path))
    assert Fingerprint.of(tmp_path / "missing").size == -1


def test_default_author(monkeypatch):
    import getpass

    monkeypatch.setenv("MNE_ICALABEL_AUTHOR", "  Jane Doe ")
    assert default_author() == "Jane Doe"
    monkeypatch.delenv("MNE_ICALABEL_AUTHOR")
    monkeypatch.setattr("mne.get_config", lambda key, default=None: None)
    monkeypatch.setattr(getpass, "getuser", lambda: "jdoe")
    assert default_author() == "jdoe"

    def fail():
        raise OSError("no login")

    monkeypatch.setattr(getpass, "getuser", fail)
    assert default_author() == "n/a"


def test_save_refused_while_a_run_claims_the_recording(review_root):
    """A bids run that claimed the recording since the last look: not saved."""
    from mne_icalabel.derivatives import RecordingClaims, derivatives_root

    queue = ReviewQueue(review_root)
    loaded = queue.load(0)
    tsv = loaded.entry.recording.tsv
    before = tsv.read_bytes(), tsv.with_suffix(".json").read_bytes()
    with RecordingClaims(derivatives_root(review_root), "bids") as run:
        assert run.claim([loaded.entry.key]) == {}
        with pytest.raises(RuntimeError, match=r"Not saved: .* 'mne-icalabel bids'"):
            queue.save(loaded, {0: "muscle"}, "jdoe")
        assert (tsv.read_bytes(), tsv.with_suffix(".json").read_bytes()) == before
    # the run is done: saved, and the review's own claim is gone
    queue.save(loaded, {0: "muscle"}, "jdoe")
    assert read_components_tsv(tsv)["labels"][0] == "muscle"
    assert not list((derivatives_root(review_root) / ".claims").glob("*"))
