"""The store is the only writer: every file under derivatives/ goes through it."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from mne_icalabel.batch import apply_bids_dataset, label_bids_dataset
from mne_icalabel.derivatives import _files, derivatives_root
from mne_icalabel.review import ReviewQueue

from ..batch.conftest import SUBJECTS, write_subject


def _files_under(folder: Path) -> set[Path]:
    return {
        Path(dirpath) / name for dirpath, _, names in os.walk(folder) for name in names
    }


def test_every_file_goes_through_the_store(tmp_path, monkeypatch):
    """bids, a review save and apply: each file on disk was written by the store."""
    root = tmp_path / "ds"
    for seed, subject in enumerate(SUBJECTS):
        write_subject(root, subject, seed, duration=30.0)
    written: list[Path] = []
    writing = _files.writing

    @contextmanager
    def counting(fname, **kwargs):
        with writing(fname, **kwargs) as tmp:
            yield tmp
        written.append(Path(fname))

    monkeypatch.setattr(_files, "writing", counting)
    summary = label_bids_dataset(root, n_components=5, verbose=False)
    assert list(summary["status"]) == ["labelled"] * len(SUBJECTS)
    queue = ReviewQueue(root)
    loaded = queue.load(0)
    queue.save(loaded, {0: "eog"}, "Ada")
    summary = apply_bids_dataset(root, verbose=False)
    assert list(summary["status"]) == ["applied"] * len(SUBJECTS)

    on_disk = _files_under(derivatives_root(root))
    # what a run leaves: per recording TSV, sidecar, ICA, report, cleaned file
    # and its sidecar; summary.tsv and dataset_description.json
    assert len(on_disk) == 6 * len(SUBJECTS) + 2
    assert on_disk <= set(written), sorted(on_disk - set(written))
    # the TSV of the reviewed recording: by the labelling, then by the save
    tsv = queue.refresh(0).recording.tsv
    assert written.count(tsv) == 2
