"""A review save (Ctrl+S) in a process killed by SIGKILL while it writes.

A real review window (offscreen Qt) in its own process saves a manual
decision, then keeps relabelling one component and pressing Ctrl+S; the test
kills it while a save writes the TSV or its sidecar, or at a seeded time.
Afterwards the TSV and sidecar read whole, hold either the previous save or
the new one, and the decision of the first, completed save is there; the next
save removes what the killed one left.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mne_icalabel.annotation import read_components_tsv
from tests.conftest import REVIEW_N_COMPONENTS

from ._kill import ATTEMPTS, kill_group, poll, temporaries, writing

pytest.importorskip("qtpy")
pytest.importorskip("mne_bids")

# the reviewer's first decision (saved, then kept) and the component relabelled
FIRST, LABEL_FIRST = 1, "Heart"
TOGGLED = 0
_CHILD = r"""
import os
import sys
from qtpy.QtCore import Qt
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication

from mne_icalabel.gui._review import ReviewWindow

app = QApplication.instance() or QApplication([])
window = ReviewWindow(sys.argv[1], show=True)
window.wait_loaded()
window.activateWindow()
for _ in range(200):
    app.processEvents()
window.author = "Reviewer One"
view = window.view
lst = view.list_components
first, label, toggled = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
view.select_component(first)
QTest.keyClick(lst, Qt.Key(Qt.Key.Key_1.value + view.class_names.index(label)))
QTest.keyClick(lst, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
assert not window.modified, "the first save did not happen"
marker = sys.argv[5]
with open(marker + ".part", "w", encoding="utf-8") as fid:
    fid.write(str(window.loaded.entry.recording.tsv))
os.replace(marker + ".part", marker)  # the parent sees the whole path
view.select_component(toggled)
for n in range(100000):
    key = Qt.Key.Key_3 if n % 2 else Qt.Key.Key_2  # Eye / Muscle in turn
    QTest.keyClick(lst, key)
    QTest.keyClick(lst, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.modified
"""


def _start(root, log):
    """Start the window's process; return it and the TSV of its first save."""
    marker = Path(log.name).with_suffix(".saved")
    marker.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(root), str(FIRST), LABEL_FIRST]
        + [str(TOGGLED), str(marker)],
        stdout=log,  # a file: a full pipe would block the child
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    end = time.monotonic() + 120
    while not marker.exists() and process.poll() is None and time.monotonic() < end:
        time.sleep(0.01)
    if not marker.exists():
        kill_group(process)
        log.seek(0)
        raise AssertionError(f"the window did not save: {log.read()}")
    return process, Path(marker.read_text(encoding="utf-8"))


def _while_writing(suffix):
    def kill_at(process, folder):
        return poll(process, lambda: writing(folder, suffix))

    return kill_at


def _at(seconds):
    def kill_at(process, folder):
        time.sleep(seconds)
        return process.poll() is None

    return kill_at


POINTS = {
    "writing the TSV": _while_writing("_components.tsv"),
    "writing the sidecar": _while_writing("_components.json"),
    **{
        f"seeded time {seed}": _at(random.Random(seed).uniform(0.05, 0.5))
        for seed in (1, 2)
    },
}


@pytest.mark.parametrize("point", list(POINTS))
def test_review_save_killed(qapp, review_root, point):
    import shutil

    template = review_root.parent / "template"
    shutil.copytree(review_root, template)
    deriv = review_root / "derivatives" / "mne-icalabel"
    for _ in range(ATTEMPTS):
        shutil.rmtree(review_root)
        shutil.copytree(template, review_root)
        with open(review_root.parent / "child.log", "w+") as log:
            process, tsv = _start(review_root, log)
            try:
                reached = POINTS[point](process, tsv.parent)
            finally:
                killed = kill_group(process) and reached
        if killed:
            break
    assert killed, f"the window saved to its end before the kill, {ATTEMPTS} times"
    left = temporaries(deriv)
    # whole files: the previous save or the new one
    table = read_components_tsv(tsv, verbose=False)
    assert len(table["labels"]) == REVIEW_N_COMPONENTS
    json.loads(tsv.with_suffix(".json").read_text(encoding="utf-8"))
    rows = _rows(tsv)
    assert rows[FIRST]["annotate_method"] == "manual"
    assert rows[FIRST]["ic_type"] == "ecg"  # the first save is intact
    if rows[TOGGLED]["annotate_method"] == "manual":
        assert rows[TOGGLED]["ic_type"] in ("muscle", "eog")
    # a new window opens it, and its save removes what the kill left
    from mne_icalabel.gui._review import ReviewWindow

    window = ReviewWindow(review_root, show=False)
    index = next(
        i for i, e in enumerate(window.queue.entries) if e.recording.tsv == tsv
    )
    window.show_recording(index)
    window.wait_loaded()
    window.view.set_label(2, "Other")
    window.save()
    assert not temporaries(deriv)
    assert _rows(tsv)[FIRST]["ic_type"] == "ecg"
    window.close()
    print(f"\n{point}: killed, {len(left)} temporaries left, removed by the next save")


def _rows(tsv):
    header, *lines = tsv.read_text(encoding="utf-8").splitlines()
    names = header.split("\t")
    return [dict(zip(names, line.split("\t"), strict=True)) for line in lines]
