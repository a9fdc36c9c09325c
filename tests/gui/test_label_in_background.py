"""'Label automatically' runs in a worker thread: the window stays responsive."""

from __future__ import annotations

import threading
import time
from concurrent import futures

import numpy as np
import pytest
from qtpy.QtCore import Qt, QTimer

from mne_icalabel.gui import _plots
from mne_icalabel.gui._label_components import ICAComponentLabeler
from mne_icalabel.review import _networks

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

#: the labelling's duration in parts, at least two of which see ticks
N_PARTS = 4


def _window(qtbot, inst, ica):
    window = ICAComponentLabeler(inst, ica, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.view.wait_plots()  # computed in the background
    return window


def test_event_loop_keeps_running(qtbot, combined_recording):
    """ICLabel and MEGNet on 70 s of EEG + MEG: long enough to be measured."""
    ica = combined_recording["ica_both"].copy()
    window = _window(qtbot, combined_recording["raw"], ica)
    view = window.view
    ticks = []
    timer = QTimer(window)
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), view.labelling)))
    timer.start()
    begin = time.perf_counter()
    qtbot.mouseClick(view.button_auto, Qt.MouseButton.LeftButton)
    assert view.labelling and view.button_auto.text() == "Cancel labelling"
    with qtbot.waitSignal(view.scoresChanged, timeout=60_000):
        pass
    end = time.perf_counter()
    timer.stop()
    busy = np.array([t for t, running in ticks if running])
    # in the GUI thread no tick would see it running; here the event loop runs
    # whenever the worker gives the GIL back (between its C calls)
    assert busy.size >= 5, (busy.size, end - begin)
    parts = np.floor((busy - begin) / (end - begin) * N_PARTS).astype(int)
    assert len(set(parts.tolist())) >= 2, parts
    gaps = np.diff([begin, *busy, end])
    print(
        f"\nlabelling {end - begin:.2f} s, {busy.size} ticks, longest gap "
        f"{gaps.max() * 1e3:.0f} ms"
    )
    assert view.has_scores and not view.labelling
    assert view.button_auto.text() == "Label automatically"
    assert ica.labels_scores_.shape == (ica.n_components_, 7)


def _gated(monkeypatch):
    """Make the labelling wait for an event the test sets (ordering only)."""
    gate = threading.Event()
    real = _networks._compute_labels

    def slow(*args):
        gate.wait(60)
        return real(*args)

    monkeypatch.setattr(_networks, "_compute_labels", slow)
    return gate


def _ended(job) -> bool:
    """Wait for the labelling's task: run to its end, or cancelled before it began."""
    if job.future.cancelled():  # a pool shut down drops it unnotified: no wait
        return True
    done, _ = futures.wait([job.future], timeout=60)
    return bool(done)


def test_late_result_never_lands_on_another_recording(
    qtbot, monkeypatch, eeg_raw, eeg_ica, eeg_ica_fitted
):
    gate = _gated(monkeypatch)
    window = _window(qtbot, eeg_raw, eeg_ica)
    view = window.view
    qtbot.mouseClick(view.button_auto, Qt.MouseButton.LeftButton)
    job = view._labelling_job
    assert view.labelling
    # the user moves on to recording B before A's labels arrive
    other = eeg_ica_fitted.copy()
    other.labels_ = {}
    view.set_recording(eeg_raw, other)
    assert not view.labelling and view.button_auto.text() == "Label automatically"
    gate.set()
    assert _ended(job)
    qtbot.wait(100)  # several polls
    assert getattr(other, "labels_scores_", None) is None
    assert not any(other.labels_.values())
    assert getattr(eeg_ica, "labels_scores_", None) is None  # dropped
    assert not view.has_scores and not window.modified


def test_cancel_drops_the_result(qtbot, monkeypatch, eeg_raw, eeg_ica):
    gate = _gated(monkeypatch)
    window = _window(qtbot, eeg_raw, eeg_ica)
    view = window.view
    qtbot.mouseClick(view.button_auto, Qt.MouseButton.LeftButton)
    job = view._labelling_job
    assert view.labelling
    qtbot.mouseClick(view.button_auto, Qt.MouseButton.LeftButton)  # Cancel
    assert not view.labelling and view.button_auto.text() == "Label automatically"
    gate.set()
    assert _ended(job)
    qtbot.wait(100)
    assert getattr(eeg_ica, "labels_scores_", None) is None
    assert not view.has_scores and not window.modified
    # and labelling again works
    with qtbot.waitSignal(view.scoresChanged, timeout=60_000):
        qtbot.mouseClick(view.button_auto, Qt.MouseButton.LeftButton)
    assert view.has_scores


def test_result_dropped_when_read_only_meanwhile(qtbot, monkeypatch, eeg_raw, eeg_ica):
    """A bids run made the recording read-only while the networks ran."""
    from qtpy.QtWidgets import QApplication, QMessageBox

    gate = _gated(monkeypatch)
    window = _window(qtbot, eeg_raw, eeg_ica)
    view = window.view
    before = _snapshot(eeg_ica)
    qtbot.mouseClick(view.button_auto, Qt.MouseButton.LeftButton)
    job = view._labelling_job
    view.set_read_only("sub-01 is being rewritten by a bids run")
    gate.set()
    assert _ended(job)
    qtbot.waitUntil(lambda: not view.labelling, timeout=10_000)
    labels, scores = _snapshot(eeg_ica)
    assert labels == before[0] and scores is None
    assert not view.has_scores and not window.modified
    assert view.button_auto.text() == "Label automatically"
    boxes = [
        w.text()
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert any("dropped" in text and "bids run" in text for text in boxes), boxes
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMessageBox):
            w.close()


