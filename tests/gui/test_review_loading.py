"""The review window loads recordings in its worker thread: it stays usable."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("qtpy")
pytest.importorskip("mne_bids")
from qtpy.QtCore import Qt, QTimer  # noqa: E402
from qtpy.QtWidgets import QMessageBox  # noqa: E402

from mne_icalabel.gui import _review_loader  # noqa: E402
from mne_icalabel.gui._review import ReviewWindow  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _gated(monkeypatch, opened: bool):
    """Make the background read + precomputation wait for the test's gate."""
    gate = threading.Event()
    if opened:
        gate.set()
    real = _review_loader._prepare
    started = []

    def gated(queue, loaded):
        started.append(loaded.index)
        assert gate.wait(60), "the test never opened the gate"
        return real(queue, loaded)

    monkeypatch.setattr(_review_loader, "_prepare", gated)
    return gate, started


def _ticker(qtbot):
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    return timer, ticks


def _row_of(window, index):
    return window.recording_rows.index(index)


def test_window_opens_before_its_first_recording(qtbot, review_root, monkeypatch):
    gate, started = _gated(monkeypatch, opened=False)
    window = ReviewWindow(review_root, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    first = window.recording_rows[0]
    # shown at once, the recording still loading: a busy bar, nothing to label
    assert window.loaded is None and window.loading == first
    assert window.loading_progress.running
    assert "Loading" in window.loading_progress.label.text()
    assert not window.view.isEnabled()
    assert window.list_recordings.currentRow() == 0
    timer, ticks = _ticker(qtbot)
    # the event loop runs while the worker is held: 10 ticks of a 10 ms timer
    # (waited for, not timed: a loaded machine slows the ticks, not the rule)
    qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=10_000)
    assert window.loaded is None and not gate.is_set()
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "review_window_loading.png"))
    gate.set()
    qtbot.waitUntil(lambda: window.loaded is not None, timeout=60_000)
    timer.stop()
    assert window.current_index == first and window.loading == -1
    assert not window.loading_progress.running and window.view.isEnabled()
    assert window.view.plots_ready and window.view.n_components > 0
    assert started[0] == first


def test_moved_on_while_loading(qtbot, review_root, monkeypatch):
    """A recording asked for, then another: the first is never shown."""
    gate, started = _gated(monkeypatch, opened=False)
    window = ReviewWindow(review_root, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    first, second = window.recording_rows[:2]
    assert window.loading == first
    # the reviewer clicks the second before the first came
    window.list_recordings.setCurrentRow(_row_of(window, second))
    assert window.loading == second
    assert window.list_recordings.currentRow() == _row_of(window, second)
    shown = []
    window.view.componentSelected.connect(lambda _k: shown.append(window.view.ica))
    gate.set()
    qtbot.waitUntil(lambda: window.loaded is not None, timeout=60_000)
    qtbot.wait(100)  # several polls: the first's result came and was dropped
    assert window.current_index == second
    # the view only ever showed the second's ICA
    assert shown and all(ica is window.loaded.ica for ica in shown)
    assert started[:2] == [first, second]


def test_cancel_keeps_the_recording_shown(qtbot, review_root, monkeypatch):
    gate, started = _gated(monkeypatch, opened=True)
    window = ReviewWindow(review_root, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.wait_loaded()
    window.wait_prefetch()
    first, second = window.recording_rows[:2]
    # an unsaved label, discarded on leaving: the first must be read again
    view = window.view
    k = view.order[0]
    on_disk = view.labels.get(k)
    view.set_label(k, "Heart" if on_disk != "Heart" else "Eye")
    monkeypatch.setattr(
        QMessageBox,
        "question",
        staticmethod(lambda *args, **kwargs: QMessageBox.StandardButton.Discard),
    )
    assert window.step_recording(1)  # loaded ahead: shown at once
    assert window.current_index == second and window.loading == -1
    gate.clear()  # the first, read again ahead, is held
    qtbot.waitUntil(lambda: started.count(first) == 2, timeout=10_000)
    assert window.step_recording(-1)
    assert window.loading == first and window.current_index == second
    assert not view.isEnabled()
    qtbot.mouseClick(window.loading_progress.button_cancel, Qt.MouseButton.LeftButton)
    assert window.loading == -1 and not window.loading_progress.running
    assert window.current_index == second and view.isEnabled()
    assert window.list_recordings.currentRow() == _row_of(window, second)
    gate.set()
    qtbot.wait(200)
    assert window.current_index == second  # the cancelled load never lands
    # asked again, it loads
    assert window.step_recording(-1)
    window.wait_loaded()
    assert window.current_index == first
    # read again: the discarded label is gone
    assert view.labels.get(k) == on_disk and not view.modified
