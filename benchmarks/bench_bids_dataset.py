"""A whole BIDS dataset: the loop users write today vs ``mne-icalabel bids``.

For each case (a BIDS dataset simulated once, cached in ``benchmarks/.cache``),
one run of each, alternating, on the same machine:

- ``loop``: ``_bids_loop.py`` with the upstream interpreter (mne-icalabel
  0.10.0, see ``bench_label_components.py setup``): read, filter 1-100 Hz,
  average reference, ICA with MNE's defaults on every sample (EEG: picard
  extended, 20 components; MEG: infomax), ``label_components``, one
  recording after the other in one process;
- ``bids none``: ``mne-icalabel bids ROOT --n-jobs 2 --no-report --overwrite
  --ica-decim none`` (every sample, as before ``--ica-decim`` existed);
- ``bids auto``: the same with ``--ica-decim auto`` (the default);
- with ``--threads``, also ``bids auto`` with ``--n-jobs 1``: one process
  whose BLAS/OpenMP use every core, against ``--n-jobs 2`` processes of half
  the cores each.

Each run is a fresh process from a temporary folder. The peak RSS of every
process of a run (the CLI and its loky workers) is read from
``/proc/<pid>/status`` (``VmHWM``) while it runs. The argmax labels of each
recording are compared with the loop's full-data fit, the components paired
by the absolute correlation of their mixing maps (``tests/batch/_agreement.py``);
on the simulated EEG, the true blink, heart and muscle sources are also
looked up (the component whose map matches each, and its label).

    python benchmarks/bench_bids_dataset.py                 # every case
    python benchmarks/bench_bids_dataset.py --cases eeg-4x64ch-5min --threads

A markdown table is printed at the end (and written to
``benchmarks/results/bids_dataset.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
WEIGHTS = HERE.parents[1] / "shared" / "data" / "weights"
MEG_INFO = (
    HERE.parents[1] / "shared" / "data" / "meg" / "sample_audvis_trunc_raw_sss.fif"
)
CACHE = HERE / ".cache"
RESULTS = HERE / "results"
UPSTREAM = HERE / ".venv-upstream" / "bin" / "python"
DERIV = Path("derivatives", "mne-icalabel")

#: name -> (datatype, n_recordings, n_channels, duration in s)
CASES = {
    "eeg-4x64ch-5min": ("eeg", 4, 64, 300.0),
    "eeg-1x128ch-10min": ("eeg", 1, 128, 600.0),
    "meg-4x306ch-5min": ("meg", 4, 306, 300.0),
    # a quick check of the script itself (not in the default list)
    "eeg-2x32ch-2min": ("eeg", 2, 32, 120.0),
}
DEFAULT_CASES = ("eeg-4x64ch-5min", "eeg-1x128ch-10min", "meg-4x306ch-5min")


def dataset(name: str) -> Path:
    """Write (once) the BIDS dataset of a case; return its root."""
    datatype, n_recordings, n_channels, duration = CASES[name]
    # the 64-channel dataset is that of bench_dask_bids.py
    root = CACHE / ("bids-4x64ch-5min" if name == "eeg-4x64ch-5min" else f"bids-{name}")
    if (root / "dataset_description.json").is_file():
        return root
    from tests.batch.conftest import write_subject

    for seed in range(n_recordings):
        subject = f"{seed + 1:02d}"
        if datatype == "eeg":
            write_subject(root, subject, seed, n_channels=n_channels, duration=duration)
        else:
            _write_meg_subject(root, subject, seed, duration)
    return root


def _write_meg_subject(root: Path, subject: str, seed: int, duration: float) -> None:
    from mne_bids import BIDSPath, write_raw_bids

    from mne_icalabel.datasets.simulation import simulate_meg_raw

    raw = simulate_meg_raw(MEG_INFO, duration, random_state=seed, verbose=False)
    bids_path = BIDSPath(subject=subject, task="rest", datatype="meg", root=root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mne-bids: no line frequency, no events
        write_raw_bids(
            raw,
            bids_path,
            format="FIF",
            allow_preload=True,
            overwrite=True,
            verbose=False,
        )


class PeakRSS:
    """Peak RSS (MB) of a process and each of its descendants, read while it runs."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _read(self, pid: int) -> None:
        try:
            with open(f"/proc/{pid}/status") as fid:
                for line in fid:
                    if line.startswith("VmHWM:"):
                        self.peaks[pid] = float(line.split()[1]) / 1024.0
        except OSError:
            pass

    def _poll(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                pids = [self.pid] + [
                    p.pid for p in psutil.Process(self.pid).children(recursive=True)
                ]
            except psutil.NoSuchProcess:
                return
            for pid in pids:
                self._read(pid)
            self._stop.wait(0.2)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        main = self.peaks.pop(self.pid, float("nan"))
        workers = sorted(self.peaks.values(), reverse=True)
        return dict(main_mb=main, workers_mb=workers)


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.setdefault("MNE_ICALABEL_WEIGHTS_PATH", str(WEIGHTS))
    env["MNE_TQDM"] = "off"
    return env


def _timed(cmd: list[str], env: dict) -> dict:
    """Run ``cmd`` from a temporary folder; return its wall time and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    memory = PeakRSS(proc.pid)
    output, _ = proc.communicate()
    wall = time.perf_counter() - start
    peaks = memory.stop()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{output[-3000:]}")
    return dict(wall_s=wall, **peaks, output=output[-2000:])


def run_loop(root: Path, out: Path, datatype: str) -> dict:
    cmd = [str(UPSTREAM), "-I", str(HERE / "_bids_loop.py"), "--root", str(root)]
    cmd += ["--out", str(out), "--datatype", datatype]
    result = _timed(cmd, _env())
    result["workers_mb"] = []  # one process
    result.update(json.loads((out / "loop.json").read_text()))
    return result


def run_bids(root: Path, decim: str, datatype: str, n_jobs: int) -> dict:
    # ours from this checkout (first on the path), as a user runs the command
    code = (
        f"import sys; sys.path.insert(0, {str(HERE.parent)!r}); "
        "from mne_icalabel.commands.main import main; sys.exit(main())"
    )
    cmd = [sys.executable, "-c", code, "bids", str(root), "--n-jobs", str(n_jobs)]
    cmd += ["--no-report", "--overwrite", "--ica-decim", decim, "--datatype", datatype]
    return _timed(cmd, _env())


def _labels_from_tsv(fname: Path) -> list[str]:
    from mne_icalabel.annotation.bids import read_components_tsv

    result = read_components_tsv(fname)
    classes = result["classes"]
    return [classes[k] for k in result["labels_pred_proba"].argmax(axis=1)]


def compare(root: Path, loop_out: Path, datatype: str) -> list[dict]:
    """Compare each recording's labels in ``root``'s derivatives with the loop's."""
    import mne

    from tests.batch._agreement import artifacts_found, compare_labels, true_artifacts

    rows = []
    for ref_file in sorted(loop_out.glob("*_ica.fif")):
        stem = ref_file.name.removesuffix("_ica.fif")
        subject = stem.split("_")[0]
        ref = mne.preprocessing.read_ica(ref_file, verbose=False)
        ref_labels = json.loads((loop_out / f"{stem}_labels.json").read_text())
        folder = root / DERIV / subject / datatype
        ica = mne.preprocessing.read_ica(folder / f"{stem}_ica.fif", verbose=False)
        labels = _labels_from_tsv(folder / f"{stem}_components.tsv")
        row = dict(recording=stem, n_samples_fit=int(ica.n_samples_))
        row.update(
            compare_labels(
                ref.get_components(), ref_labels, ica.get_components(), labels
            )
        )
        if datatype == "eeg":
            row["found_loop"] = artifacts_found(ref, ref_labels)
            row["found"] = artifacts_found(ica, labels)
            row["truth_loop"] = true_artifacts(ref, ref_labels)
            row["truth"] = true_artifacts(ica, labels)
        rows.append(row)
    return rows


def run_case(name: str, tmp: Path, n_jobs: int, order: tuple[str, ...]) -> dict:
    datatype, n_recordings, _, _ = CASES[name]
    source = dataset(name)
    record: dict = dict(case=name, runs={}, agreement={})
    loop_out = tmp / f"{name}-loop"
    roots = {}
    for run in order:
        if run == "loop":
            print(f"[{name}] loop (upstream)", flush=True)
            record["runs"][run] = run_loop(source, loop_out, datatype)
        else:
            roots[run] = tmp / f"{name}-{run}"
            if not roots[run].exists():
                shutil.copytree(
                    source, roots[run], ignore=shutil.ignore_patterns("derivatives")
                )
            decim, jobs = _run_options(run, n_jobs)
            print(f"[{name}] bids --n-jobs {jobs} --ica-decim {decim}", flush=True)
            record["runs"][run] = run_bids(roots[run], decim, datatype, jobs)
        print(f"  {record['runs'][run]['wall_s']:.1f} s", flush=True)
    for run, root in roots.items():
        record["agreement"][run] = compare(root, loop_out, datatype)
    return record


def _run_options(run: str, n_jobs: int) -> tuple[str, int]:
    """``"bids auto"`` -> ("auto", n_jobs); ``"bids auto j1"`` -> ("auto", 1)."""
    parts = run.split()
    return parts[1], int(parts[2][1:]) if len(parts) > 2 else n_jobs


def _fmt_found(rows: list[dict], key: str) -> str:
    short = {"eye blink": "B", "heart beat": "H", "muscle artifact": "M"}
    return " ".join("".join(short[c] for c in row[key]) or "-" for row in rows)


def table(records: list[dict], n_jobs: int) -> str:
    lines = [
        "| case | run | wall time | ratio to loop | argmax agreement with the loop's "
        "full fit (per recording) | true artifacts found (B blink, H heart, M muscle) "
        "| peak RSS main / per worker (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for record in records:
        loop_s = record["runs"]["loop"]["wall_s"]
        for run, result in record["runs"].items():
            rows = record["agreement"].get(run)
            if rows is None:
                agreement = "(reference)"
                found = ""
                first = next(iter(record["agreement"].values()), [])
                if first and "found_loop" in first[0]:
                    found = _fmt_found(first, "found_loop")
            else:
                agreement = ", ".join(f"{r['agree']}/{r['n']}" for r in rows)
                found = _fmt_found(rows, "found") if rows and "found" in rows[0] else ""
            decim, jobs = ("", 0) if run == "loop" else _run_options(run, n_jobs)
            # the n_jobs largest: loky's workers (not its resource tracker)
            workers = result["workers_mb"][:jobs] if jobs > 1 else []
            memory = f"{result['main_mb']:.0f}"
            if workers:
                memory += " / " + ", ".join(f"{w:.0f}" for w in workers)
            label = (
                "loop (mne-icalabel 0.10)"
                if run == "loop"
                else f"`bids --n-jobs {jobs} --ica-decim {decim}`"
            )
            lines.append(
                f"| {record['case']} | {label} | {result['wall_s']:.1f} s | "
                f"{result['wall_s'] / loop_s:.2f} | {agreement} | {found} | {memory} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", nargs="+", choices=list(CASES), default=list(DEFAULT_CASES)
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--threads",
        action="store_true",
        help="also run --n-jobs 1 (one process, every core for BLAS/OpenMP)",
    )
    args = parser.parse_args()
    if not UPSTREAM.exists():
        raise SystemExit(
            f"No upstream interpreter at {UPSTREAM}: run "
            "'python benchmarks/bench_label_components.py setup' first."
        )
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, name in enumerate(args.cases):
            # alternate the order from one case to the next
            order = ("loop", "bids none", "bids auto")
            if args.threads and CASES[name][1] > 1:
                # one process with every core for BLAS vs n_jobs processes
                order += ("bids auto j1",)
            order = order[:: 1 - 2 * (k % 2)]
            records.append(run_case(name, Path(tmp), args.n_jobs, order))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bids_dataset.json").write_text(
        json.dumps(records, indent=2, default=str)
    )
    text = table(records, args.n_jobs)
    (RESULTS / "bids_dataset.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
