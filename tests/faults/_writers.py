"""Real ``mne-icalabel`` processes on one tiny dataset, for the two-writer tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from mne_icalabel.derivatives._claims import claim_files
from mne_icalabel.derivatives._layout import derivatives_root
from mne_icalabel.derivatives._lock import read_owner

#: two subjects x 32 channels x 30 s, 5 components: a run takes a few seconds
N_COMPONENTS = 5
DURATION = 30.0
BIDS_ARGS = ("--n-components", str(N_COMPONENTS), "--no-report")
APPLY_ARGS = ("--no-report",)


def write_dataset(root: Path) -> Path:
    """Write the two-subject dataset of tests/batch at 30 s per recording."""
    from tests.batch.conftest import SUBJECTS, write_subject

    for seed, subject in enumerate(SUBJECTS):
        write_subject(root, subject, seed, duration=DURATION)
    return root


def start(
    command: str, root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start ``mne-icalabel <command> <root> <args>`` in its own process.

    ``env``: variables added to this process' environment.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "mne_icalabel.commands.main", command, str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=None if env is None else {**os.environ, **env},
    )


def run(
    command: str, root: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, float]:
    """Run a command to its end; return it and its wall time in seconds."""
    begin = time.perf_counter()
    process = start(command, root, *args, env=env)
    out, err = process.communicate(timeout=120)
    elapsed = time.perf_counter() - begin
    return subprocess.CompletedProcess(
        process.args, process.returncode, out, err
    ), elapsed


def wait_for_lock(process: subprocess.Popen, root: Path, timeout: float = 60.0):
    """Wait until ``process`` claims recordings of ``root``; return its owner record."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for path in claim_files(derivatives_root(root)):
            owner = read_owner(path)
            if owner is not None and owner.pid == process.pid:
                return owner
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    raise AssertionError(f"{process.args} did not take the lock in {timeout} s")


def outputs(root: Path) -> dict[str, bytes]:
    """Return the deterministic outputs of a run, by path relative to the root.

    Left out: ``summary.tsv`` (timings) and the reports; the dataset's path
    in ``dataset_description.json`` is replaced by a placeholder.
    """
    deriv = derivatives_root(root)
    found = {}
    for path in sorted(deriv.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(deriv).as_posix()
        if name == "summary.tsv" or name.endswith("_report.html"):
            continue
        content = path.read_bytes()
        if name == "dataset_description.json":
            content = content.replace(root.resolve().as_uri().encode(), b"<root>")
        found[name] = content
    return found


#: how long a held run waits for its release file by default (s): it then goes
#: on by itself, so that a test that never releases it leaves no run behind
HOLD_TIMEOUT = 120.0

# wraps open(): opening a file whose name matches HOLD_PATTERN for writing
# creates the file HOLD_REACHED, then waits until the file HOLD_RELEASE exists
# (at most HOLD_TIMEOUT s), so that a run holds its lock, mid-run, for as long
# as a test needs, and the test knows when it is held
_HOLD_SITECUSTOMIZE = """
import builtins
import fnmatch
import io
import os
import time

_PATTERN = os.environ["HOLD_PATTERN"]
_RELEASE = os.environ["HOLD_RELEASE"]
_REACHED = os.environ["HOLD_REACHED"]
_TIMEOUT = float(os.environ["HOLD_TIMEOUT"])
_open = io.open


def _open_when_released(file, mode="r", *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)) and set(mode) & set("wax+"):
        if fnmatch.fnmatch(os.path.basename(os.fsdecode(file)), _PATTERN):
            _open(_REACHED, "a").close()
            end = time.monotonic() + _TIMEOUT
            while not os.path.exists(_RELEASE) and time.monotonic() < end:
                time.sleep(0.01)
    return _open(file, mode, *args, **kwargs)


builtins.open = io.open = _open_when_released
"""


def hold_env(
    folder: Path, pattern: str, timeout: float = HOLD_TIMEOUT
) -> tuple[dict[str, str], Path]:
    """The environment of a run held at its first write of ``pattern``.

    Returns the variables for `start` and the file whose creation releases
    the run (the shim and the file live in ``folder``). When the run is held,
    the file `reached` of ``folder`` exists (see `wait_for_hold`). The run
    goes on by itself ``timeout`` seconds after it is held: longer than the
    test holding it waits, or the test races the shim.
    """
    shim = folder / "hold-shim"
    shim.mkdir(parents=True, exist_ok=True)
    (shim / "sitecustomize.py").write_text(_HOLD_SITECUSTOMIZE, encoding="utf-8")
    release = folder / "release"
    pythonpath = os.pathsep.join(
        p for p in (str(shim), os.environ.get("PYTHONPATH")) if p
    )
    env = dict(
        PYTHONPATH=pythonpath,
        HOLD_PATTERN=pattern,
        HOLD_RELEASE=str(release),
        HOLD_REACHED=str(reached(folder)),
        HOLD_TIMEOUT=str(timeout),
    )
    return env, release


def reached(folder: Path) -> Path:
    """The file a run of `hold_env` (``folder``) creates when it is held."""
    return folder / "hold-reached"


def wait_for_hold(
    process: subprocess.Popen | None, folder: Path, timeout: float = 120.0
) -> None:
    """Wait until the run of `hold_env` (``folder``) is held at its write.

    ``process``: the run, if started here (its end fails the wait at once).
    """
    end = time.monotonic() + timeout
    while not reached(folder).exists():
        if process is not None:
            assert process.poll() is None, process.communicate()
        assert time.monotonic() < end, f"the run did not reach its hold in {timeout} s"
        time.sleep(0.01)
