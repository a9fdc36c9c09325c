"""Claims: the recordings a run is working on, one lock file each.

A run of ``bids`` or ``apply`` claims the recordings it will write before any
work, and releases each when its row arrives. Runs on other recordings go on
beside it (an array job starts hundreds at once on one dataset); a run that
finds a recording claimed by a live run refuses that recording, naming the
run. A claim is a lock file of :mod:`._lock` (its owner as JSON, created by a
hard link, stale when its process is gone or its heartbeat stopped, taken
over under a guard) in ``<derivatives>/.claims/``, named after the recording's
key. The files all runs share (``summary.tsv``, the dataset description) are
written under a short lock, :data:`SHARED_LOCK`, that a run waits for.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote, unquote

from mne.utils import logger

from ..utils._io import is_temporary, remove_orphans
from ._lock import (
    HEARTBEAT,
    LOCK_NAME,
    DerivativesLock,
    LockHeldError,
    LockOwner,
    _link_new,
    read_owner,
    stale_reason,
    take_over,
)

CLAIMS = ".claims"
#: the short lock of the files all runs share
SHARED_LOCK = f".shared{LOCK_NAME}"
#: seconds a run waits for the short lock (a merge takes milliseconds)
SHARED_WAIT = 60.0


def claim_path(folder: Path, key: str) -> Path:
    """Return the claim file of a recording (its key, quoted, then ``LOCK_NAME``)."""
    return Path(folder) / CLAIMS / f"{quote(key, safe='')}{LOCK_NAME}"


def _key_of(path: Path) -> str:
    return unquote(path.name.removesuffix(LOCK_NAME))


def shared_files_lock(folder: Path, command: str) -> DerivativesLock:
    """Return the short lock under which a run merges the files all runs share."""
    return DerivativesLock(
        folder, command, name=SHARED_LOCK, wait=SHARED_WAIT, tidy=False
    )


def refusal(owner: LockOwner, keys: list[str], folder: Path) -> str:
    """Return the message of recordings refused because ``owner`` claims them."""
    more = f" and {len(keys) - 3} more" if len(keys) > 3 else ""
    shown = ", ".join(keys[:3]) + more
    return (
        f"Another run, {owner.describe()}, is writing {shown} in {folder}. Wait "
        "until it ends, or select other recordings; if that process is gone "
        "(killed, or its machine was switched off), remove its claim files: "
        + (
            f"{claim_path(folder, keys[0])}."
            if len(keys) == 1
            else f"those of pid {owner.pid} in {folder / CLAIMS} (one "
            f"<recording>{LOCK_NAME} per recording)."
        )
    )


def claim_files(folder: Path) -> list[Path]:
    """Return the claim files of a derivatives folder.

    Not the temporaries a claim is linked from (``.tmp-<pid>-...``): a run
    killed before the link leaves one, which is no claim (an orphan, removed
    by the next run).
    """
    claims = Path(folder) / CLAIMS
    if not claims.is_dir():
        return []
    return sorted(
        path for path in claims.glob(f"*{LOCK_NAME}") if not is_temporary(path.name)
    )


def live_claims(folder: Path, command: str | None = None) -> dict[str, LockOwner]:
    """Return the recordings claimed by live runs (of ``command``), by key."""
    found: dict[str, LockOwner] = {}
    for path in claim_files(folder):
        owner = read_owner(path)
        if owner is None or command not in (None, owner.command):
            continue
        if stale_reason(owner, path) is None:
            found[_key_of(path)] = owner
    return found


class RecordingClaims:
    """The claims of one run on recordings of a derivatives folder.

    Parameters
    ----------
    folder : Path
        The derivatives folder; created if needed.
    command : str
        The run's command (``"bids"``, ``"apply"``), shown to a refused run.
    quiet : bool
        Log the take-over of a dead run's claim instead of warning (a
        review's save, which redoes nothing of the dead run's).
    """

    def __init__(self, folder: Path, command: str, *, quiet: bool = False) -> None:
        self.folder = Path(folder)
        self.quiet = quiet
        self.owner = LockOwner.here(command)
        self.held: dict[str, Path] = {}
        self._created: list[Path] = []  # folders made here, innermost first
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def claim(self, keys) -> dict[str, LockOwner]:
        """Claim the recordings ``keys``; return those refused, with their owner.

        A claim of a dead run is taken over (with a warning).
        """
        claims = self.folder / CLAIMS
        for parent in (claims, *claims.parents):
            if parent.exists():
                break
            self._created.append(parent)
        claims.mkdir(parents=True, exist_ok=True)
        text = json.dumps(asdict(self.owner), indent=4) + "\n"
        refused: dict[str, LockOwner] = {}
        for key in keys:
            path = claim_path(self.folder, key)
            for _ in range(5):  # each retry follows a claim that went away
                try:
                    created = _link_new(path, text)
                except FileNotFoundError:
                    # another run's close() removed the empty .claims folder
                    claims.mkdir(parents=True, exist_ok=True)
                    continue
                if created:
                    with self._lock:
                        self.held[key] = path
                    break
                other = read_owner(path)
                if other is None and not path.exists():
                    continue  # released meanwhile: not a stale claim
                reason = stale_reason(other, path)
                if reason is None and other is not None:
                    refused[key] = other
                    break
                take_over(
                    path,
                    other,
                    reason or "unreadable",
                    self.owner.token,
                    quiet=self.quiet,
                )
            else:
                raise LockHeldError(
                    f"Could not claim {key}: other runs keep taking it. Wait for "
                    "them to finish."
                )
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._beat, name="mne-icalabel-claims-heartbeat", daemon=True
            )
            self._thread.start()
        return refused

    def release(self, key: str) -> None:
        """Release the claim of a finished recording (if it is still ours)."""
        with self._lock:
            path = self.held.pop(key, None)
        if path is not None and read_owner(path) == self.owner:
            path.unlink(missing_ok=True)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            with self._lock:
                paths = list(self.held.values())
            for path in paths:
                if read_owner(path) == self.owner:
                    with contextlib.suppress(OSError):
                        os.utime(path)

    def close(self) -> None:
        """Release every claim; remove what dead processes were writing."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for key in list(self.held):
            self.release(key)
        self._remove_stale()
        removed = remove_orphans(self.folder) if self.folder.is_dir() else []
        if removed:
            logger.info(
                f"Removed {len(removed)} partial file(s) of stopped processes: "
                f"{', '.join(p.name for p in removed)}"
            )
        with contextlib.suppress(OSError):
            (self.folder / CLAIMS).rmdir()  # when no other run claims anything
        for folder in self._created[1:]:  # e.g. derivatives/ of a refused run
            try:
                folder.rmdir()
            except OSError:
                break

    def _remove_stale(self) -> None:
        """Remove the claims of dead runs on recordings this run did not redo.

        A killed run leaves its claims; those on the recordings a later run
        redoes are taken over, the others (done since, or not selected) are
        removed here, so that no dead claim stays.
        """
        for path in claim_files(self.folder):
            other = read_owner(path)
            reason = stale_reason(other, path)
            if reason is not None:
                take_over(path, other, reason, self.owner.token, quiet=True)

    def __enter__(self) -> RecordingClaims:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def running_recordings(folder: Path) -> tuple[LockOwner, set[str] | None] | None:
    """Return a live ``bids`` run writing ``folder`` and the recordings it claims.

    Parameters
    ----------
    folder : Path
        The derivatives folder.

    Returns
    -------
    run : tuple | None
        The owner of the first live ``bids`` claim found and the keys of
        every recording claimed by a live ``bids`` run; None when there is
        none (``apply`` writes no components TSV).
    """
    claimed = live_claims(folder, "bids")
    if not claimed:
        return None
    return next(iter(claimed.values())), set(claimed)