def test_close_while_busy(qtbot, monkeypatch, eeg_raw, eeg_ica):
    gate = _gated(monkeypatch)
    window = ICAComponentLabeler(eeg_raw, eeg_ica, show=True)
    qtbot.waitExposed(window)
    qtbot.mouseClick(window.view.button_auto, Qt.MouseButton.LeftButton)
    job = window.view._labelling_job
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.close()
    qtbot.wait(50)  # the window and its timers are gone
    gate.set()
    assert _ended(job)
    qtbot.wait(100)  # no callback into the deleted widgets
    assert getattr(eeg_ica, "labels_scores_", None) is None


def _snapshot(ica):
    """The labels and probabilities of an ICA, as copies."""
    scores = getattr(ica, "labels_scores_", None)
    labels = {key: list(comps) for key, comps in ica.labels_.items()}
    return labels, None if scores is None else np.array(scores)


def test_close_drops_the_labelling(qtbot, monkeypatch, eeg_raw, eeg_ica):
    """A closed window is only hidden: its labelling must not land anyway."""
    from mne_icalabel.gui import label_ica_components

    gate = _gated(monkeypatch)
    window = label_ica_components(eeg_raw, eeg_ica, show=True, frontend="qt")
    qtbot.addWidget(window)  # deleted at the test's end, not on close
    qtbot.waitExposed(window)
    view = window.view
    view.wait_plots()
    before = _snapshot(eeg_ica)
    qtbot.mouseClick(view.button_auto, Qt.MouseButton.LeftButton)
    job = view._labelling_job
    assert view.labelling and view._worker.polling
    assert window.close()
    assert not window.isVisible()
    assert not view.labelling and not view._worker.polling
    gate.set()
    assert _ended(job)
    qtbot.wait(200)  # ten polls, had the timer run on
    labels, scores = _snapshot(eeg_ica)
    assert labels == before[0] and scores is None and before[1] is None
    assert not view._worker.polling
    assert not window.modified


def test_closed_window_shown_again_labels(qtbot, eeg_raw, eeg_ica):
    """The worker stopped at the close starts again for the next task."""
    window = ICAComponentLabeler(eeg_raw, eeg_ica, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.view.wait_plots()
    assert window.close()
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.view.scoresChanged, timeout=60_000):
        qtbot.mouseClick(window.view.button_auto, Qt.MouseButton.LeftButton)
    assert eeg_ica.labels_scores_.shape == (eeg_ica.n_components_, 7)


def test_review_close_drops_the_labelling(qtbot, monkeypatch, review_root):
    """The review window's close cancels the labelling of the recording shown."""
    from mne_icalabel.gui._review import ReviewWindow

    gate = _gated(monkeypatch)
    window = ReviewWindow(review_root, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.wait_loaded()
    view = window.view
    ica = view.ica
    before = _snapshot(ica)
    view._on_label_automatically()  # the button is hidden: the TSV has scores
    job = view._labelling_job
    assert view.labelling and view._worker.polling
    assert window.close()
    assert not view.labelling and not view._worker.polling
    gate.set()
    assert _ended(job)
    qtbot.wait(200)
    labels, scores = _snapshot(ica)
    assert labels == before[0]
    np.testing.assert_array_equal(scores, before[1])
    assert not view._worker.polling and not window.modified


def _gate_plots(monkeypatch):
    """Hold the plots' computation until the event returned is set.

    Also returns the list of calls, each whether the gate was already open.
    """
    gate = threading.Event()
    real = _plots.compute_plot_data
    calls: list[bool] = []

    def gated(*args):
        calls.append(gate.is_set())
        assert gate.wait(60), "the test never opened the gate"
        return real(*args)

    monkeypatch.setattr(_plots, "compute_plot_data", gated)
    return gate, calls


def test_plots_computed_in_background(qtbot, monkeypatch, eeg_raw, eeg_ica):
    """The window opens before its plots; labelling works meanwhile."""
    gate, _ = _gate_plots(monkeypatch)
    window = ICAComponentLabeler(eeg_raw, eeg_ica, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    view = window.view
    assert not view.plots_ready and view.progress.running
    assert "Computing the plots" in view.progress.label.text()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    view.select_component(3)
    qtbot.keyClick(view.list_components, Qt.Key.Key_E)  # Eye, before the plots
    assert view.labels[3] == "Eye" and 3 in eeg_ica.labels_["eog"]
    assert view.header.text().startswith("<b>ICA003</b>")
    gate.set()
    qtbot.waitUntil(lambda: view.plots_ready, timeout=60_000)
    assert not view.progress.running
    # every panel shows the component selected meanwhile
    assert view.topo_panel.titles[0].get_text().startswith("ICA003")
    assert "variance explained" in view.header.text()
    np.testing.assert_array_equal(view.psd_panel.line.get_ydata(), view._data.psd_db[3])


def test_plots_dropped_at_close_come_when_shown_again(
    qtbot, monkeypatch, eeg_raw, eeg_ica
):
    """The close drops the plots being computed; a new show computes them."""
    gate, calls = _gate_plots(monkeypatch)
    window = ICAComponentLabeler(eeg_raw, eeg_ica, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    view = window.view
    assert view.plots.computing and view.progress.running
    assert window.close()
    assert not view.plots.computing and not view.progress.running
    gate.set()
    qtbot.wait(200)
    assert not view.plots_ready  # nothing delivered to the closed window
    window.show()
    qtbot.waitExposed(window)
    assert view.plots.computing and view.progress.running
    qtbot.waitUntil(lambda: view.plots_ready, timeout=60_000)
    assert calls == [False, True] and not view.progress.running
    assert (
        view.topo_panel.titles[0]
        .get_text()
        .startswith(f"ICA{view.selected_component:03d}")
    )
