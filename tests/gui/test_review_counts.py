"""The review window's two counts say what they count (issue 29)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("qtpy")
pytest.importorskip("mne_bids")
from mne_icalabel.gui import review_bids_dataset  # noqa: E402


def test_header_and_status_bar_counts(qtbot, review_root):
    window = review_bids_dataset(review_root, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.wait_loaded()
    entry = window.loaded.entry
    header = re.sub(r"<[^>]+>", " ", window.recording_header.text())
    n_here = int(entry.doubtful.sum())
    # the header counts this recording's, and says so
    assert f"{n_here} doubtful component{'s' * (n_here != 1)} in this recording" in (
        " ".join(header.split())
    )
    # the status bar counts the dataset's remaining ones: the sum of the
    # recordings', of which this one's is a part
    status = window.remaining_label.text()
    total = sum(e.n_remaining for e in window.queue.entries)
    assert status.startswith(f"{total} doubtful component")
    assert entry.n_remaining <= total
    # the next recording is read ahead in the window's worker thread, with
    # MNE's (global) level at WARNING meanwhile: closing does not wait for it,
    # and it ended in the next test, whose own verbose= calls it raced
    window.wait_prefetch()
    window.close()
