"""Atomic file writes: write beside the destination, then rename over it."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: temporary files and folders are named ``.tmp-<pid>-h<host>-...``: the pid
#: of the process writing them, on the host of that tag (a dataset on a shared
#: file system is written from several nodes), tells an orphan (its writer is
#: gone) from a live write
_TEMPORARY = re.compile(r"^\.tmp-(\d+)-")
_ORPHAN = re.compile(r"^\.tmp-(\d+)-h([0-9a-f]{8})-")


def _host_tag() -> str:
    """Return this host's tag in temporary names (a host name holds any character)."""
    return hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def temporary_prefix() -> str:
    """Prefix of this process' temporary files and folders (``.tmp-<pid>-h<host>-``)."""
    return f".tmp-{os.getpid()}-h{_host_tag()}-"


def is_temporary(name: str) -> bool:
    """Whether a file name is a temporary's (``.tmp-<pid>-...``), never an output."""
    return _TEMPORARY.match(name) is not None


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
    same naming) leaves ``.tmp-<pid>-h<host>-...`` behind; it is never an
    output (readers look for exact names) but it is a partial file. Only the
    temporaries of this host are looked at: whether a process of another node
    still runs cannot be known here, and other runs (array tasks, a review)
    may be writing beside this one.

    Returns
    -------
    removed : list of Path
        What was removed.
    """
    removed = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            match = _ORPHAN.match(name)
            if (
                match is None
                or match.group(2) != _host_tag()
                or _running(int(match.group(1)))
            ):
                continue
            path = Path(dirpath) / name
            if name in dirnames:
                dirnames.remove(name)
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class NoSpaceError(OSError):
    """A write found its file system full (``errno`` is ``ENOSPC``)."""


def no_space_error(
    error: OSError, fname: Path, written: int, needed: int | None = None
) -> NoSpaceError:
    """Return the error to raise when writing ``fname`` found its disk full.

    Parameters
    ----------
    error : OSError
        The ``ENOSPC`` error raised by the write.
    fname : Path
        The file being written.
    written : int
        Bytes of it on disk when the space ran out.
    needed : int | None
        Bytes the whole file needs at least, when known.

    Returns
    -------
    error : NoSpaceError
        With ``errno`` ``ENOSPC``, saying which folder is full, what the write
        needed, how much is free there (:func:`shutil.disk_usage`) and the fix.
    """
    folder = fname.parent
    try:
        free = f"{shutil.disk_usage(folder).free} bytes are free there"
    except OSError:
        free = "its free space cannot be read"
    need = (
        f"needs at least {needed} bytes ({written} written when the space ran out)"
        if needed is not None
        else f"needs more than the {written} bytes written when the space ran out"
    )
    new = NoSpaceError(
        f"No space left on the file system of {folder}: writing {fname.name} "
        f"{need}, {free}. Nothing "
        f"was replaced: {fname.name} is as it was. Free space on that file system "
        "(or move the folder to a larger one) and write again; a bids or apply "
        "run redoes only the recordings it had not finished."
    )
    new.errno = errno.ENOSPC  # not strerror: str(new) stays the message
    return new


def _size(path: Path) -> int:
    """Bytes under ``path`` (a file, or a folder's files); 0 if it is gone."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextmanager
def atomic_path(fname: str | os.PathLike, *, size: int | None = None) -> Iterator[Path]:
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
    size : int | None
        The bytes about to be written, if known, for the message when the
        disk is full.

    Yields
    ------
    tmp : Path
        Where to write.

    Raises
    ------
    OSError
        Of the original type, saying ``Cannot write <fname>``, if the folder
        cannot be created or written to; when its file system is full
        (``ENOSPC``, raised by the block too), an `OSError` from
        `no_space_error` (the folder, the bytes needed and free, the fix).
    """
    fname = Path(fname)
    try:
        fname.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=temporary_prefix(), suffix=f"-{fname.name}", dir=fname.parent
        )
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise no_space_error(error, fname, 0, size) from error
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
    except OSError as error:
        if error.errno != errno.ENOSPC or isinstance(error, NoSpaceError):
            raise
        written = _size(tmp)
        tmp.unlink(missing_ok=True)  # before the free space is read
        raise no_space_error(error, fname, written, size) from error
    finally:
        tmp.unlink(missing_ok=True)
    # persist the rename itself (POSIX only; Windows cannot open folders)
    with contextlib.suppress(OSError):
        dir_fd = os.open(fname.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextmanager
def temporary_folder(
    fname: str | os.PathLike, *, size: int | None = None
) -> Iterator[Path]:
    """Yield a new temporary folder (``.tmp-<pid>-...``) beside ``fname``.

    For a writer that produces ``fname`` as several files (MNE's split FIF
    files), then moved into place one by one with `atomic_path`. The folder
    is removed afterwards; an ``ENOSPC`` raised in the block becomes the
    error of `no_space_error` for ``fname`` (``size``: the bytes it needs at
    least, if known).
    """
    fname = Path(fname)
    fname.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmpdir = Path(tempfile.mkdtemp(prefix=temporary_prefix(), dir=fname.parent))
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise no_space_error(error, fname, 0, size) from error
        raise
    try:
        yield tmpdir
    except OSError as error:
        if error.errno != errno.ENOSPC or isinstance(error, NoSpaceError):
            raise
        written = _size(tmpdir)
        shutil.rmtree(tmpdir, ignore_errors=True)  # before the free space is read
        raise no_space_error(error, fname, written, size) from error
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def write_text_atomic(fname: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) atomically, see `atomic_path`."""
    data = text.encode("utf-8")
    with atomic_path(fname, size=len(data)) as tmp:
        tmp.write_bytes(data)


def read_json_object(fname: str | os.PathLike, fix: str = "fix or delete it") -> dict:
    """Return the JSON object a file holds, ``{}`` if there is no such file.

    Parameters
    ----------
    fname : path-like
        The JSON file (UTF-8, with or without a byte-order mark).
    fix : str
        What the person should do, appended to the error message.

    Returns
    -------
    content : dict
        The object.

    Raises
    ------
    ValueError
        If the file is not valid JSON, or holds something else than an object; the
        message names the file and ``fix``.
    """
    path = Path(fname)
    if not path.is_file():
        return {}
    try:
        content = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"The sidecar {path} is not valid JSON ({error}); {fix}."
        ) from None
    if not isinstance(content, dict):
        raise ValueError(
            f"The sidecar {path} must hold a JSON object, got "
            f"{type(content).__name__}; {fix}."
        )
    return content


def _default_mode() -> int:
    """Permissions of a new file: 0o666 minus the process' umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
