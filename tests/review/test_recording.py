"""The labelling state of one recording, driven as a front end would (no Qt)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mne_icalabel.annotation._classes import CLASSES, to_mne_key
from mne_icalabel.review import ComponentsReview, key_intent

EEG_KEYS = ["brain", "muscle", "eog", "ecg", "line_noise", "ch_noise", "other"]


def _record(review) -> list[tuple]:
    """Subscribe to ``review``; return the list its events are appended to."""
    events = []
    review.subscribe(lambda e: events.append((e.kind, e.component, e.label)))
    return events


def test_import_loads_no_display_library():
    code = (
        "import sys, mne_icalabel.review\n"
        "names = ('qtpy', 'PyQt5', 'PyQt6', 'PySide2', 'PySide6', 'matplotlib')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in names))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=300,
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_keys_label_move_and_reset(eeg_raw, eeg_ica):
    review = ComponentsReview(eeg_raw, eeg_ica)
    events = _record(review)
    assert review.selected == 0 and review.class_names[2] == "Eye"
    assert {key: eeg_ica.labels_[key] for key in EEG_KEYS} == dict.fromkeys(
        EEG_KEYS, []
    )
    assert review.press("3")  # Eye
    assert eeg_ica.labels_["eog"] == [0] and review.labels == {0: "Eye"}
    assert review.modified and events == [("label", 0, "Eye")]
    assert review.press("N") and review.selected == 1
    assert review.press("m")  # a browser's lower case: Muscle
    assert eeg_ica.labels_["muscle"] == [1]
    assert review.press("ArrowRight") and review.selected == 2
    assert review.press("Left") and review.press("P") and review.selected == 0
    assert review.press("P") and review.selected == 0  # stays at the start
    review.press("Down")
    review.press("0")  # reset: removed from every class
    assert [k for k in EEG_KEYS if 1 in eeg_ica.labels_[k]] == []
    assert review.manual_marks() == {0: "eog", 1: None}
    # relabelling moves the component from one class to the other
    review.select(0)
    review.press("H")
    assert eeg_ica.labels_["eog"] == [] and eeg_ica.labels_["ecg"] == [0]
    # keys that mean nothing here
    assert not review.press("X") and not review.press("8")
    assert key_intent("Backspace", review.class_names) == ("reset", 0)
    assert review.labels_for_ica() == {k: eeg_ica.labels_[k] for k in EEG_KEYS}
    review.mark_saved()
    assert not review.modified and events[-1] == ("saved", None, None)


def test_auto_advance(eeg_raw, eeg_ica):
    review = ComponentsReview(eeg_raw, eeg_ica, order=[4, 2, 0, 1, 3, 5])
    events = _record(review)
    assert review.selected == 4 and not review.auto_advance
    assert review.press("A") and review.auto_advance
    assert events == [("auto_advance", None, None)]
    review.press("L")
    assert eeg_ica.labels_["line_noise"] == [4] and review.selected == 2
    review.label_selected("Other")
    assert eeg_ica.labels_["other"] == [2] and review.selected == 0
    # set_label (a script) labels without moving
    review.set_label(3, "Brain")
    assert review.selected == 0
    review.select(5)  # the last of the list: stays
    review.press("C")
    assert eeg_ica.labels_["ch_noise"] == [5] and review.selected == 5
    review.press("a")
    assert not review.auto_advance


def test_meg_classes_and_keys(meg_raw, meg_ica):
    review = ComponentsReview(meg_raw, meg_ica)
    assert review.class_names == ["Brain/Other", "Eye Blink", "Heart Beat"] + [
        "Eye Movement"
    ]
    assert review.class_letters == ["B", "E", "H", "M"]
    assert not review.press("7")  # no seventh class
    review.press("M")
    assert meg_ica.labels_["eye_movement"] == [0]
    review.press("N")
    review.press("2")
    assert meg_ica.labels_["eog"] == [1]


def test_order_and_checks(eeg_raw, eeg_ica):
    before = dict(getattr(eeg_ica, "labels_", None) or {})
    with pytest.raises(ValueError, match="order must be a permutation"):
        ComponentsReview(eeg_raw, eeg_ica, order=[0, 1, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="excluded must hold component indices"):
        ComponentsReview(eeg_raw, eeg_ica, excluded=[6])
    with pytest.raises(ValueError, match=r"scores\['iclabel'\] must have shape"):
        ComponentsReview(eeg_raw, eeg_ica, scores=dict(iclabel=np.ones((2, 7))))
    assert (getattr(eeg_ica, "labels_", None) or {}) == before  # not changed
    review = ComponentsReview(eeg_raw, eeg_ica, order=[5, 4, 3, 2, 1, 0])
    review.step(2)
    assert review.selected == 3 and review.position == 2
    review.set_order(None)
    assert review.selected == 3 and review.position == 3
    with pytest.raises(ValueError, match="label must be one of"):
        review.set_label(0, "Eye Blink")
    with pytest.raises(ValueError, match="component must be between 0 and 5"):
        review.set_label(6, "Eye")


def _fake_result(review, rng):
    """A result as LabellingTask.run returns it, for known probabilities."""
    proba = rng.dirichlet(np.ones(7), review.n_components).astype(np.float32)
    labels = [CLASSES["iclabel"][i] for i in np.argmax(proba, axis=1)]
    return proba, ({"iclabel": proba}, labels, ["a warning"])


def test_manual_marks_kept_when_labels_recomputed(eeg_raw, eeg_ica):
    eeg_ica.labels_ = {"brain": [3]}  # a label from before
    review = ComponentsReview(eeg_raw, eeg_ica)
    events = _record(review)
    review.set_label(1, "Heart")
    rng = np.random.default_rng(0)
    task = review.labelling_task()
    assert task.method == "iclabel" and task.ica is eeg_ica
    for _ in range(2):  # recomputed: the decisions stay
        proba, result = _fake_result(review, rng)
        assert review.apply_labels(task, result) == ["a warning"]
        np.testing.assert_array_equal(eeg_ica.labels_scores_, proba)
        np.testing.assert_array_equal(review.scores, proba.astype(float))
        assert review.labels[1] == "Heart" and review.labels[3] == "Brain"
        for k in (1, 3):
            keys = [key for key in EEG_KEYS if k in eeg_ica.labels_[key]]
            assert keys == [review.label_map[review.labels[k]]]
        assert review.manual_marks() == {1: "ecg"}
    # the components without a label got the first automatic class
    first = np.random.default_rng(0).dirichlet(np.ones(7), 6).astype(np.float32)
    for k in (0, 2, 4, 5):
        label = CLASSES["iclabel"][int(np.argmax(first[k]))]
        assert k in eeg_ica.labels_[to_mne_key(label)]
    assert review.automatic(2) == (
        review.score_names[int(np.argmax(proba[2]))],
        float(proba[2].max()),
    )
    assert [e[0] for e in events] == ["label", "scores", "scores"]
    # a result of another recording is refused, nothing changes
    other_ica = eeg_ica.copy()
    other_ica.labels_scores_ = None
    other = ComponentsReview(eeg_raw, other_ica)
    with pytest.raises(ValueError, match="another recording"):
        other.apply_labels(task, result)
    assert not other.has_scores and other_ica.labels_scores_ is None
    with pytest.raises(ValueError, match="method"):
        review.labelling_task("icalabel")


def test_revert_goes_back_to_the_labels_loaded_then_saved(eeg_raw, eeg_ica):
    eeg_ica.labels_ = {"brain": [3], "eog/0/EOG061": [5]}  # from before
    review = ComponentsReview(eeg_raw, eeg_ica, excluded=[2], kept=("brain", "other"))
    labels_ = eeg_ica.labels_
    loaded = {key: list(comps) for key, comps in labels_.items()}
    events = _record(review)
    review.set_label(0, "Eye")  # not kept: excluded
    review.set_label(2, "Other")  # kept: no longer excluded
    task = review.labelling_task()
    review.apply_labels(task, _fake_result(review, np.random.default_rng(0))[1])
    review.set_label(3, None)
    assert review.has_scores and review.modified
    assert review.manual_marks() == {0: "eog", 2: "other", 3: None}
    review.revert()
    assert eeg_ica.labels_ is labels_ and labels_ == loaded
    assert eeg_ica.labels_scores_ is None and not review.has_scores
    assert review.other_scores == {}
    assert review.labels == {3: "Brain"} and review.excluded == {2}
    assert review.manual_marks() == {} and not review.modified
    assert events[-1] == ("reverted", None, None)
    # after a save, back to what was saved
    review.set_label(1, "Heart")
    review.mark_saved()
    saved = {key: list(comps) for key, comps in labels_.items()}
    review.set_label(1, "Muscle")
    review.set_label(4, "Eye")
    review.revert()
    assert labels_ == saved and review.labels == {1: "Heart", 3: "Brain"}
    assert review.excluded == {1, 2} and review.manual_marks() == {}


def test_kept_classes_change_excluded_and_observers(eeg_raw, eeg_ica):
    review = ComponentsReview(eeg_raw, eeg_ica, excluded=[2], kept=("brain", "other"))
    events = _record(review)
    review.set_label(2, "Other")  # kept: no longer excluded
    assert review.excluded == frozenset()
    review.set_label(0, "Eye")  # not kept: excluded
    assert review.excluded == {0}
    review.set_label(0, "Eye")  # no change: no event
    assert events == [
        ("label", 2, "Other"),
        ("excluded", None, None),
        ("label", 0, "Eye"),
        ("excluded", None, None),
    ]
    review.select(0)  # selected already: nothing to tell
    assert len(events) == 4
    unsubscribe = review.subscribe(lambda e: events.append(("second", e.kind)))
    review.set_read_only("busy")
    assert events[-2:] == [("read_only", None, None), ("second", "read_only")]
    unsubscribe()
    review.set_read_only(None)
    assert events[-1] == ("read_only", None, None)


def test_read_only_refuses_changes(eeg_raw, eeg_ica):
    review = ComponentsReview(eeg_raw, eeg_ica)
    review.set_read_only("sub-01 is being rewritten by 'mne-icalabel bids' (pid 7)")
    assert review.press("1")  # a label key: understood, nothing changes
    assert review.press("0") and review.labels == {} and not review.modified
    with pytest.raises(RuntimeError, match="pid 7"):
        review.set_label(0, "Eye")
    with pytest.raises(RuntimeError, match="pid 7"):
        review.labelling_task()  # no automatic labels either
    assert review.press("N") and review.selected == 1  # looking is allowed
    review.set_read_only(None)
    review.press("1")
    assert review.labels == {1: "Brain"}


def test_result_refused_when_read_only_meanwhile(eeg_raw, eeg_ica):
    """A result that comes after the review became read-only changes nothing."""
    eeg_ica.labels_ = {"brain": [3]}
    review = ComponentsReview(eeg_raw, eeg_ica)
    task = review.labelling_task()  # allowed when it starts
    before = {key: list(comps) for key, comps in eeg_ica.labels_.items()}
    review.set_read_only("sub-01 is being rewritten by 'mne-icalabel bids' (pid 7)")
    events = _record(review)
    result = _fake_result(review, np.random.default_rng(0))[1]
    with pytest.raises(RuntimeError, match="dropped: .*pid 7"):
        review.apply_labels(task, result)
    assert eeg_ica.labels_ == before
    assert getattr(eeg_ica, "labels_scores_", None) is None
    assert not review.has_scores and not review.modified and events == []
    review.set_read_only(None)
    review.apply_labels(task, result)
    assert review.has_scores and review.modified


def test_snapshot_is_plain_data(eeg_raw, eeg_ica):
    proba = np.full((6, 7), 0.05)
    proba[np.arange(6), [3, 0, 2, 6, 1, 4]] = 0.7
    review = ComponentsReview(
        eeg_raw,
        eeg_ica,
        scores=dict(iclabel=proba),
        excluded=[3],
        order=[3, 0, 1, 2, 4, 5],
    )
    review.press("2")
    state = json.loads(json.dumps(review.snapshot()))
    assert state["selected"] == 3 and state["order"] == [3, 0, 1, 2, 4, 5]
    assert state["labels"] == {"3": "Muscle"} and state["manual"] == [3]
    assert state["excluded"] == [3] and state["modified"]
    assert state["automatic"][0] == ["Heart", 0.7]
    assert state["scores"]["ICLabel"]["values"] == proba.tolist()
    assert state["class_letters"][:3] == ["B", "M", "E"]


def test_label_removed_by_hand_stays_removed(eeg_raw, eeg_ica):
    """Nothing automatic overwrites a decision, a removal included."""
    eeg_ica.labels_ = {"eog": [2]}
    review = ComponentsReview(eeg_raw, eeg_ica)
    review.set_label(2, None)
    task = review.labelling_task()
    review.apply_labels(task, _fake_result(review, np.random.default_rng(1))[1])
    assert review.labels.get(2) is None
    assert all(2 not in comps for comps in eeg_ica.labels_.values())
    assert review.manual_marks() == {2: None}
    # the others got their automatic class
    assert all(review.labels.get(k) is not None for k in (0, 1, 3, 4, 5))
