"""Time the labelling window on a 64-channel, 10-minute EEG recording.

Measures the opening of the window (precomputation of all components and first
draw) and, for every component, the time from selecting it to the end of the
redraw of the three canvases (wall and CPU time), and a scroll of the time
course. Runs offscreen:

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
    app = QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    window = label_ica_components(raw, ica, show=True)
    app.processEvents()
    n_ch, n_ic = raw.info["nchan"], ica.n_components_
    print(f"{n_ch} channels x {raw.n_times} samples, {n_ic} ICs")
    print(f"open (precompute + first draw): {time.perf_counter() - t0:.2f} s")

    drawn = []
    canvases = window.view.canvases
    for canvas in canvases:
        canvas.mpl_connect("draw_event", drawn.append)

    def timed(action, n_draws):
        drawn.clear()
        t_wall, t_cpu = time.perf_counter(), time.process_time()
        action()
        while len(drawn) < n_draws:
            app.processEvents()
        return time.perf_counter() - t_wall, time.process_time() - t_cpu

    order = list(range(1, ica.n_components_)) + [0]
    times = np.array([timed(lambda k=k: window.select_component(k), 3) for k in order])
    for name, col in (("wall", 0), ("cpu", 1)):
        ms = 1e3 * times[:, col]
        print(
            f"per component ({name}): median {np.median(ms):.1f} ms, "
            f"p90 {np.percentile(ms, 90):.1f} ms, max {ms.max():.1f} ms"
        )
    scroll = np.array(
        [timed(lambda: window.view.scroll_time(1), 1)[0] for _ in range(20)]
    )
    print(f"time-course scroll: median {1e3 * np.median(scroll):.1f} ms")
    window.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
