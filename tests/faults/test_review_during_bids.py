"""Two people on one dataset: ``review`` open while a real ``bids --overwrite`` runs.

The run is a real ``mne-icalabel`` process on the review dataset; the window
follows it through the lock and the run state of the derivatives folder.
"""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("qtpy")
pytest.importorskip("mne_bids")
from qtpy.QtCore import Qt  # noqa: E402
from qtpy.QtWidgets import QMessageBox  # noqa: E402

from mne_icalabel.annotation import read_components_tsv  # noqa: E402
from mne_icalabel.gui import _review  # noqa: E402
from tests.conftest import REVIEW_N_COMPONENTS  # noqa: E402
from tests.gui.test_review import _answer, _open, _press  # noqa: E402

from ._writers import run, start  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
Button = QMessageBox.StandardButton
#: relabel with the saved ICA under another policy: the TSVs and sidecars change
OVERWRITE = (
    "--n-components",
    str(REVIEW_N_COMPONENTS),
    "--no-report",
    "--overwrite",
    "--policy",
    "argmax",
)


def _other_label(view, k):
    return next(name for name in view.class_names if name != view.labels.get(k))


def test_recording_being_rewritten_is_read_only(qtbot, review_root, monkeypatch):
    monkeypatch.setattr(_review, "_RUN_POLL_MS", 50)
    window = _open(qtbot, review_root)
    view = window.view
    # the run rewrites the recordings in path order: show the last one
    last = max(range(len(window.queue)), key=lambda i: window.queue.entries[i].key)
    window.show_recording(last)
    window.wait_loaded()
    shown = window.loaded
    tsv = shown.entry.recording.tsv

    process = start("bids", review_root, *OVERWRITE)
    try:
        qtbot.waitUntil(lambda: view.read_only is not None, timeout=60_000)
        reason = view.read_only
        assert f"pid {process.pid} on host {socket.gethostname()}" in reason
        assert shown.entry.key in reason and "read-only" in reason
        assert not window.button_save.isEnabled()
        assert "being rewritten" in window.list_recordings.currentItem().text()
        assert "being rewritten" in window.recording_header.text()
        # a key changes nothing, a save is refused naming the run
        k = view.order[0]
        before = view.labels.get(k)
        view.select_component(k)
        _press(qtbot, window, Qt.Key.Key_1 if before != "Brain" else Qt.Key.Key_7)
        assert view.labels.get(k) == before and not window.modified
        with pytest.raises(RuntimeError, match=f"pid {process.pid}"):
            view.set_label(k, _other_label(view, k))
        with pytest.raises(RuntimeError, match="being rewritten"):
            window.save()
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, err
    # done: writable again, and the rewritten files are shown (read again)
    qtbot.waitUntil(
        lambda: view.read_only is None and window.loading == -1, timeout=30_000
    )
    assert window.loaded is not shown and window.current_index == last
    assert not window.queue.changed_on_disk(window.loaded)
    assert window.button_save.isEnabled()
    assert "being rewritten" not in window.list_recordings.currentItem().text()
    assert window.loaded.entry.recording.tsv == tsv


def test_save_never_overwrites_a_tsv_rewritten_after_loading(
    qtbot, review_root, monkeypatch
):
    window = _open(qtbot, review_root)
    view = window.view
    tsv = window.loaded.entry.recording.tsv
    sidecar = tsv.with_suffix(".json")
    loaded_bytes = tsv.read_bytes(), sidecar.read_bytes()
    k = view.order[0]
    new = _other_label(view, k)
    view.set_label(k, new)  # an unsaved decision
    assert window.modified

    result, _ = run("bids", review_root, *OVERWRITE)  # to its end
    assert result.returncode == 0, result.stderr
    rewritten = tsv.read_bytes(), sidecar.read_bytes()
    assert rewritten != loaded_bytes

    asked = _answer(monkeypatch, Button.Cancel)
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(asked) == 1 and "changed" in asked[0]
    assert (tsv.read_bytes(), sidecar.read_bytes()) == rewritten  # not saved
    assert window.modified

    asked = _answer(monkeypatch, Button.Save)  # save anyway: only the decision
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(asked) == 1 and not window.modified
    after = read_components_tsv(tsv)
    assert after["labels"][k] == view.label_map[new]
    # the decision is a manual row; every other row is the run's, untouched
    saved = _rows(tsv.read_bytes())
    by_run = _rows(rewritten[0])
    assert saved[k]["annotate_method"] == "manual"
    assert [r for i, r in enumerate(saved) if i != k] == [
        r for i, r in enumerate(by_run) if i != k
    ]


def _rows(content: bytes) -> list[dict]:
    header, *lines = content.decode("utf-8").splitlines()
    names = header.split("\t")
    return [dict(zip(names, line.split("\t"), strict=True)) for line in lines]
