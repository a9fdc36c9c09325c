"""Atomic file writes: write beside the destination, then rename over it."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: temporary files and folders are named ``.tmp-<pid>-...``: the pid of the
#: process writing them tells an orphan (its writer is gone) from a live write
_ORPHAN = re.compile(r"^\.tmp-(\d+)-")


def temporary_prefix() -> str:
    """Prefix of this process' temporary files and folders (``.tmp-<pid>-``)."""
    return f".tmp-{os.getpid()}-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_orphans(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporaries under ``folder`` whose writing process is gone.

    A process killed during :func:`atomic_path` (or a temporary folder of the
    same naming) leaves ``.tmp-<pid>-...`` behind; it is never an output
    (readers look for exact names) but it is a partial file. Called by the
    run that holds the derivatives lock, so no other run of ours writes there.

    Returns
    -------
    removed : list of Path
        What was removed.
    """
    removed = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            match = _ORPHAN.match(name)
            if match is None or _running(int(match.group(1))):
                continue
            path = Path(dirpath) / name
            if name in dirnames:
                dirnames.remove(name)
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def atomic_path(fname: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``fname`` that replaces it on success.

    The temporary name ends with the destination's name (e.g.
    ``.tmp-<pid>-x1y2-sub-01_ica.fif``), so writers that check extensions or MNE's
    naming conventions accept it. On success the file is flushed to disk,
    given the permissions of the file it replaces (or the umask's default),
    and renamed over ``fname`` with :func:`os.replace`, atomic on one file
    system: readers see the old or the new file, never a part. If the block
    raises, the temporary file is removed and ``fname`` is left as it was.

    Parameters
    ----------
    fname : path-like
        The destination. Its folder is created if needed.

    Yields
    ------
    tmp : Path
        Where to write.

    Raises
    ------
    OSError
        Of the original type, saying ``Cannot write <fname>``, if the folder
        cannot be created or written to.
    """
    fname = Path(fname)
    try:
        fname.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=temporary_prefix(), suffix=f"-{fname.name}", dir=fname.parent
        )
    except OSError as error:
        raise type(error)(
            f"Cannot write {fname}: {error.strerror or error}. Check that its folder "
            "can be created and is writable."
        ) from error
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as fid:
            os.fsync(fid.fileno())
        # mkstemp creates the file readable by its owner only
        os.chmod(tmp, fname.stat().st_mode if fname.exists() else _default_mode())
        os.replace(tmp, fname)
    finally:
        tmp.unlink(missing_ok=True)
    # persist the rename itself (POSIX only; Windows cannot open folders)
    with contextlib.suppress(OSError):
        dir_fd = os.open(fname.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_text_atomic(fname: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) atomically, see `atomic_path`."""
    with atomic_path(fname) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")


def _default_mode() -> int:
    """Permissions of a new file: 0o666 minus the process' umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
