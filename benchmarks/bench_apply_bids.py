"""Throughput of ``apply_bids_dataset``, against labelling the same data.

Two simulated datasets, labelled once (10 components, no report):

- ``2x32ch-60s``: the two 32-channel, 60 s recordings of the tests;
- ``1x64ch-5min``: one 64-channel, 5-minute recording.

Each round times, alternately, on the same machine: ``apply`` with and
without the HTML report (``overwrite=True``, one local process) and the
labelling of the same recordings (``label_bids_dataset(overwrite=True,
report=False)``), the peer to compare with. The CPU is shared, so compare
the ratios of one round::

    python benchmarks/bench_apply_bids.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
WEIGHTS = HERE.parents[1] / "shared" / "data" / "weights"
os.environ.setdefault("MNE_ICALABEL_WEIGHTS_PATH", str(WEIGHTS))

from mne_icalabel.batch import apply_bids_dataset, label_bids_dataset  # noqa: E402
from tests.batch.conftest import write_subject  # noqa: E402

DATASETS = {
    "2x32ch-60s": [("01", 0, 32, 60.0), ("02", 1, 32, 60.0)],
    "1x64ch-5min": [("01", 0, 64, 300.0)],
}


def _make(root: Path, subjects) -> Path:
    for subject, seed, n_channels, duration in subjects:
        write_subject(root, subject, seed, n_channels=n_channels, duration=duration)
    label_bids_dataset(root, n_components=10, report=False, verbose="error")
    return root


def _time(func) -> float:
    start = time.perf_counter()
    summary = func()
    elapsed = time.perf_counter() - start
    assert (summary["status"] != "failed").all(), summary["error"].tolist()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        for name, subjects in DATASETS.items():
            root = _make(tmp / name, subjects)
            n = len(subjects)
            runs = {
                "apply+report": lambda r=root: apply_bids_dataset(
                    r, overwrite=True, verbose="error"
                ),
                "apply": lambda r=root: apply_bids_dataset(
                    r, overwrite=True, report=False, verbose="error"
                ),
                "label": lambda r=root: label_bids_dataset(
                    r, n_components=10, overwrite=True, report=False, verbose="error"
                ),
            }
            times: dict[str, list[float]] = {key: [] for key in runs}
            for k in range(args.rounds):
                for key, func in runs.items():
                    times[key].append(_time(func))
                line = ", ".join(f"{key} {t[-1]:.1f} s" for key, t in times.items())
                print(f"{name} round {k + 1}: {line}", flush=True)
            for key, values in times.items():
                med = statistics.median(values)
                ratio = med / statistics.median(times["label"])
                print(
                    f"{name} {key}: median {med:.1f} s = {n / med * 60:.1f} "
                    f"recordings/min, {ratio:.2f} x label"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
