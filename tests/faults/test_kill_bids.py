"""``bids`` killed with SIGKILL at random points, then rerun (issue 18).

Real processes in their own process group (so the kill reaches everything
they started), on the two-recording dataset of the two-writer tests. Kill
points: the moment a temporary file of each kind of output appears (the
process is then writing it: an ICA, a components TSV or its sidecar,
``summary.tsv``), and seeded random times. After each kill every file under
``derivatives/`` is read whole; the rerun redoes only the unfinished
recordings and ends byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mne_icalabel.batch._layout import derivatives_root

from ._writers import BIDS_ARGS, outputs, run
from ._writers import write_dataset as _write

#: one kill while each of these is being written, then random times
KILL_WHILE_WRITING = ("_ica.fif", "_components.tsv", "_components.json", "summary.tsv")
N_RANDOM_KILLS = 3
COUNTS = dict(kills=0, files_checked=0, resumes=0, identical=0)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The dataset and the outputs of an uninterrupted ``bids``, with its time."""
    template = _write(tmp_path_factory.mktemp("kill") / "ds")
    root = tmp_path_factory.mktemp("ref") / "ds"
    shutil.copytree(template, root)
    done, elapsed = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    return template, outputs(root), elapsed


def _start(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mne_icalabel.commands.main", "bids", str(root)]
        + list(BIDS_ARGS),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill(process: subprocess.Popen) -> bool:
    """SIGKILL the process group; True if it was still running."""
    alive = process.poll() is None
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)
    return alive


def _writing(folder: Path, suffix: str) -> bool:
    """Whether a temporary file of an output ending in ``suffix`` exists."""
    for _, _, names in os.walk(folder):
        if any(n.startswith(".tmp-") and n.endswith(suffix) for n in names):
            return True
    return False


def _check_every_file(root: Path) -> None:
    """Read every file under derivatives/ whole; no temporary may be an output."""
    import mne

    for path in sorted((root / "derivatives").rglob("*")):
        if not path.is_file() or path.name.startswith(".tmp-"):
            continue  # a killed write's temporary: removed by the next run
        COUNTS["files_checked"] += 1
        if path.suffix == ".tsv":
            with open(path, encoding="utf-8", newline="") as fid:
                rows = list(csv.reader(fid, delimiter="\t"))
            assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows), path
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.name.endswith("_ica.fif"):
            mne.preprocessing.read_ica(path, verbose="error")
        elif path.name != ".mne-icalabel.lock":
            raise AssertionError(f"unexpected file {path}")


def _finished(root: Path) -> dict[str, int]:
    """The components TSVs present (finished recordings) and their mtimes."""
    deriv = derivatives_root(root)
    return {
        p.relative_to(deriv).as_posix(): p.stat().st_mtime_ns
        for p in deriv.rglob("*_components.tsv")
        if not p.name.startswith(".tmp-")
    }


#: a small TSV exists as a temporary for about a millisecond: a poll can miss
#: it on a loaded machine, then the run is started again
ATTEMPTS = 5


def _kill_and_resume(template, expected, root, kill_at) -> None:
    for _ in range(ATTEMPTS):
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(template, root)
        process = _start(root)
        try:
            reached = kill_at(process, derivatives_root(root))
        finally:
            killed = _kill(process) and reached
        if killed:
            break
    assert killed, f"the run ended before the kill point, {ATTEMPTS} times"
    COUNTS["kills"] += 1
    _check_every_file(root)
    before = _finished(root)
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    COUNTS["resumes"] += 1
    # finished recordings are not redone
    after = _finished(root)
    assert {k: after[k] for k in before} == before
    got = outputs(root)
    assert not [name for name in got if ".tmp-" in name]  # no partial file left
    assert got == expected
    COUNTS["identical"] += 1


@pytest.mark.parametrize("suffix", KILL_WHILE_WRITING)
def test_killed_while_writing(reference, tmp_path, suffix):
    template, expected, _ = reference

    def kill_at(process, deriv):
        end = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < end:
            if _writing(deriv, suffix):
                return True
            time.sleep(0.0005)
        return False

    _kill_and_resume(template, expected, tmp_path / "ds", kill_at)


@pytest.mark.parametrize("seed", range(N_RANDOM_KILLS))
def test_killed_at_random_time(reference, tmp_path, seed):
    template, expected, elapsed = reference
    # somewhere in the run after its imports (about a second), seeded
    delay = random.Random(seed).uniform(0.2, 0.7) * elapsed

    def kill_at(process, deriv):
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            return True
        return False

    _kill_and_resume(template, expected, tmp_path / "ds", kill_at)


def test_counts_for_the_notes(capsys):
    """Print what the kill tests did (run last in this file)."""
    with capsys.disabled():
        print(
            f"\nbids kill suite: kills injected {COUNTS['kills']}, files checked "
            f"{COUNTS['files_checked']}, resumes {COUNTS['resumes']}, "
            f"byte-identical {COUNTS['identical']}"
        )
