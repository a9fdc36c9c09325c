"""Derivatives on a full file system (issue 18).

Real ``mne-icalabel`` processes. Two ways to fill the disk:

- a real one: a small ``tmpfs`` mounted on the dataset's ``derivatives/``
  (skipped only where mounting is not permitted), filled by a ballast file
  up to what the test leaves free; freeing space is removing the ballast;
- an injected one: a ``sitecustomize`` put first on the run's ``PYTHONPATH``
  wraps ``open`` so that the writes of one output fail with ``ENOSPC`` after
  a given number of bytes (the prefix is written, as a full disk does).

Each time: the run says which folder is full, how many bytes the write needed
and how many are free; no partial file is left; the components TSV with a
manual row is untouched; the same command run again after space is freed
ends byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from mne_icalabel.annotation import mark_component
from mne_icalabel.derivatives._claims import CLAIMS
from mne_icalabel.derivatives._layout import derivatives_root

from ._kill import check_every_file, temporaries
from ._writers import APPLY_ARGS, BIDS_ARGS, outputs, run
from ._writers import write_dataset as _write

#: tmpfs counts whole pages: each file takes its size rounded up to a page
PAGE = os.sysconf("SC_PAGE_SIZE")
TMPFS_SIZE = 8 * 1024 * 1024
BALLAST = "ballast.bin"
#: the component marked by hand in sub-01's TSV before the full-disk runs
MANUAL = 0
COUNTS = dict(files_checked=0)
_NO_SPACE = re.compile(
    r"No space left on the file system of (?P<folder>\S+): writing (?P<name>\S+) "
    r"needs at least (?P<needed>\d+) bytes \((?P<written>\d+) written when the "
    r"space ran out\), (?P<free>\d+) bytes are free there\. Nothing was "
    r"replaced: (?P=name) is as it was\. Free space on that file system"
)

# wraps open(): writes to files whose name matches FULL_DISK_PATTERN fail with
# ENOSPC once FULL_DISK_AFTER bytes (over all of them) have been written
_SITECUSTOMIZE = """
import builtins
import errno
import fnmatch
import io
import os

_PATTERN = os.environ["FULL_DISK_PATTERN"]
_LEFT = [int(os.environ["FULL_DISK_AFTER"])]
_open = io.open


