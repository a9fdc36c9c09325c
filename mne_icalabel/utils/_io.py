"""Atomic file writes: write beside the destination, then rename over it."""

from __future__ import annotations

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
    naming conventions accept it. If the block raises, the temporary file is
    removed and ``fname`` is left as it was; :func:`os.replace` is atomic on
    one file system, so readers see the old or the new file, never a part.

    Parameters
    ----------
    fname : path-like
        The destination. Its folder is created if needed.

    Yields
    ------
    tmp : Path
        Where to write.
    """
    fname = Path(fname)
    fname.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=".tmp-", suffix=f"-{fname.name}", dir=fname.parent
    )
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, fname)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(fname: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``fname`` atomically, see :func:`atomic_path`."""
    with atomic_path(fname) as tmp:
        tmp.write_text(text, encoding="utf-8")
