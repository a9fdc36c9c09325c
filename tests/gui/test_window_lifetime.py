"""Nothing of the labelling window runs after its widgets are gone.

A window that is dropped lives on as cyclic garbage until Python's collector
runs, and the collector runs wherever Python code allocates: inside one of the
window's own callbacks too, which then finds its widgets deleted under it.
``_process_events_collecting`` makes that happen at the worst moment, in the
first Python code the event loop runs, so that the tests do not depend on luck.
A shown window is not dropped: it stays referenced until it is closed.
"""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

pytest.importorskip("qtpy")
from qtpy.QtWidgets import QApplication  # noqa: E402

from mne_icalabel.gui import label_ica_components  # noqa: E402


def _process_events_collecting() -> list[str]:
    """Process pending events; collect garbage when they first run Python code.

    Returns the functions of this package and of matplotlib that the event
    loop ran.
    """
    entered: list[str] = []

    def hook(frame, event, _arg):
        if event != "call":
            return
        code = frame.f_code
        if not entered:
            gc.collect()  # inside the first callback: the worst moment
        if "mne_icalabel" in code.co_filename or "matplotlib" in code.co_filename:
            entered.append(code.co_qualname)

    sys.setprofile(hook)
    try:
        QApplication.processEvents()
    finally:
        sys.setprofile(None)
    return entered


def _count_draws(window) -> list[str]:
    """Record each figure draw of the window (matplotlib's ``draw_event``)."""
    draws: list[str] = []
    for panel in window.view.panels:
        name = type(panel).__name__
        panel.canvas.mpl_connect(
            "draw_event", lambda _event, name=name: draws.append(name)
        )
    return draws


def _collect_and_run(qtbot, ref: weakref.ref) -> None:
    """Collect the dropped window inside the event loop, then run the loop on."""
    ran = _process_events_collecting()
    assert ran == [], "the event loop ran code of a dropped window"
    gc.collect()
    qtbot.wait(50)
    assert ref() is None, "the window outlived its last reference"


@pytest.mark.parametrize("kind", ["raw", "epochs"])
def test_hidden_window_dropped(qtbot, eeg_raw, eeg_epochs, eeg_ica, kind):
    inst = eeg_raw if kind == "raw" else eeg_epochs
    window = label_ica_components(inst, eeg_ica, show=False)
    draws = _count_draws(window)
    window.select_component(3)  # more redraws asked while hidden
    ref = weakref.ref(window)
    del window
    _collect_and_run(qtbot, ref)
    assert draws == []  # a hidden window does not draw


def test_hidden_window_draws_when_shown(qtbot, eeg_raw, eeg_ica):
    window = label_ica_components(eeg_raw, eeg_ica, show=False)
    qtbot.addWidget(window)
    draws = _count_draws(window)
    window.select_component(2)
    window.show()
    # every panel draws once: a Raw shows them all
    expected = sorted(type(panel).__name__ for panel in window.view.panels)
    assert len(expected) == 6
    qtbot.waitUntil(lambda: sorted(draws) == expected, timeout=5000)
    assert window.view.topo_panel.titles[0].get_text().startswith("ICA002")


def test_shown_window_closed(qtbot, eeg_raw, eeg_ica):
    window = label_ica_components(eeg_raw, eeg_ica, show=True)
    qtbot.waitExposed(window)
    window.view.wait_plots()
    window.close()
    assert not window.isVisible()
    ref = weakref.ref(window)
    del window
    _collect_and_run(qtbot, ref)


@pytest.mark.parametrize("trigger", ["select", "resize", "scroll"])
def test_closed_while_redraw_pending(qtbot, eeg_raw, eeg_ica, trigger):
    window = label_ica_components(eeg_raw, eeg_ica, show=True)
    qtbot.waitExposed(window)
    window.view.wait_plots()
    qtbot.wait(50)  # the first draws are done
    draws = _count_draws(window)
    if trigger == "select":
        window.select_component(4)
    elif trigger == "resize":
        window.resize(window.width() - 100, window.height() - 80)
    else:
        window.time_scroll.setValue(window.time_scroll.maximum())
    window.close()
    ref = weakref.ref(window)
    del window
    _collect_and_run(qtbot, ref)
    assert draws == []  # closing cancelled the pending redraw


def test_delete_later_while_redraw_pending(qtbot, eeg_raw, eeg_ica):
    window = label_ica_components(eeg_raw, eeg_ica, show=True)
    qtbot.waitExposed(window)
    window.view.wait_plots()
    window.select_component(5)
    with qtbot.waitSignal(window.destroyed, timeout=2000):
        window.deleteLater()
    ref = weakref.ref(window)
    del window
    _collect_and_run(qtbot, ref)


@pytest.mark.parametrize("kind", ["labeler", "view"])
def test_shown_window_dropped_stays_until_closed(qtbot, eeg_raw, eeg_ica, kind):
    from mne_icalabel.gui._component_view import ComponentView
    from mne_icalabel.gui._kept_while_shown import shown_windows

    if kind == "labeler":
        window = label_ica_components(eeg_raw, eeg_ica, show=True)
        view = window.view
    else:  # the view alone, as a top-level window
        window = view = ComponentView()
        view.set_recording(eeg_raw, eeg_ica)
        window.show()
    qtbot.waitExposed(window)
    view.wait_plots()
    view.select_component(3)  # a redraw pending when the reference goes
    ref = weakref.ref(window)
    del window, view
    # the collector inside the pending redraw: the window is still there
    # (was: deleted under its own callback), and it drew
    ran = _process_events_collecting()
    assert ref() is not None and ref().isVisible()
    assert any("_draw_if_visible" in name for name in ran)
    assert ref() in shown_windows()
    ref().select_component(1)  # it still works
    qtbot.wait(50)
    # closed: no longer kept, and nothing of it runs while it is collected
    ref().close()
    assert ref() not in shown_windows()
    _collect_and_run(qtbot, ref)
