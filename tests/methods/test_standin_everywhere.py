"""A method registered by a test alone runs through every part of the package.

The stand-in of ``tests/_standin.py`` (a deterministic function of the
ICLabel maps) labels a BIDS dataset (TSV, sidecar, report), is reviewed in
the review model (a key press, a save) and the dataset is cleaned by apply,
with no file of the package naming it.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from mne_icalabel.batch import apply_bids_dataset, label_bids_dataset
from mne_icalabel.derivatives import derivatives_root
from mne_icalabel.review import ComponentsReview, ReviewQueue

from .._standin import NAME, standin_scores
from ..batch.conftest import write_subject

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_standin_through_bids_review_apply(standin_method, tmp_path):
    root = tmp_path / "ds"
    write_subject(root, "01", 0, duration=30.0)
    summary = label_bids_dataset(root, method=NAME, n_components=5, verbose=False)
    assert list(summary["status"]) == ["labelled"], summary["error"].tolist()
    deriv = derivatives_root(root)
    (tsv,) = deriv.rglob("*_components.tsv")
    with open(tsv, encoding="utf-8") as fid:
        rows = list(csv.DictReader(fid, delimiter="\t"))
    columns = [f"{NAME}_brain", f"{NAME}_eye_blink", f"{NAME}_other"]
    proba = np.array([[float(row[c]) for c in columns] for row in rows], np.float32)
    assert proba.shape == (5, 3)
    assert {row["annotate_method"] for row in rows} == {NAME}
    sidecar = json.loads(tsv.with_suffix(".json").read_text(encoding="utf-8"))
    assert "Topo halves" in sidecar[columns[1]]
    assert NAME in sidecar["ExclusionPolicy"]
    report = next(deriv.rglob("*_report.html")).read_text(encoding="utf-8")
    assert "Topo halves" in report or NAME in report

    # the ICA and recording bids saw give the probabilities written
    queue = ReviewQueue(root)
    loaded = queue.load(0)
    assert loaded.entry.methods == (NAME,)
    model = ComponentsReview(loaded.inst, loaded.ica, scores=loaded.probabilities)
    from mne_icalabel.iclabel import get_iclabel_features

    expected = standin_scores(get_iclabel_features(loaded.inst, loaded.ica)[0])
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-7)
    # a key press labels the component shown, a save writes a manual row
    model.select(2)
    model.press("E")
    assert model.labels[2] == "Eye Blink" and model.manual_marks() == {2: "eog"}
    queue.save(loaded, model.manual_marks(), "Ada")
    with open(tsv, encoding="utf-8") as fid:
        row = list(csv.DictReader(fid, delimiter="\t"))[2]
    assert (row["annotate_method"], row["status"]) == ("manual", "bad")

    summary = apply_bids_dataset(root, verbose=False)
    assert list(summary["status"]) == ["applied"], summary["error"].tolist()
    assert "ICA002" in summary["excluded"].iloc[0]