class _FullDisk:
    def __init__(self, fid):
        self._fid = fid

    def write(self, data):
        if len(data) > _LEFT[0]:
            self._fid.write(data[: _LEFT[0]])
            _LEFT[0] = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        _LEFT[0] -= len(data)
        return self._fid.write(data)

    def __getattr__(self, name):
        return getattr(self._fid, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fid.close()


def _open_on_full_disk(file, mode="r", *args, **kwargs):
    fid = _open(file, mode, *args, **kwargs)
    if isinstance(file, (str, bytes, os.PathLike)) and set(mode) & set("wax+"):
        if fnmatch.fnmatch(os.path.basename(os.fsdecode(file)), _PATTERN):
            return _FullDisk(fid)
    return fid


builtins.open = io.open = _open_on_full_disk
"""


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """The datasets and the outputs of uninterrupted runs on a roomy disk.

    ``raw``: not labelled; ``labelled``: after ``bids``, with component
    ``MANUAL`` of sub-01 marked by hand. Outputs: ``bids`` on ``raw``,
    ``apply`` and ``bids --overwrite`` on ``labelled``.
    """
    raw = _write(tmp_path_factory.mktemp("full") / "ds")
    labelled = tmp_path_factory.mktemp("labelled") / "ds"
    shutil.copytree(raw, labelled)
    done, _ = run("bids", labelled, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    expected = dict(bids=outputs(labelled))
    mark_component(MANUAL, _tsv(labelled, "01"), "manual", "eye blink", "Reviewer")
    for name, command, args in (
        ("apply", "apply", APPLY_ARGS),
        ("overwrite", "bids", (*BIDS_ARGS, "--overwrite")),
    ):
        root = tmp_path_factory.mktemp(name) / "ds"
        shutil.copytree(labelled, root)
        done, _ = run(command, root, *args)
        assert done.returncode == 0, done.stderr
        expected[name] = outputs(root)
    return raw, labelled, expected


def _tsv(root: Path, subject: str) -> Path:
    folder = derivatives_root(root) / f"sub-{subject}" / "eeg"
    return folder / f"sub-{subject}_task-rest_run-01_components.tsv"


def _clean(subject: str) -> str:
    return f"sub-{subject}/eeg/sub-{subject}_task-rest_run-01_desc-clean_eeg.fif"


def _summary(root: Path) -> list[dict]:
    with open(derivatives_root(root) / "summary.tsv", encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def _decisions(root: Path) -> dict[str, bytes]:
    """The components TSVs and sidecars (what a person may have decided)."""
    deriv = derivatives_root(root)
    return {
        p.relative_to(deriv).as_posix(): p.read_bytes()
        for pattern in ("*_components.tsv", "*_components.json")
        for p in deriv.rglob(pattern)
    }


def _no_space(text: str) -> re.Match:
    match = _NO_SPACE.search(text)
    assert match is not None, text
    return match


def _samples_bytes(root: Path, subject: str) -> int:
    """The float32 bytes of a recording's samples, what its FIF needs at least."""
    import mne

    vhdr = root / f"sub-{subject}" / "eeg" / f"sub-{subject}_task-rest_run-01_eeg.vhdr"
    raw = mne.io.read_raw_brainvision(vhdr, verbose="error")
    return 4 * len(raw.ch_names) * raw.n_times


# ------------------------------------------------------------ a real tmpfs
@contextmanager
def _tmpfs(folder: Path):
    """Mount a tmpfs of ``TMPFS_SIZE`` on ``folder``; skip if not permitted."""
    folder.mkdir(parents=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs"]
    try:
        done = subprocess.run(
            [*command, str(folder)], capture_output=True, text=True, timeout=30
        )
    except FileNotFoundError:
        pytest.skip("no mount command here: the injected full disk covers it")
    if done.returncode:
        refused = ("permission denied", "not permitted", "only root", "superuser")
        if os.geteuid() != 0 or any(r in done.stderr.lower() for r in refused):
            pytest.skip(f"mounting a tmpfs is not permitted: {done.stderr.strip()}")
        raise AssertionError(f"mount failed: {done.stderr}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True, timeout=30)


def _fill(mount: Path, leave: int) -> Path:
    """Write a ballast file so that ``leave`` bytes (whole pages) stay free."""
    assert leave % PAGE == 0
    ballast = mount / BALLAST
    chunk = b"\0" * (1024 * 1024)
    left = shutil.disk_usage(mount).free - leave
    with open(ballast, "wb") as fid:
        while left > 0:
            left -= fid.write(chunk[: min(left, len(chunk))])
    assert shutil.disk_usage(mount).free == leave
    return ballast


@contextmanager
def _on_tmpfs(template: Path, root: Path):
    """Copy ``template`` to ``root``, its derivatives onto a new tmpfs there."""
    shutil.copytree(
        template,
        root,
        ignore=lambda at, names: ["derivatives"] if Path(at) == template else [],
    )
    with _tmpfs(root / "derivatives") as mount:
        if (template / "derivatives").is_dir():
            shutil.copytree(template / "derivatives", mount, dirs_exist_ok=True)
        yield mount


def test_bids_on_a_full_disk(references, tmp_path):
    """Not a byte free: bids stops at its first write, says why, writes nothing."""
    raw, _, expected = references
    root = tmp_path / "ds"
    with _on_tmpfs(raw, root) as mount:
        ballast = _fill(mount, 0)
        done, _ = run("bids", root, *BIDS_ARGS)
        assert done.returncode == 1, done.stderr
        message = done.stderr.strip().splitlines()[-1]
        match = _no_space(message)
        # its first write: the claim of its first recording
        assert match["folder"] == str(derivatives_root(root) / CLAIMS)
        assert int(match["needed"]) > 0 and match["free"] == "0"
        # nothing left: not even the folders it created
        assert [p.name for p in mount.iterdir()] == [BALLAST]
        ballast.unlink()
        done, _ = run("bids", root, *BIDS_ARGS)
        assert done.returncode == 0, done.stderr
        assert outputs(root) == expected["bids"]


def test_apply_runs_out_of_space(references, tmp_path):
    """Room for one and a half cleaned recordings: the second fails, named."""
    _, labelled, expected = references
    root = tmp_path / "ds"
    size = len(expected["apply"][_clean("01")])
    pages = -(-size // PAGE) * PAGE
    with _on_tmpfs(labelled, root) as mount:
        decisions = _decisions(root)
        # sub-01's file and half of sub-02's, plus pages for the sidecar, the
        # lock, the run state and summary.tsv with their temporaries (1 each)
        ballast = _fill(mount, pages + pages // 2 // PAGE * PAGE + 8 * PAGE)
        done, _ = run("apply", root, *APPLY_ARGS)
        assert done.returncode == 1, done.stdout
        deriv = derivatives_root(root)
        (line,) = [r for r in done.stdout.splitlines() if "failed: sub-02" in r]
        match = _no_space(line)
        assert match["folder"] == str(deriv / "sub-02" / "eeg")
        assert match["name"] == Path(_clean("02")).name
        needed, written = int(match["needed"]), int(match["written"])
        # the samples in float32; the header makes the file larger
        assert needed == _samples_bytes(root, "02") <= size
        assert 0 < written < needed
        # since the message the run removed its lock and state file (a page
        # each) and rewrote summary.tsv (as many pages, or one more)
        freed = shutil.disk_usage(mount).free - int(match["free"])
        assert PAGE <= freed <= 2 * PAGE, freed
        rows = [r for r in _summary(root) if r["step"] == "apply"]
        (row,) = [r for r in rows if "sub-02" in r["recording"]]
        assert row["status"] == "failed"
        assert row["error"].startswith("NoSpaceError: No space left on the file")
        # no partial file; the first recording is whole, the decisions untouched
        assert temporaries(mount) == []
        assert not (deriv / _clean("02")).exists()
        assert not (deriv / _clean("02")).with_suffix(".json").exists()
        check_every_file(root, COUNTS, ignore=(BALLAST,))
        assert (deriv / _clean("01")).read_bytes() == expected["apply"][_clean("01")]
        assert _decisions(root) == decisions
        ballast.unlink()
        done, _ = run("apply", root, *APPLY_ARGS)
        assert done.returncode == 0, done.stderr
        assert outputs(root) == expected["apply"]
        statuses = [r["status"] for r in _summary(root) if r["step"] == "apply"]
        assert statuses == ["skipped", "applied"]  # only the unfinished redone


# ------------------------------------------------------ an injected ENOSPC
INJECTED = {
    # bids --overwrite rewrites sub-01's TSV, which has a manual row
    "bids": ("bids", (*BIDS_ARGS, "--overwrite"), "01", "*_components.tsv", 100),
    "apply": ("apply", APPLY_ARGS, "02", "*_desc-clean_eeg.fif", 300_000),
}


@pytest.mark.parametrize("case", list(INJECTED))
def test_injected_full_disk(references, tmp_path, case):
    command, args, subject, suffix, after = INJECTED[case]
    _, labelled, expected = references
    expected = expected["overwrite" if command == "bids" else "apply"]
    root = tmp_path / "ds"
    shutil.copytree(labelled, root)
    decisions = _decisions(root)
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    pythonpath = os.pathsep.join(
        p for p in (str(shim), os.environ.get("PYTHONPATH")) if p
    )
    env = dict(
        PYTHONPATH=pythonpath,
        FULL_DISK_PATTERN=f"*sub-{subject}_{suffix}",
        FULL_DISK_AFTER=str(after),
    )
    done, _ = run(command, root, *args, env=env)
    assert done.returncode == 1, done.stdout
    deriv = derivatives_root(root)
    (line,) = [r for r in done.stdout.splitlines() if f"failed: sub-{subject}" in r]
    match = _no_space(line)
    assert match["folder"] == str(deriv / f"sub-{subject}" / "eeg")
    if command == "bids":
        # the exact size of the TSV the uninterrupted run wrote
        name = _tsv(root, subject).relative_to(deriv).as_posix()
        assert int(match["needed"]) == len(expected[name])
    else:
        name = _clean(subject)
        assert int(match["needed"]) == _samples_bytes(root, subject)
    assert match["name"] == Path(name).name
    assert int(match["written"]) == after  # the prefix reached the file
    assert temporaries(root / "derivatives") == []
    check_every_file(root, COUNTS)
    got = _decisions(root)
    # the TSV being written, with its manual row, is as it was
    for key in (name, name.replace(".tsv", ".json")) if command == "bids" else ():
        assert got[key] == decisions[key]
    if command == "bids":
        header, *rows = [r.split("\t") for r in got[name].decode().splitlines()]
        assert rows[MANUAL][header.index("annotate_method")] == "manual"
    else:
        assert got == decisions and not (deriv / name).exists()
    # the other recording was done by the same run
    other = "02" if subject == "01" else "01"
    key = name.replace(f"sub-{subject}", f"sub-{other}")
    assert (deriv / key).read_bytes() == expected[key]
    done, _ = run(command, root, *args)
    assert done.returncode == 0, done.stderr
    assert outputs(root) == expected


def test_counts_for_the_notes(capsys):
    with capsys.disabled():
        print(f"\nfull-disk suite: files checked {COUNTS['files_checked']}")
