"""The review of a labelled BIDS dataset, without a display."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from mne_icalabel.annotation import mark_component, read_components_tsv
from mne_icalabel.review import DatasetReview, TSVChangedError

pytest.importorskip("mne_bids")

RUN = "'mne-icalabel bids' (pid 4242 on host somewhere, started 2026-01-01)"


def _open_first(root, **kwargs):
    dataset = DatasetReview(root, author="Reviewer", **kwargs)
    index = dataset.recording_rows[0]
    review = dataset.open(dataset.queue.load(index))
    return dataset, review, index


def test_doubtful_first(review_root):
    dataset, review, index = _open_first(review_root)
    entry = dataset.queue.entries[index]
    assert dataset.current_index == index and dataset.loaded.entry is entry
    # the components most doubtful first, the first of them selected
    assert review.order == entry.order()
    doubt = [entry.doubt[k] for k in review.order]
    assert doubt == sorted(doubt)
    assert review.selected == review.order[0]
    review.step(1)
    assert review.selected == review.order[1]
    # the recordings: not reviewed first, by their most doubtful component
    first_rank = {}
    for rank, (i, _) in enumerate(dataset.queue.order()):
        first_rank.setdefault(i, rank)
    assert dataset.recording_rows == sorted(first_rank, key=first_rank.get)
    assert dataset.neighbour(dataset.recording_rows[0], 1) == dataset.recording_rows[1]
    assert dataset.neighbour(dataset.recording_rows[-1], 1) is None
    # the TSV's exclusions, and the policy's rule on a new label
    status = read_components_tsv(entry.recording.tsv)["status"]
    assert sorted(review.excluded) == [k for k, s in enumerate(status) if s == "bad"]
    k = review.order[0]
    review.set_label(k, "Eye")
    assert k in review.excluded
    review.set_label(k, "Other")  # kept by the default policy
    assert k not in review.excluded


def test_modified_and_save(review_root):
    dataset, review, index = _open_first(review_root)
    events = []
    dataset.subscribe(lambda e: events.append((e.kind, e.component)))
    tsv = dataset.loaded.entry.recording.tsv
    assert not dataset.modified
    k = review.order[0]
    new = "Heart" if review.labels.get(k) != "Heart" else "Muscle"
    review.select(k)
    review.press(str(review.class_names.index(new) + 1))
    assert dataset.modified
    entry = dataset.save()
    assert not dataset.modified and not review.modified
    assert events == [("entry", index)]
    assert entry.state == "changed" and entry.n_manual == 1
    content = read_components_tsv(tsv)
    assert content["labels"][k] == review.label_map[new]
    review_record = json.loads(tsv.with_suffix(".json").read_text())["Review"]
    assert review_record["Author"] == "Reviewer" and review_record["Changed"] == [k]
    # discarding reverts the unsaved label (test_discard_reverts_the_decisions)
    review.press("1")
    dataset.discard()
    assert not dataset.modified


def _rows(tsv) -> list[dict]:
    with open(tsv, encoding="utf-8", newline="") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def test_discard_reverts_the_decisions(review_root):
    dataset, review, index = _open_first(review_root)
    ica = dataset.loaded.ica
    tsv = dataset.loaded.entry.recording.tsv
    before = {key: list(comps) for key, comps in ica.labels_.items()}
    labels, excluded = review.labels, review.excluded
    k, j = review.order[:2]
    new = "Heart" if labels.get(k) != "Heart" else "Muscle"  # not kept
    review.set_label(k, new)
    assert k in review.excluded and ica.labels_ != before
    dataset.discard()
    assert review.labels == labels and ica.labels_ == before
    assert review.excluded == excluded
    assert review.manual_marks() == {} and not dataset.modified
    # a later decision is saved alone: the discarded one is never written
    other = "Eye" if labels.get(j) != "Eye" else "Muscle"
    review.set_label(j, other)
    assert review.manual_marks() == {j: review.label_map[other]}
    dataset.save()
    rows = _rows(tsv)
    assert [i for i, row in enumerate(rows) if row["annotate_method"] == "manual"] == [
        j
    ]
    assert read_components_tsv(tsv)["labels"][k] == dataset.loaded.label_keys()[k]


def test_rewritten_recording_is_read_only(review_root, monkeypatch):
    dataset, review, index = _open_first(review_root)
    other = next(i for i in range(len(dataset.queue)) if i != index)
    state = {"run": (RUN, frozenset({index, other}))}
    monkeypatch.setattr(dataset.queue, "rewriting", lambda: state["run"])
    change = dataset.poll_rewriting()
    assert change.changed == {index, other} and not change.finished
    reason = review.read_only
    assert dataset.loaded.entry.key in reason and "pid 4242" in reason
    assert "read-only" in reason
    assert dataset.read_only_reason(other).startswith(dataset.queue.entries[other].key)
    assert dataset.poll_rewriting() is None  # nothing new
    k = review.order[0]
    before = review.labels.get(k)
    assert review.press("1" if before != "Brain" else "7")
    assert review.labels.get(k) == before and not dataset.modified
    with pytest.raises(RuntimeError, match="pid 4242"):
        review.set_label(k, "Muscle")
    with pytest.raises(RuntimeError, match="Not saved: .*being rewritten"):
        dataset.save()
    # the run is done with the other one first, then with this one, rewritten
    state["run"] = (RUN, frozenset({index}))
    change = dataset.poll_rewriting()
    assert change.finished == {other} and not change.reload
    assert review.read_only is not None
    mark_component(
        k, dataset.loaded.entry.recording.tsv, "manual", "muscle artifact", "bids"
    )
    state["run"] = ("", frozenset())
    change = dataset.poll_rewriting()
    assert change.finished == {index} and change.reload
    assert review.read_only is None and dataset.read_only_reason(index) is None
    assert dataset.queue.entries[index].n_manual == 1  # read again


def test_save_refuses_a_tsv_changed_on_disk(review_root):
    dataset, review, index = _open_first(review_root)
    tsv = dataset.loaded.entry.recording.tsv
    k, other = review.order[:2]
    review.set_label(k, "Line Noise")
    mark_component(other, tsv, "manual", "heart beat", "someone else")
    theirs = tsv.read_bytes(), tsv.with_suffix(".json").read_bytes()
    with pytest.raises(TSVChangedError, match="changed on disk since"):
        dataset.save()
    assert (tsv.read_bytes(), tsv.with_suffix(".json").read_bytes()) == theirs
    assert dataset.modified
    dataset.save(force=True)
    labels = read_components_tsv(tsv)["labels"]
    assert labels[k] == "line_noise" and labels[other] == "heart beat"
    assert not dataset.modified
    np.testing.assert_array_equal(
        dataset.loaded.ica.labels_scores_,
        read_components_tsv(tsv)["probabilities"]["iclabel"],
    )


def test_reviews_of_one_queue(review_root):
    """Two reviews of one queue (a browser's tabs): own recordings, one guard."""
    first, review, index = _open_first(review_root)
    rows = list(reversed(first.recording_rows))
    second = DatasetReview.of_queue(first.queue, author="Other", recording_rows=rows)
    assert second.queue is first.queue and second.recording_rows == rows
    assert second.current_index == -1 and not second.modified
    other = second.open(first.queue.load(index))
    assert other is not review and other.ica is not review.ica
    k = review.order[0]
    label = "Heart" if review.labels.get(k) != "Heart" else "Muscle"
    review.set_label(k, label)
    assert not second.modified  # its own labels
    first.save()
    other.set_label(review.order[1], label)
    with pytest.raises(TSVChangedError, match="changed on disk"):
        second.save()  # the first review wrote the TSV since this one read it
    assert second.save(force=True).n_manual == 2
    with pytest.raises(ValueError, match="permutation"):
        DatasetReview.of_queue(first.queue, recording_rows=[0, 0])


def _drop_probabilities(tsv) -> None:
    """Remove the probability columns and the policy record that names them.

    As in a TSV labelled by hand elsewhere.
    """
    rows = [line.split("\t") for line in tsv.read_text(encoding="utf-8").splitlines()]
    keep = [
        i
        for i, name in enumerate(rows[0])
        if not name.startswith(("iclabel_", "megnet_"))
    ]
    text = "\n".join("\t".join(row[i] for i in keep) for row in rows) + "\n"
    tsv.write_text(text, encoding="utf-8")
    json_path = tsv.with_suffix(".json")
    sidecar = json.loads(json_path.read_text(encoding="utf-8"))
    del sidecar["ExclusionPolicy"]
    json_path.write_text(json.dumps(sidecar, indent=4), encoding="utf-8")


def test_kept_rule_is_the_same_shown_and_saved(review_root):
    """Without probability columns, a Brain label is kept on screen and on disk."""
    from mne_icalabel.review import ReviewQueue

    for entry in ReviewQueue(review_root).entries:
        _drop_probabilities(entry.recording.tsv)
    dataset, review, index = _open_first(review_root)
    loaded = dataset.loaded
    assert loaded.entry.methods == () and "brain" in loaded.kept
    assert "eog" not in loaded.kept
    labels = review.labels
    k = next(c for c in review.order if labels.get(c) != "Brain")
    j = next(c for c in review.order if labels.get(c) != "Eye" and c != k)
    review.set_label(k, "Brain")  # a change: the rule decides its exclusion
    review.set_label(j, "Eye")
    assert k not in review.excluded and j in review.excluded
    shown = review.excluded
    dataset.save()
    status = read_components_tsv(loaded.entry.recording.tsv)["status"]
    assert (status[k], status[j]) == ("good", "bad")
    for c in review.manual_marks():  # what is shown excluded is saved bad
        assert (status[c] == "bad") == (c in shown)
