"""Kill a real ``mne-icalabel`` run with SIGKILL, check what it left, run it again.

Shared by the kill suites of ``bids`` and ``apply``: the run is started in its
own process group (the kill reaches every process it started), killed when a
condition holds (a temporary file of some output appears, some time passed),
then every file under ``derivatives/`` is read whole and the run is repeated
to its end.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mne_icalabel.derivatives._layout import derivatives_root

from ._writers import outputs, run

#: a small file exists as a temporary for about a millisecond: a poll can miss
#: it on a loaded machine, then the run is started again
ATTEMPTS = 5
#: seconds a run may take before its kill point is given up
_RUN_TIMEOUT = 120.0


def start_group(command: str, root: Path, *args: str) -> subprocess.Popen:
    """Start ``mne-icalabel <command> <root> <args>`` in a new process group."""
    return subprocess.Popen(
        [sys.executable, "-m", "mne_icalabel.commands.main", command, str(root)]
        + list(args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_group(process: subprocess.Popen) -> bool:
    """SIGKILL the process group; True if it was still running."""
    alive = process.poll() is None
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)
    return alive


def is_partial(path: Path, folder: Path) -> bool:
    """Whether ``path`` is, or is inside, a temporary of ``folder``'s tree."""
    return any(part.startswith(".tmp-") for part in path.relative_to(folder).parts)


def temporaries(folder: Path) -> list[Path]:
    """The temporary files and folders (``.tmp-<pid>-...``) under ``folder``."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        found += [Path(dirpath, n) for n in [*dirnames, *filenames]]
        dirnames[:] = [n for n in dirnames if not n.startswith(".tmp-")]
    return [p for p in found if p.name.startswith(".tmp-")]


def writing(folder: Path, suffix: str) -> bool:
    """Whether a temporary file of an output ending in ``suffix`` exists."""
    for _, _, names in os.walk(folder):
        if any(n.startswith(".tmp-") and n.endswith(suffix) for n in names):
            return True
    return False


def poll(process: subprocess.Popen, condition: Callable[[], bool]) -> bool:
    """Poll ``condition`` every 0.5 ms while the process runs; True once it holds."""
    end = time.monotonic() + _RUN_TIMEOUT
    while process.poll() is None and time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.0005)
    return False


def after(fraction: float, duration: float) -> Callable:
    """A kill point ``fraction`` of a run's ``duration`` after the start.

    ``duration`` is that of an uninterrupted run, which may have been slower
    (a cold file cache, a loaded machine): when a run ends before its kill
    point, its own wall time becomes the duration of the next attempt, so the
    kill lands at the same seeded fraction of a run as it goes now.
    """
    state = {"duration": duration}

    def kill_at(process, deriv):
        begin = time.perf_counter()
        try:
            process.wait(timeout=fraction * state["duration"])
        except subprocess.TimeoutExpired:
            return True
        state["duration"] = time.perf_counter() - begin
        return False

    return kill_at


def check_every_file(root: Path, counts: dict, ignore: tuple[str, ...] = ()) -> None:
    """Read every file under derivatives/ whole; temporaries are never outputs.

    ``ignore``: names of files the test itself put there (not read).
    """
    import mne

    folder = root / "derivatives"
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or is_partial(path, folder) or path.name in ignore:
            continue  # a killed write's temporary: removed by the next run
        counts["files_checked"] += 1
        if path.suffix == ".tsv":
            with open(path, encoding="utf-8", newline="") as fid:
                rows = list(csv.reader(fid, delimiter="\t"))
            assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows), path
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.name.endswith("_ica.fif"):
            mne.preprocessing.read_ica(path, verbose="error")
        elif path.suffix == ".fif":  # a cleaned recording: every sample read
            mne.io.read_raw_fif(path, preload=True, verbose="error")
        elif not path.name.endswith(".mne-icalabel.lock"):  # claims, short lock
            raise AssertionError(f"unexpected file {path}")


def mtimes(root: Path, pattern: str) -> dict[str, int]:
    """The files of ``pattern`` under the derivatives (not temporaries), mtimes."""
    deriv = derivatives_root(root)
    return {
        p.relative_to(deriv).as_posix(): p.stat().st_mtime_ns
        for p in deriv.rglob(pattern)
        if not is_partial(p, deriv)
    }


def kill_and_resume(
    template: Path,
    expected: dict[str, bytes],
    root: Path,
    command: str,
    args: tuple[str, ...],
    kill_at: Callable,
    finished: str,
    counts: dict,
) -> dict[str, int]:
    """Kill ``command`` at ``kill_at``, check the files, rerun, compare.

    ``finished`` is the glob pattern of the file that marks a recording done
    (written last): those present after the kill must not be rewritten by the
    rerun. Returns them (relative path to mtime), as found after the kill.
    """
    for _ in range(ATTEMPTS):
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(template, root)
        process = start_group(command, root, *args)
        try:
            reached = kill_at(process, derivatives_root(root))
        finally:
            killed = kill_group(process) and reached
        if killed:
            break
    assert killed, f"the run ended before the kill point, {ATTEMPTS} times"
    counts["kills"] += 1
    # what the kill cut short: removed by the rerun, never read as an output
    counts["partials"] = counts.get("partials", 0) + len(
        temporaries(root / "derivatives")
    )
    check_every_file(root, counts)
    before = mtimes(root, finished)
    done, _ = run(command, root, *args)
    assert done.returncode == 0, done.stderr
    counts["resumes"] += 1
    # finished recordings are not redone
    now = mtimes(root, finished)
    assert {k: now[k] for k in before} == before
    got = outputs(root)
    assert not [name for name in got if ".tmp-" in name]  # no partial file left
    assert got == expected
    counts["identical"] += 1
    return before


def report_counts(name: str, counts: dict) -> str:
    """The line a suite prints about what it did."""
    return (
        f"\n{name}: kills injected {counts['kills']}, files checked "
        f"{counts['files_checked']}, resumes {counts['resumes']}, "
        f"byte-identical {counts['identical']}, temporaries left by the kills "
        f"{counts.get('partials', 0)}"
    )
