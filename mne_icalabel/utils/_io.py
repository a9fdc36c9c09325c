"""Atomic file writes: write beside the destination, then rename over it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(fname: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``fname`` that replaces it on success.

    The temporary name ends with the destination's name (e.g.
    ``.tmp-x1y2-sub-01_ica.fif``), so writers that check extensions or MNE's
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
            prefix=".tmp-", suffix=f"-{fname.name}", dir=fname.parent
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
