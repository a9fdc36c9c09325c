"""Time loading the next recording in the dataset review window.

A BIDS dataset of simulated 64-channel, 10-minute EEG recordings (250 Hz,
BrainVision) is written and labelled once (``label_bids_dataset``, 20
components) into ``benchmarks/.cache/review-64ch-10min``. The review window is
then opened offscreen and ``PageDown`` pressed from recording to recording;
each step is timed from the key press to the end of the redraw of the three
plot canvases of the new recording:

- ``cold``: nothing loaded ahead (``prefetch=False``): reading the recording
  with mne-bids, preparing it as the ICA saw it (1-100 Hz, average
  reference), reading ICA and TSV, precomputing the plots, drawing;
- ``prefetched``: the window loaded the next recording in the background while
  the reviewer looked at the current one (the step waits until that load is
  done before pressing the key), so only the plots are precomputed and drawn.

Runs offscreen::

    python benchmarks/bench_review_load.py [n_recordings] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache" / "review-64ch-10min"


def make_dataset(n_recordings: int) -> Path:
    """Write and label the dataset once; return its root."""
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    from mne_icalabel.batch import label_bids_dataset
    from mne_icalabel.datasets.simulation.eeg import simulate_eeg_raw

    root = CACHE / f"ds-{n_recordings}"
    done = root / "derivatives" / "mne-icalabel" / "summary.tsv"
    if done.is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    for k in range(n_recordings):
        raw = simulate_eeg_raw(64, duration=600.0, sfreq=250.0, random_state=k)
        path = BIDSPath(subject=f"{k + 1:02d}", task="rest", datatype="eeg", root=root)
        with mne.utils.use_log_level("ERROR"):
            write_raw_bids(
                raw, path, format="BrainVision", allow_preload=True, overwrite=True
            )
    print(f"labelling {n_recordings} recordings (once) ...", flush=True)
    label_bids_dataset(root, report=False, verbose=False)
    return root


def _wait_drawn(app, window, since: float, timeout: float = 60.0) -> None:
    """Process events until every canvas of the view drew after ``since``."""
    canvases = window.view.canvases
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        app.processEvents()
        if all(getattr(c, "_last_draw", 0.0) > since for c in canvases):
            return
        time.sleep(0.001)
    raise TimeoutError("the canvases did not draw")


def run(root: Path, prefetch: bool, repeats: int) -> list[float]:
    """Open the window, step through the recordings; return the step times."""
    from qtpy.QtCore import Qt
    from qtpy.QtTest import QTest
    from qtpy.QtWidgets import QApplication

    from mne_icalabel.gui._review import ReviewWindow

    app = QApplication.instance() or QApplication([])
    window = ReviewWindow(root, show=True, prefetch=prefetch)
    for canvas in window.view.canvases:  # time stamp of each canvas's last draw
        canvas.mpl_connect(
            "draw_event",
            lambda _e, c=canvas: setattr(c, "_last_draw", time.perf_counter()),
        )
    _wait_drawn(app, window, 0.0)
    times = []
    n = len(window.queue)
    for step in range(repeats * (n - 1)):
        if window.current_row == n - 1:  # back to the first one, not timed
            window.show_recording(window.recording_rows[0])
            _wait_drawn(app, window, time.perf_counter())
        if prefetch:
            window.wait_prefetch()
        t0 = time.perf_counter()
        QTest.keyClick(window.view.list_components, Qt.Key.Key_PageDown)
        _wait_drawn(app, window, t0)
        times.append(time.perf_counter() - t0)
        parts = ", ".join(f"{k} {v:.2f}" for k, v in window.loaded.seconds.items())
        print(f"  step {step + 1}: {times[-1]:.2f} s (loading: {parts})", flush=True)
    window.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_recordings", nargs="?", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    import mne

    mne.set_log_level("WARNING")
    root = make_dataset(args.n_recordings)
    print(f"{root}: {args.n_recordings} x 64 ch x 600 s at 250 Hz, 20 ICs")
    results = {}
    # alternate the two modes so that the machine's load hits both alike
    for _ in range(args.repeats):
        for mode in ("cold", "prefetched"):
            print(mode, flush=True)
            times = run(root, mode == "prefetched", 1)
            results.setdefault(mode, []).extend(times)
    for mode, times in results.items():
        t = np.array(times)
        print(
            f"{mode:>10}: median {np.median(t):.2f} s, min {t.min():.2f} s, "
            f"max {t.max():.2f} s ({len(t)} steps)"
        )
    ratio = np.median(results["prefetched"]) / np.median(results["cold"])
    print(f"prefetched / cold: {ratio:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
