"""Time one ``label_components`` call in a fresh process.

Run by ``bench_label_components.py`` with either interpreter (ours, or the
upstream mne-icalabel 0.10.0 virtual environment), so it uses only the standard
library, numpy, mne and the public API shared by both packages (plus, with
``--split`` on ours, a few private functions to separate the stages).

Memory: Linux's peak RSS (``VmHWM``) is reset just before the call by writing
``5`` to ``/proc/self/clear_refs``, so the peak read after the call is the peak
*during* the call. Where that is not allowed, the process peak
(``ru_maxrss``) is used instead and ``peak_is_process_peak`` is set.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

_MB = 1024.0  # /proc and ru_maxrss are in kB on Linux


def _status_kb(key: str) -> float:
    with open("/proc/self/status") as fid:
        for line in fid:
            if line.startswith(key + ":"):
                return float(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fid:
            fid.write("5")
    except OSError:
        return False
    return True


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _maxrss_kb() -> float:
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class _Memory:
    """Peak RSS during a block, in MB, and its growth over the RSS before it."""

    def __enter__(self):
        self.rss_before = _status_kb("VmRSS")
        self.maxrss_before = _maxrss_kb()
        self.reset = _reset_peak()
        return self

    def __exit__(self, *exc):
        self.maxrss_after = _maxrss_kb()
        if self.reset:
            self.peak = _status_kb("VmHWM")
        else:
            self.peak = self.maxrss_after
        return False

    def as_dict(self) -> dict:
        return {
            "rss_before_mb": self.rss_before / _MB,
            "peak_mb": self.peak / _MB,
            "growth_mb": (self.peak - self.rss_before) / _MB,
            "maxrss_delta_mb": (self.maxrss_after - self.maxrss_before) / _MB,
            "peak_is_process_peak": not self.reset,
        }


class _TimedRunner:
    """Wrap a MEGNet runner to add up the time spent in the network."""

    def __init__(self, runner):
        self._runner = runner
        self.seconds = 0.0

    def predict(self, *args, **kwargs):
        t0 = time.perf_counter()
        out = self._runner.predict(*args, **kwargs)
        self.seconds += time.perf_counter() - t0
        return out


def _split_iclabel(raw, ica, ours: bool) -> dict:
    from mne_icalabel.iclabel import get_iclabel_features, run_iclabel

    t0 = time.perf_counter()
    features = get_iclabel_features(raw, ica)
    t1 = time.perf_counter()
    run_iclabel(*features, backend=None)  # what label_components uses
    t2 = time.perf_counter()
    return {"features": t1 - t0, "network": t2 - t1}


def _split_megnet(raw, ica, ours: bool) -> dict:
    from mne_icalabel.megnet import get_megnet_features

    t0 = time.perf_counter()
    ica.get_sources(raw).get_data()
    t1 = time.perf_counter()
    time_series, topomaps = get_megnet_features(raw, ica)
    t2 = time.perf_counter()
    split = {"time_series": t1 - t0, "features": t2 - t1}
    split["topomaps"] = max(split["features"] - split["time_series"], 0.0)
    if ours:
        # private: the runner and the vote of mne_icalabel.megnet
        from mne_icalabel.megnet._voting import _chunk_predicting
        from mne_icalabel.megnet.network import BACKENDS

        runner = _TimedRunner(BACKENDS.load(BACKENDS.resolve(None))[1])
        t0 = time.perf_counter()
        _chunk_predicting(runner, time_series, topomaps)
        t1 = time.perf_counter()
        split["network"] = runner.seconds
        split["voting"] = (t1 - t0) - runner.seconds
    return split


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=("iclabel", "megnet"), required=True)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--ica", required=True)
    parser.add_argument(
        "--out", required=True, help="JSON result; probabilities go to .npy"
    )
    parser.add_argument("--ours", action="store_true", help="our package: finer split")
    parser.add_argument(
        "--warm", type=int, default=0, help="time this many more calls (warm)"
    )
    parser.add_argument(
        "--preimport",
        action="store_true",
        help="import torch and onnxruntime before the timed first call",
    )
    parser.add_argument("--split", action="store_true", help="time the stages")
    parser.add_argument(
        "--package-root",
        help="folder holding the mne_icalabel to time (put first on sys.path)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.package_root:
        sys.path.insert(0, args.package_root)

    t0 = time.perf_counter()
    import mne
    import numpy as np

    mne.set_log_level("ERROR")
    raw = mne.io.read_raw_fif(args.raw, preload=True)
    ica = mne.preprocessing.read_ica(args.ica)
    t1 = time.perf_counter()
    import mne_icalabel
    from mne_icalabel import label_components

    t2 = time.perf_counter()
    backends = []
    if args.preimport:  # the network libraries both packages use
        import importlib.util

        for name in ("torch", "onnxruntime"):
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
                backends.append(name)
    t3 = time.perf_counter()
    with _Memory() as memory:
        cpu_call, t_call = _cpu_s(), time.perf_counter()
        result = label_components(raw, ica, method=args.method)
        t_call = time.perf_counter() - t_call
        cpu_call = _cpu_s() - cpu_call

    record = {
        "python": sys.executable,
        "package_file": mne_icalabel.__file__,
        "package_version": mne_icalabel.__version__,
        "load_s": t1 - t0,
        "import_s": t2 - t1,
        "preimported": backends,
        "preimport_s": t3 - t2,
        "call_s": t_call,
        # CPU time of all threads: less sensitive to other jobs on the machine
        "call_cpu_s": cpu_call,
        "memory": memory.as_dict(),
        "torch_imported": "torch" in sys.modules,
        "onnxruntime_imported": "onnxruntime" in sys.modules,
    }

    # Warm calls: label_components again, in the same process.
    warm = []
    for _ in range(args.warm):
        t_warm = time.perf_counter()
        label_components(raw, ica, method=args.method)
        warm.append(time.perf_counter() - t_warm)
    if warm:
        record["warm_calls_s"] = warm
        record["warm_call_s"] = statistics.median(warm)

    # Full probabilities: ICLabel stores them in ica.labels_scores_; MEGNet needs
    # its own function (label_components only returns the winning class).
    if args.method == "iclabel":
        proba = np.array(ica.labels_scores_, copy=True)
    else:
        from mne_icalabel.megnet import megnet_label_components

        proba = megnet_label_components(raw, ica)
    record["label_components_consistent"] = bool(
        np.allclose(result["y_pred_proba"], proba.max(axis=1), rtol=0, atol=1e-6)
    )
    record["labels"] = list(result["labels"])
    np.save(out.with_suffix(".npy"), proba)

    if args.split:
        split = _split_iclabel if args.method == "iclabel" else _split_megnet
        record["split_s"] = split(raw, ica, args.ours)
    record["process_peak_mb"] = _maxrss_kb() / _MB
    out.write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
