"""Time the labelling window on a 64-channel, 10-minute EEG recording.

Measures the opening of the window (precomputation of all components and first
draw); for every component, the time from selecting it to the end of the
redraw of all the panels (topomap, spectrum, time course, ERP image of 2 s
segments, variance per segment, class probabilities; wall and CPU time); a
scroll of the time course; and the loading of another recording of the same
layout into the window's component view (``ComponentView.set_recording``, what
the review window does on PageDown). Runs offscreen:

    python benchmarks/bench_gui_redraw.py [n_components]
"""

import os
import sys
import time
import warnings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from mne.preprocessing import ICA
from qtpy.QtWidgets import QApplication

from mne_icalabel.datasets.simulation.eeg import simulate_eeg_raw
from mne_icalabel.gui import label_ica_components


def main(n_components: int | None) -> None:
    raw = simulate_eeg_raw(n_channels=64, duration=600.0, sfreq=250.0, verbose=False)
    raw.filter(1.0, 100.0, verbose=False)
    ica = ICA(n_components=n_components, method="picard", max_iter=100)
    with warnings.catch_warnings():  # convergence does not matter here
        warnings.simplefilter("ignore")
        ica.fit(raw.copy().crop(0, 60), verbose=False)
    n_ic = ica.n_components_
    # probabilities as a labelled ICA has them: the bar chart is drawn too
    ica.labels_scores_ = np.random.default_rng(0).dirichlet(np.ones(7), n_ic)
    app = QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    window = label_ica_components(raw, ica, show=True)
    app.processEvents()
    print(f"{raw.info['nchan']} channels x {raw.n_times} samples, {n_ic} ICs")
    print(f"open (precompute + first draw): {time.perf_counter() - t0:.2f} s")

    view = window.view
    drawn = []
    shown = [panel.canvas for panel in view.panels if panel.canvas.isVisible()]
    for canvas in shown:
        canvas.mpl_connect("draw_event", drawn.append)

    def timed(action, n_draws):
        drawn.clear()
        t_wall, t_cpu = time.perf_counter(), time.process_time()
        action()
        while len(drawn) < n_draws:
            app.processEvents()
        return time.perf_counter() - t_wall, time.process_time() - t_cpu

    order = list(range(1, n_ic)) + [0]
    times = np.array(
        [timed(lambda k=k: view.select_component(k), len(shown)) for k in order]
    )
    print(f"per component, {len(shown)} panels redrawn:")
    for name, col in (("wall", 0), ("cpu", 1)):
        ms = 1e3 * times[:, col]
        print(
            f"  {name}: median {np.median(ms):.1f} ms, "
            f"p90 {np.percentile(ms, 90):.1f} ms, max {ms.max():.1f} ms"
        )

    # a peer in the same run, alternating: the three panels the window had
    # before the ERP image, the variance and the probability panels
    def draw_panels(panels, k):
        t_cpu = time.process_time()
        for panel in panels:
            panel.show(k)
            panel.canvas.draw()
        return time.process_time() - t_cpu

    before = [view.topo_panel, view.psd_panel, view.source_panel]
    now = [panel for panel in view.panels if panel.canvas.isVisible()]
    pairs = np.array([(draw_panels(before, k), draw_panels(now, k)) for k in order])
    ms = 1e3 * np.median(pairs, axis=0)
    print(
        f"draw, alternating (cpu): {len(before)} panels {ms[0]:.1f} ms, "
        f"{len(now)} panels {ms[1]:.1f} ms (ratio {ms[1] / ms[0]:.2f})"
    )
    scroll = np.array([timed(lambda: view.scroll_time(1), 1)[0] for _ in range(20)])
    print(f"time-course scroll: median {1e3 * np.median(scroll):.1f} ms")

    # another recording of the same layout (another subject's data)
    other = raw.copy()
    other._data = np.roll(other._data, 1000, axis=1)
    loads = np.array(
        [
            timed(lambda: view.set_recording(other, ica.copy()), len(shown))
            for _ in range(3)
        ]
    )
    wall, cpu = np.median(loads, axis=0)
    print(f"set_recording + draw (3 loads): median wall {wall:.2f} s, cpu {cpu:.2f} s")
    window.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
