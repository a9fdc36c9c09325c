"""Run a client's own code with this package, then with mne-icalabel 0.10.0.

mne-icalabel 0.10.0 is installed without its dependencies into a folder of
its own (``pip install --no-deps --target``, from the package index pip is
configured for), which is put first on ``PYTHONPATH`` of the client's process:
the same interpreter, client and versions of mne, numpy, torch and
onnxruntime, only the ``mne_icalabel`` that answers differs. Each run says
which one answered, and the comparison checks it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

UPSTREAM_VERSION = "0.10.0"
PROBE = Path(__file__).with_name("_probe.py")
PACKAGE = Path(__file__).resolve().parents[2] / "mne_icalabel"

#: Both packages match EEGLAB's reference probabilities to within 1e-5
#: (tests/iclabel/test_end_to_end.py; upstream's own tests use the same
#: bound), so they are within 2e-5 of each other: the bound the comparison of
#: benchmarks/bench_label_components.py uses for ICLabel too.
PROBA_ATOL = 2e-5


def upstream_path() -> Path:
    """Return a folder holding mne-icalabel 0.10.0; install it there if needed.

    The folder is ``<MNE_DATA>/mne-icalabel-upstream-0.10.0`` (``MNE_DATA``:
    MNE's config or environment, default ``~/mne_data``), installed into a
    temporary folder beside it and renamed, so a killed install leaves no
    half package.
    """
    import mne

    data = Path(mne.get_config("MNE_DATA", str(Path.home() / "mne_data")))
    target = data.expanduser() / f"mne-icalabel-upstream-{UPSTREAM_VERSION}"
    if (target / "mne_icalabel" / "__init__.py").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-upstream-", dir=target.parent))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
            + ["--target", str(tmp), f"mne-icalabel=={UPSTREAM_VERSION}"],
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"Cannot install mne-icalabel=={UPSTREAM_VERSION} to compare with: "
                f"pip says {done.stderr.strip()[-800:]}. It comes from the package "
                "index pip is configured for; check that pip can reach it."
            )
        try:
            os.replace(tmp, target)
        except OSError:  # another process installed it meanwhile
            if not (target / "mne_icalabel" / "__init__.py").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def client_env(upstream: Path | None) -> dict[str, str]:
    """The environment of a client's process: ours, or ``upstream`` first."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if upstream is not None:
        env["PYTHONPATH"] = str(upstream)
    return env


def run_probe(
    client: str, inputs: Path, out: Path, settings: dict, upstream: Path | None
) -> dict:
    """Run the client's step on ``inputs`` (see ``_probe.py``); return its JSON."""
    done = subprocess.run(
        [sys.executable, str(PROBE), client, str(inputs), str(out)]
        + [json.dumps(settings)],
        capture_output=True,
        text=True,
        env=client_env(upstream),
        cwd=inputs,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{client} failed: {done.stderr[-3000:]}")
    result = json.loads(out.read_text(encoding="utf-8"))
    answered = Path(result["mne_icalabel"]["file"])
    expected = PACKAGE if upstream is None else upstream.resolve() / "mne_icalabel"
    if answered.parent != expected:
        raise RuntimeError(f"{client} imported {answered}, not {expected}")
    return result


def compare(ours: dict, theirs: dict) -> dict:
    """Compare two probe results: exclusions, labels, probabilities.

    Returns
    -------
    comparison : dict
        ``same_excluded``, ``same_labels`` (bool), ``max_abs_dp`` (float) over
        every recording, ``passed`` when all agree within `PROBA_ATOL`, and
        ``differences``: what differs, per recording.
    """
    if set(ours["recordings"]) != set(theirs["recordings"]):
        raise ValueError("the two runs labelled different recordings")
    same_excluded = same_labels = True
    max_dp = 0.0
    differences = []
    for name, mine in sorted(ours["recordings"].items()):
        other = theirs["recordings"][name]
        dp = np.abs(np.asarray(mine["proba"]) - np.asarray(other["proba"]))
        max_dp = max(max_dp, float(dp.max()))
        if mine["excluded"] != other["excluded"]:
            same_excluded = False
            differences.append(
                f"{name}: excluded {mine['excluded']} vs {other['excluded']}"
            )
        if mine["labels"] != other["labels"]:
            same_labels = False
            differences.append(f"{name}: labels {mine['labels']} vs {other['labels']}")
    return dict(
        same_excluded=same_excluded,
        same_labels=same_labels,
        max_abs_dp=max_dp,
        passed=same_excluded and same_labels and max_dp <= PROBA_ATOL,
        differences=differences,
    )
