"""Throughput of ``label_bids_dataset``: a real Dask cluster vs local loky processes.

A BIDS dataset of 4 simulated 64-channel, 5-minute EEG recordings (cached in
``benchmarks/.cache/bids-4x64ch-5min``) is labelled, all recordings again each
time (``overwrite=True``, HTML reports included), alternately:

- ``loky``: ``n_jobs=2`` local processes;
- ``dask``: a ``dask scheduler`` and 2 ``dask worker`` processes of 1 thread,
  started once from the command line on 127.0.0.1, without any ``MNE_*``
  variable (the launcher of ``tests/batch/test_dask_cluster.py``).

The first round includes what each pays once (loky: its process pool; Dask:
the worker pre-flight, network loading included). The CPU is shared, so
compare the ratio of each round, not the absolute numbers::

    python benchmarks/bench_dask_bids.py [--rounds 3]
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

from mne_icalabel.batch import label_bids_dataset  # noqa: E402
from tests.batch.conftest import write_subject  # noqa: E402
from tests.batch.test_dask_cluster import Cluster  # noqa: E402

CACHE = HERE / ".cache" / "bids-4x64ch-5min"
N_RECORDINGS = 4


def dataset() -> Path:
    if not (CACHE / "dataset_description.json").is_file():
        for seed in range(N_RECORDINGS):
            write_subject(CACHE, f"{seed + 1:02d}", seed, n_channels=64, duration=300.0)
    return CACHE


def run(root: Path, **kwargs) -> float:
    """Label every recording of ``root``; return recordings per minute."""
    start = time.perf_counter()
    summary = label_bids_dataset(root, overwrite=True, verbose="error", **kwargs)
    elapsed = time.perf_counter() - start
    assert list(summary["status"]) == ["labelled"] * N_RECORDINGS, summary["error"]
    return N_RECORDINGS / elapsed * 60


def main(rounds: int) -> None:
    source = dataset()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roots = {}
        for name in ("loky", "dask"):
            roots[name] = tmp / name
            shutil.copytree(source, roots[name])
        cluster = Cluster(tmp / "cluster")
        cluster.folder.mkdir()
        try:
            cluster.start_scheduler()
            cluster.start_worker("w1")
            cluster.start_worker("w2")
            rates: dict[str, list[float]] = {"loky": [], "dask": []}
            for k in range(rounds):
                order = ("loky", "dask") if k % 2 == 0 else ("dask", "loky")
                for name in order:
                    kwargs = (
                        dict(n_jobs=2)
                        if name == "loky"
                        else dict(dask_scheduler=cluster.scheduler_file)
                    )
                    rates[name].append(run(roots[name], **kwargs))
                print(
                    f"round {k + 1}: loky {rates['loky'][-1]:.2f}, dask "
                    f"{rates['dask'][-1]:.2f} recordings/min, dask/loky "
                    f"{rates['dask'][-1] / rates['loky'][-1]:.2f}",
                    flush=True,
                )
        finally:
            cluster.stop()
    ratios = [d / lo for d, lo in zip(rates["dask"], rates["loky"], strict=True)]
    print(
        f"median over {rounds} rounds: loky {statistics.median(rates['loky']):.2f}, "
        f"dask {statistics.median(rates['dask']):.2f} recordings/min; dask/loky "
        f"ratio per round {', '.join(f'{r:.2f}' for r in ratios)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args().rounds)
