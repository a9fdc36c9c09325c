"""How fast ``mne-icalabel label`` fails on a recording without positions.

One 64-channel, 10-minute recording at 250 Hz (simulated noise, float32 FIF),
written twice: with names no montage has (``Ch01``...) and with BioSemi's
10-20 names. Each round times, alternately, in fresh processes:

- ``fail``: ``mne-icalabel label`` on the first, which stops at the montage
  check (before any data is read);
- ``label``: the same command on the second, which reads, filters, fits a
  20-component ICA and labels it: the work the check saves.

Times are taken inside ``main()`` (``mne`` imported before, as in a session)
and for the whole process. The CPU is shared, so compare the ratio of one
round::

    python benchmarks/bench_fail_fast.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mne
import numpy as np

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE.parents[1] / "shared" / "data" / "weights"


def _write(fname: Path, names) -> None:
    rng = np.random.default_rng(0)
    info = mne.create_info(list(names), 250.0, "eeg")
    data = rng.standard_normal((len(names), 150_000), dtype=np.float32) * 1e-5
    mne.io.RawArray(data, info, verbose=False).save(fname, fmt="single", verbose=False)


_SCRIPT = """
import sys, time
import mne  # imported before the clock starts, as in any session
from mne_icalabel.commands.main import main
start = time.perf_counter()
code = main(sys.argv[1:])
print(f"{time.perf_counter() - start} {code}")
"""


def _time(fname: Path, out: Path) -> tuple[float, float, int]:
    """Return (wall time of the process, time inside main(), exit code)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(HERE.parent),
        "MNE_ICALABEL_WEIGHTS_PATH": os.environ.get(
            "MNE_ICALABEL_WEIGHTS_PATH", str(WEIGHTS)
        ),
    }
    argv = ["label", str(fname), "--out", str(out), "--no-report"]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *argv], capture_output=True, env=env, text=True
    )
    wall = time.perf_counter() - start
    inside, code = done.stdout.strip().splitlines()[-1].split()
    return wall, float(inside), int(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bad, good = tmp / "nopos_raw.fif", tmp / "biosemi_raw.fif"
        _write(bad, [f"Ch{k:02d}" for k in range(1, 65)])
        _write(good, mne.channels.make_standard_montage("biosemi64").ch_names)
        fails, labels, ratios = [], [], []
        for k in range(args.rounds):
            wall_fail, t_fail, code_fail = _time(bad, tmp / f"fail{k}")
            wall_label, t_label, code_label = _time(good, tmp / f"label{k}")
            assert code_fail == 1 and code_label == 0, (code_fail, code_label)
            fails.append(t_fail)
            labels.append(t_label)
            ratios.append(t_fail / t_label)
            print(
                f"round {k}: fail {t_fail:.2f} s in main() ({wall_fail:.1f} s with "
                f"the process start), label {t_label:.1f} s ({wall_label:.1f} s), "
                f"ratio {t_fail / t_label:.4f}"
            )
        print(
            f"median in main(): fail {statistics.median(fails):.2f} s, label "
            f"{statistics.median(labels):.1f} s, ratio {statistics.median(ratios):.4f}"
        )


if __name__ == "__main__":
    main()
