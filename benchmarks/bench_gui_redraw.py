"""Time a component switch of the labelling window (issue 20's case).

64-channel simulated EEG, 10 minutes at 250 Hz, 30 ICs labelled by ICLabel,
window 1280x800, offscreen. Measures the opening of the window (precomputation
of all components and first draw); per component switch, the wall time from
``select_component`` (what the ``N`` key calls) to the end of the paint of
every panel's canvas (the event loop is run until each visible canvas has
drawn and Qt has painted it, so a deferred draw hides nothing), and then
from the press of the ``N`` key (``QTest.keyClick``); a scroll of
the time course; and the loading of another recording of the same layout
(``ComponentView.set_recording``, what the review window does on PageDown).

Two peers in the same run, alternating with the switch, component by
component:

- *three panels*: the topomap, spectrum and time course panels drawn in full
  (every artist), as the window of three panels did before the ERP image,
  the variance and the probability panels;
- *six panels, full draw*: all the panels drawn in full, as a switch did
  before the data artists were redrawn alone over a kept background.

The machine's load changes absolute times: compare the ratios. Run as

    python benchmarks/bench_gui_redraw.py [n_components] [repeats]
"""

import os
import sys
import time
import warnings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from mne.preprocessing import ICA
from qtpy.QtCore import QEvent, QObject, Qt
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication

from mne_icalabel.datasets.simulation.eeg import simulate_eeg_raw
from mne_icalabel.gui import label_ica_components
from mne_icalabel.iclabel import iclabel_label_components


class _PaintCounter(QObject):
    """Count the paint events of the widgets it filters."""

    def __init__(self) -> None:
        super().__init__()
        self.painted: set[int] = set()

    def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.painted.add(id(obj))
        return False


def _stats(ms) -> str:
    ms = np.asarray(ms)
    return f"median {np.median(ms):6.1f} ms, p90 {np.percentile(ms, 90):6.1f} ms"


def main(n_components: int, repeats: int) -> None:
    raw = simulate_eeg_raw(n_channels=64, duration=600.0, sfreq=250.0, verbose=False)
    raw.filter(1.0, 100.0, verbose=False)
    raw.set_eeg_reference("average", verbose=False)
    ica = ICA(n_components=n_components, method="picard", max_iter=100)
    with warnings.catch_warnings():  # convergence does not matter here
        warnings.simplefilter("ignore")
        ica.fit(raw.copy().crop(0, 60), verbose=False)
        iclabel_label_components(raw, ica, inplace=True)  # the bar chart is drawn
    n_ic = ica.n_components_
    app = QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    window = label_ica_components(raw, ica, show=True)
    t_window = time.perf_counter() - t0  # shown; the plots come from the worker
    window.resize(1280, 800)
    view = window.view
    view.wait_plots()
    shown = [panel.canvas for panel in view.panels if panel.canvas.isVisible()]
    counter = _PaintCounter()
    for canvas in shown:
        canvas.installEventFilter(counter)

    def flush(canvases) -> float:
        """Run the event loop until ``canvases`` drew and painted; the time."""
        ids = {id(c) for c in canvases}
        while any(c._stale for c in canvases) or not ids <= counter.painted:
            app.processEvents()
        return time.perf_counter()

    counter.painted.clear()
    flush(shown)
    print(f"{raw.info['nchan']} channels x {raw.n_times} samples, {n_ic} ICs")
    print(
        f"open: window shown after {t_window:.2f} s, plots computed and drawn "
        f"after {time.perf_counter() - t0:.2f} s"
    )

    def switch(k: int) -> float:
        counter.painted.clear()
        t = time.perf_counter()
        view.select_component(k)
        return flush(shown) - t

    def full_draw(panels, k: int) -> float:
        """Show ``k`` and draw every artist of ``panels``, then paint them."""
        canvases = [panel.canvas for panel in panels]
        counter.painted.clear()
        t = time.perf_counter()
        for panel in panels:
            panel.show(k)
            canvas = panel.canvas
            dynamic = getattr(canvas, "_dynamic", [])
            for artist in dynamic:  # drawn as any other artist
                artist.set_animated(False)
            FigureCanvasAgg.draw(canvas)
            for artist in dynamic:
                artist.set_animated(True)
            canvas.update()
        return flush(canvases) - t

    three = [view.topo_panel, view.psd_panel, view.source_panel]
    six = [panel for panel in view.panels if panel.canvas.isVisible()]
    order = list(range(1, n_ic)) + [0]  # the N key from the first component
    load = os.getloadavg()
    ms = {"switch": [], "three": [], "six_full": []}
    for _ in range(repeats):
        for k in order:
            # the peers show the component before the switch's: the switch
            # then changes every panel
            ms["three"].append(1e3 * full_draw(three, k - 1))
            ms["switch"].append(1e3 * switch(k))
            ms["six_full"].append(1e3 * full_draw(six, k - 1))
    load_after = os.getloadavg()
    n = len(ms["switch"])
    print(f"per switch ({n} switches, alternating with the peers, wall):")
    print(f"  six panels, switch          : {_stats(ms['switch'])}")
    print(f"  three panels, full draw     : {_stats(ms['three'])}")
    print(f"  six panels, full draw       : {_stats(ms['six_full'])}")
    for name, q in (("median", 50), ("p90", 90)):
        sw, th, sx = (np.percentile(ms[key], q) for key in ms)
        print(
            f"  ratio ({name}): switch / three panels {sw / th:.2f}, "
            f"switch / six panels full {sw / sx:.2f}"
        )
    print(
        "  load average (1, 5, 15 min) before "
        + ", ".join(f"{v:.2f}" for v in load)
        + "; after "
        + ", ".join(f"{v:.2f}" for v in load_after)
        + f" ({os.cpu_count()} cores)"
    )

    # the N key itself (a shortcut of the active window), from the first one
    view.select_component(0)
    flush(shown)
    window.activateWindow()
    t = time.perf_counter()
    while not window.isActiveWindow() and time.perf_counter() - t < 2:
        app.processEvents()
    presses = []
    for k in range(1, n_ic):
        counter.painted.clear()
        t = time.perf_counter()
        QTest.keyClick(view.list_components, Qt.Key.Key_N)
        presses.append(1e3 * (flush(shown) - t))
        assert view.selected_component == k, "the N key did not switch"
    print(f"N key ({len(presses)} presses): {_stats(presses)}")

    def scroll() -> float:
        counter.painted.clear()
        t = time.perf_counter()
        view.scroll_time(1)
        return flush([view.source_panel.canvas]) - t

    view.select_component(0)
    flush(shown)
    scrolls = [1e3 * scroll() for _ in range(20)]
    print(f"time-course scroll: {_stats(scrolls)}")

    # another recording of the same layout (another subject's data)
    other = raw.copy()
    other._data = np.roll(other._data, 1000, axis=1)
    loads = []
    for _ in range(3):
        counter.painted.clear()
        t = time.perf_counter()
        view.set_recording(other, ica.copy())
        loads.append(flush(shown) - t)
    print(f"set_recording + draw (3 loads): median wall {np.median(loads):.2f} s")
    window.close()


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 30,
        int(sys.argv[2]) if len(sys.argv) > 2 else 2,
    )
