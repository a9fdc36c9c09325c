"""A lock file that names its owner: the primitive of claims and short locks.

A lock file holds its owner as JSON (pid, host, start time, command, the
process' creation time and a random token). ``bids`` and ``apply`` hold one
per recording they write (a claim, :mod:`._claims`) and one, briefly, while
they merge the files all runs share.

The lock is created NFS-safely: the content is written to a file of a unique
name, which is then hard-linked to the lock's name (``link`` is atomic on NFS,
where ``O_EXCL`` was not before NFSv3); the link succeeded if the unique file
then has two links, and the lock's content is read back to confirm the token.

A lock is stale, and taken over with a warning, when its owner is gone: on
this host, its pid is not running, or runs another process (a creation time
other than the recorded one); on another host, whose processes cannot be
seen, when its heartbeat is old: the owner touches the lock every
``HEARTBEAT`` seconds (30 s) and a lock untouched for ``STALE_AFTER`` seconds
(10 min) is stale. Taking over happens under a guard file, created like the lock, so
that of two runs that see it stale only one removes it, and never a live one.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import random
import secrets
import socket
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mne.utils import logger, warn

from ..utils._io import no_space_error, remove_orphans, temporary_prefix

LOCK_NAME = ".mne-icalabel.lock"
#: seconds between two touches of a held lock
HEARTBEAT = 30.0
#: seconds without a touch after which a lock of another host is stale
STALE_AFTER = 600.0
#: seconds after which a take-over guard is left from a killed run (a take-over
#: takes milliseconds)
_GUARD_STALE = 10.0
#: two creation times of one process read twice differ by rounding only
_CREATE_TIME_TOLERANCE = 1.0


class LockHeldError(RuntimeError):
    """Another run holds the lock of the derivatives folder."""


@dataclass(frozen=True)
class LockOwner:
    """Who holds a lock: the content of the lock file."""

    pid: int
    host: str
    started: str
    command: str
    create_time: float | None
    token: str

    @classmethod
    def here(cls, command: str) -> LockOwner:
        """Return the owner record of this process."""
        return cls(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            ),
            command=command,
            create_time=_create_time(os.getpid()),
            token=secrets.token_hex(16),
        )

    def describe(self) -> str:
        """Return e.g. ``'mne-icalabel bids' (pid 123 on host x, started ...)``."""
        return (
            f"'mne-icalabel {self.command}' (pid {self.pid} on host {self.host}, "
            f"started {self.started})"
        )


def _create_time(pid: int) -> float | None:
    """Return when process ``pid`` was created (seconds since the epoch)."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def read_owner(path: Path) -> LockOwner | None:
    """Return the owner recorded in a lock file, None if it is gone or unreadable."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        return LockOwner(**content)
    except (OSError, ValueError, TypeError):
        return None


def stale_reason(owner: LockOwner | None, path: Path) -> str | None:
    """Return why the lock ``path`` of ``owner`` is stale, None if it is held."""
    if owner is None:
        return "its content is not a lock's"
    if owner.host == socket.gethostname():
        try:
            os.kill(owner.pid, 0)
        except ProcessLookupError:
            return f"pid {owner.pid} is not running"
        except PermissionError:
            pass  # alive, another user's
        now = _create_time(owner.pid)
        if (
            owner.create_time is not None
            and now is not None
            and abs(now - owner.create_time) > _CREATE_TIME_TOLERANCE
        ):
            return f"pid {owner.pid} is now another process"
        return None
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return "it was removed"
    if age > STALE_AFTER:
        return f"its heartbeat stopped {age / 60:.0f} min ago (host {owner.host})"
    return None


def _link_new(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` unless it exists; return whether created.

    The content is complete before the lock's name appears: it is written to a
    unique file, then hard-linked to ``path``. On NFS a ``link`` whose reply
    was lost can fail although it succeeded, hence the link count check.
    """
    # a temporary's name (.tmp-<pid>-h<host>-): what a killed run leaves is an
    # orphan
    unique = path.with_name(f"{temporary_prefix()}{secrets.token_hex(4)}-{path.name}")
    try:
        fd = os.open(unique, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fid:
            fid.write(text)
            fid.flush()
            os.fsync(fid.fileno())
        try:
            os.link(unique, path)
        except FileExistsError:
            return False
        except OSError:
            if os.stat(unique).st_nlink != 2:
                raise
        return True
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        unique.unlink(missing_ok=True)  # before the free space is read
        raise no_space_error(error, path, 0, len(text.encode("utf-8"))) from error
    finally:
        unique.unlink(missing_ok=True)


def take_over(
    path: Path, other: LockOwner | None, reason: str, token: str, *, quiet=False
) -> bool:
    """Remove the stale lock ``path`` of ``other``, unless it was replaced meanwhile.

    One run at a time takes over, under a guard file created like the lock:
    the guard's holder checks that the lock is still the stale one it read,
    and only then removes it. No one else can change the lock meanwhile (a new
    lock needs its name free, a take-over the guard), so a live lock is never
    removed. A guard older than ``_GUARD_STALE`` seconds was left by a run
    killed while taking over, and is removed. Returns whether it removed it.
    ``quiet``: say it in the log instead of a warning.
    """
    guard = path.with_name(f"{path.name}.takeover")
    if not _link_new(guard, token):
        with contextlib.suppress(OSError):
            if time.time() - guard.stat().st_mtime > _GUARD_STALE:
                guard.unlink()
        time.sleep(0.01)  # then look at the lock again
        return False
    try:
        if read_owner(path) != other:
            return False
        path.unlink(missing_ok=True)
        who = other.describe() if other is not None else "an unknown run"
        if quiet:
            logger.info(f"Removed the stale lock {path} of {who}: {reason}.")
        else:
            warn(
                f"Took over the stale lock {path} of {who}: {reason}. The "
                "recordings it had not finished are redone by this run."
            )
        return True
    finally:
        guard.unlink(missing_ok=True)


class DerivativesLock:
    """The lock of a derivatives folder, held by one run of ``bids`` or ``apply``.

    Parameters
    ----------
    folder : Path
        The derivatives folder (``<bids_root>/derivatives/mne-icalabel``);
        created if needed, removed again at release if it was created here and
        stayed empty.
    command : str
        What holds it (``"bids"``, ``"apply"``), shown to a refused run.
    name : str
        The lock file's name in ``folder``.
    wait : float
        Seconds to wait for a live lock to be released before refusing; 0
        refuses at once.
    tidy : bool
        Remove the temporaries of dead processes when the lock is taken and
        released (a run's lock); False for a short lock.
    """

    def __init__(
        self,
        folder: Path,
        command: str,
        *,
        name: str = LOCK_NAME,
        wait: float = 0.0,
        tidy: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self.path = self.folder / name
        self.wait = wait
        self.tidy = tidy
        self.owner = LockOwner.here(command)
        self._created: list[Path] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> DerivativesLock:
        """Take the lock, or raise `LockHeldError` naming its owner."""
        missing = []
        for parent in (self.folder, *self.folder.parents):
            if parent.exists():
                break
            missing.append(parent)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._created = missing  # innermost first
        text = json.dumps(asdict(self.owner), indent=4) + "\n"
        deadline = time.monotonic() + self.wait
        try:
            races = 0  # lost to another run (the lock went away, then came back)
            while True:
                if _link_new(self.path, text):
                    if read_owner(self.path) == self.owner:
                        break
                    continue  # pragma: no cover (another took it meanwhile)
                other = read_owner(self.path)
                if other is None and not self.path.exists():
                    reason = None  # released meanwhile: try again
                else:
                    reason = stale_reason(other, self.path)
                    if reason is None:  # held by a live run
                        if time.monotonic() >= deadline:
                            raise LockHeldError(self._refusal(other))
                        # a short lock: wait for its release (jittered, so that
                        # the runs waiting do not all try at the same moment)
                        time.sleep(0.01 + 0.02 * random.random())
                        continue
                    self._take_over(other, reason)
                races += 1
                if races >= 5 and time.monotonic() >= deadline:
                    raise LockHeldError(
                        f"Could not take the lock {self.path}: other runs keep "
                        "taking it. Wait for them to finish."
                    )
        except BaseException:
            self._remove_created()
            raise
        if self.tidy:  # what killed runs were writing
            self._remove_orphans("a run that was stopped")
        self._thread = threading.Thread(
            target=self._beat, name="mne-icalabel-lock-heartbeat", daemon=True
        )
        self._thread.start()
        logger.debug(f"Took the lock {self.path}")
        return self

    def _remove_orphans(self, whose: str) -> None:
        removed = remove_orphans(self.folder)
        if removed:
            logger.info(
                f"Removed {len(removed)} partial file(s) of {whose} while writing: "
                f"{', '.join(p.name for p in removed)}"
            )

    def _refusal(self, other: LockOwner) -> str:
        return (
            f"Another run, {other.describe()}, is writing "
            f"{self.folder}. Wait until it ends; if that process is gone "
            f"(killed, or its machine was switched off), remove {self.path}."
        )

    def _take_over(self, other: LockOwner | None, reason: str) -> None:
        take_over(self.path, other, reason, self.owner.token)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            self.touch()

    def touch(self) -> None:
        """Refresh the lock's modification time (its heartbeat), if still ours."""
        if read_owner(self.path) == self.owner:
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        """Release the lock (if it is still ours).

        Before, the temporaries of dead processes are removed, as when the
        lock is taken: those of a worker that died during this run.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.tidy and read_owner(self.path) == self.owner:
            # the jobs have ended: what a worker process that died mid-job
            # (killed, out of memory) was writing, its retry did not remove
            self._remove_orphans("a worker process that died")
        if read_owner(self.path) == self.owner:
            self.path.unlink(missing_ok=True)
        self._remove_created()
        logger.debug(f"Released the lock {self.path}")

    def _remove_created(self) -> None:
        """Remove the folders created by `acquire` that stayed empty."""
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                break

    def __enter__(self) -> DerivativesLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
