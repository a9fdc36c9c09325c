"""Cost of the data fingerprint beside the labelling of one recording, same run.

    python benchmarks/bench_fingerprint.py [n_channels] [seconds]

Times, alternating, the SHA-256 of a recording's samples
(:func:`~mne_icalabel.derivatives.data_fingerprint`, on a file not
loaded, as ``bids`` reads it) and :func:`~mne_icalabel.batch.label_recording`
on the same file (preparation, ICA fit, ICLabel), and prints their ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import mne
import numpy as np

from mne_icalabel.batch import label_recording
from mne_icalabel.datasets.simulation import simulate_eeg_raw
from mne_icalabel.derivatives._fingerprint import data_fingerprint


def main(n_channels: int = 64, seconds: float = 600.0, repeats: int = 3) -> None:
    raw = simulate_eeg_raw(n_channels, duration=seconds, random_state=0, verbose=False)
    with tempfile.TemporaryDirectory() as tmp:
        fname = Path(tmp) / "bench_raw.fif"
        raw.save(fname, verbose=False)
        hashes, labels = [], []
        for _ in range(repeats):
            lazy = mne.io.read_raw_fif(fname, verbose=False)
            t = time.perf_counter()
            data_fingerprint(lazy)
            hashes.append(time.perf_counter() - t)
            lazy = mne.io.read_raw_fif(fname, verbose=False)
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                label_recording(lazy, method="iclabel", n_components=20, verbose=False)
            labels.append(time.perf_counter() - t)
    h, lab = np.median(hashes), np.median(labels)
    print(f"{n_channels} channels x {seconds:.0f} s at {raw.info['sfreq']:.0f} Hz")
    print(f"data fingerprint: median {h:.3f} s; labelling: median {lab:.2f} s")
    print(f"ratio fingerprint / labelling: {h / lab:.3f}")


if __name__ == "__main__":
    n_channels = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 600.0
    main(n_channels, seconds)
