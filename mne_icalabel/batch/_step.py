"""One step over a BIDS dataset, shared by labelling (``bids``) and ``apply``.

A step checks the dataset's root, locks its derivatives folder, finds the
recordings of a :class:`Selection`, skips those already done, checks the
others before any work, prepares the machines (pre-flight), runs one
:class:`Job` per recording on local processes or a Dask cluster, and merges
its rows into ``summary.tsv``. A job never raises: :func:`run_job` turns a
failure into a row naming it, so one recording never stops the others.
"""

from __future__ import annotations

import os
import time
import traceback
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mne.utils import _check_option, _ensure_int, _validate_type, logger, use_log_level

from ..derivatives import (
    SUMMARY_NAME,
    LockHeldError,
    RecordingClaims,
    check_bids_root,
    derivatives_root,
    live_claims,
    refusal,
    shared_files_lock,
    write_summary,
)
from ..utils._docs import fill_doc
from ..utils._imports import import_optional_dependency
from ..utils._signals import exit_on_sigterm
from ._dispatch import JobRunner
from ._shard import check_shard, select_part
from ._warnings import job_warnings

if TYPE_CHECKING:
    import pandas as pd

    from ._dispatch import JobSettings


def _as_tuple(value, name: str) -> tuple[str, ...] | None:
    _validate_type(value, (str, list, tuple, None), name)
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


@fill_doc
@dataclass(frozen=True)
class Selection:
    """The recordings of a dataset a step works on.

    Parameters
    ----------
    %(selection)s
    %(datatype)s
    %(shard)s
    """

    subjects: tuple[str, ...] | None = None
    sessions: tuple[str, ...] | None = None
    tasks: tuple[str, ...] | None = None
    runs: tuple[str, ...] | None = None
    datatype: str = "eeg"
    shard: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for name in ("subjects", "sessions", "tasks", "runs"):
            object.__setattr__(self, name, _as_tuple(getattr(self, name), name))
        _check_option("datatype", self.datatype, ("eeg", "meg"))
        object.__setattr__(self, "shard", check_shard(self.shard))

    def entities(self) -> dict[str, Any]:
        """Return the keyword arguments of the finders (``find_recordings``)."""
        return dict(
            subjects=None if self.subjects is None else list(self.subjects),
            sessions=None if self.sessions is None else list(self.sessions),
            tasks=None if self.tasks is None else list(self.tasks),
            runs=None if self.runs is None else list(self.runs),
            datatype=self.datatype,
        )

    def part(self, items: list, key) -> list:
        """Return this selection's part of ``items`` (all without a shard)."""
        return select_part(items, self.shard, key)


@dataclass(frozen=True)
class Job(ABC):
    """The work on one recording, sent to a worker process."""

    key: str
    log_level: str

    @abstractmethod
    def run(self) -> dict[str, Any]:
        """Do the work; return the summary row's values (may raise)."""


def run_job(job: Job) -> dict[str, Any]:
    """Run ``job``; never raises, returns its summary row.

    The row holds the job's values, or ``status`` ``"failed"`` with the
    exception's type and first line; its warnings (first lines, once each)
    and the seconds it took.
    """
    row: dict[str, Any] = dict(recording=job.key)
    start = time.perf_counter()
    with job_warnings() as caught, use_log_level(job.log_level):
        try:
            row.update(job.run())
        except Exception as error:
            logger.debug(traceback.format_exc())
            message = str(error).strip().splitlines()[0] if str(error) else ""
            row.update(status="failed", error=f"{type(error).__name__}: {message}")
    messages = dict.fromkeys(str(w.message).splitlines()[0] for w in caught)
    row["warnings"] = " | ".join(messages)
    row["seconds"] = round(time.perf_counter() - start, 2)
    return row


class DatasetStep(ABC):
    """The skeleton of a step; a subclass says what it finds, skips and runs."""

    #: ``"label"`` or ``"apply"``: the step's rows in ``summary.tsv``
    step: str
    #: the command named by the lock
    command: str
    #: the columns of the summary
    columns: tuple[str, ...]
    #: the progress bar's text
    description: str
    #: the log line of the counts: ``{found}``, ``{todo}``, ``{done}``
    counts: str

    def __init__(self, selection: Selection, overwrite: bool) -> None:
        _validate_type(overwrite, bool, "overwrite")
        self.selection = selection
        self.overwrite = overwrite

    @abstractmethod
    def find(self, bids_root: Path) -> list:
        """Return the recordings of the selection this step can work on."""

    @abstractmethod
    def no_match(self, bids_root: Path) -> str:
        """Return the message when the selection matches no recording."""

    @abstractmethod
    def key(self, item) -> str:
        """Return the recording's key (its path relative to the root)."""

    @abstractmethod
    def done_row(self, item, deriv_root: Path) -> dict[str, Any] | None:
        """Return the row of a recording with nothing to do, else None."""

    def check(self, todo: list, deriv_root: Path) -> None:  # noqa: B027
        """Raise before any work if a recording to do must not be done."""

    @abstractmethod
    def preflight(self) -> JobSettings:
        """Check this machine (packages, weights) before any recording is read."""

    @abstractmethod
    def job(self, item, deriv_root: Path, log_level: str) -> Job:
        """Return the job of one recording."""

    def started(self, deriv_root: Path, bids_root: Path) -> None:  # noqa: B027
        """Write what the step's outputs need before the first job's."""

    def run(self, bids_root, *, n_jobs: int = 1, dask_scheduler=None) -> pd.DataFrame:
        """Run the step on a dataset; return (and write) its summary.

        The recordings to do are claimed before any work: those claimed by
        another live run are refused (rows of status ``"refused"`` naming
        it, not written to ``summary.tsv``); when all are, `LockHeldError`.
        """
        pd = import_optional_dependency("pandas")
        n_jobs = _ensure_int(n_jobs, "n_jobs")
        bids_root = check_bids_root(Path(os.fspath(bids_root)).expanduser())
        deriv_root = derivatives_root(bids_root)
        # SIGTERM (a time limit) abandons the file being written, frees claims
        with (
            exit_on_sigterm(self.command),
            RecordingClaims(deriv_root, self.command) as claims,
        ):
            items = self.find(bids_root)
            if not items:
                _refuse_if_claimed(live_claims(deriv_root), deriv_root)
                raise RuntimeError(self.no_match(bids_root))
            items = self.selection.part(items, self.key)
            if not items:  # a part of an array larger than the dataset
                return pd.DataFrame([], columns=list(self.columns))
            rows: dict[str, dict] = {}
            todo = []
            for item in items:
                done = None if self.overwrite else self.done_row(item, deriv_root)
                if done is None:
                    todo.append(item)
                else:
                    rows[self.key(item)] = done
            # before any work: what another live run writes is refused
            keys = [self.key(item) for item in todo]
            refused = _refused_rows(claims.claim(keys), len(keys), deriv_root)
            logger.info(
                self.counts.format(
                    found=len(items), todo=len(todo), done=len(items) - len(todo)
                )
            )
            todo = [item for item in todo if self.key(item) not in refused]
            if not self.overwrite:
                # a run that finished one of them between the look above and
                # the claim: it is done, not redone
                for item in list(todo):
                    done = self.done_row(item, deriv_root)
                    if done is not None:
                        todo.remove(item)
                        rows[self.key(item)] = done
                        claims.release(self.key(item))
            self.check(todo, deriv_root)
            if todo:
                runner = JobRunner(
                    self.preflight(),
                    n_jobs=n_jobs,
                    dask_scheduler=dask_scheduler,
                    n_tasks=len(todo),
                )
                with runner:
                    with shared_files_lock(deriv_root, self.command):
                        self.started(deriv_root, bids_root)
                    level = "DEBUG" if logger.level <= 10 else "WARNING"
                    jobs = [(self.job(item, deriv_root, level),) for item in todo]
                    keys = [job.key for (job,) in jobs]

                    def finished(row: dict) -> None:
                        # its row is here: another run (or the review) may
                        # take the recording now, not when the last job ends
                        rows[row["recording"]] = row
                        claims.release(row["recording"])

                    runner.run(run_job, jobs, keys, self.description, finished)
            else:
                with shared_files_lock(deriv_root, self.command):
                    self.started(deriv_root, bids_root)
            ordered = [rows[key] for key in sorted(rows)]
            summary = deriv_root / SUMMARY_NAME
            with shared_files_lock(deriv_root, self.command):
                write_summary(ordered, summary, self.columns, step=self.step)
            n_failed = sum(row["status"] == "failed" for row in ordered)
            if n_failed:
                logger.info(f"{n_failed} recording(s) failed; see {summary}")
            rows.update(refused)
            ordered = [rows[key] for key in sorted(rows)]
            return pd.DataFrame(ordered, columns=list(self.columns))


def _refuse_if_claimed(claimed: dict, deriv_root: Path) -> None:
    """Raise `LockHeldError` naming the live runs of ``claimed``, if any.

    A selection with nothing to do while another run writes the dataset
    (e.g. ``apply`` while ``bids`` labels its first recordings) is refused as
    the run would be, naming it.
    """
    by_owner: dict = {}
    for key, owner in claimed.items():
        by_owner.setdefault(owner, []).append(key)
    if by_owner:
        raise LockHeldError(
            " ".join(refusal(o, keys, deriv_root) for o, keys in by_owner.items())
        )


def _refused_rows(refused: dict, n_todo: int, deriv_root: Path) -> dict[str, dict]:
    """Return the rows of the recordings refused; raise when all were.

    ``refused`` maps each recording claimed by another live run to its owner.
    """
    if not refused:
        return {}
    by_owner: dict = {}
    for key, owner in refused.items():
        by_owner.setdefault(owner, []).append(key)
    messages = {
        key: refusal(owner, keys, deriv_root)
        for owner, keys in by_owner.items()
        for key in keys
    }
    text = " ".join(dict.fromkeys(messages.values()))
    if len(refused) == n_todo:
        raise LockHeldError(text)
    logger.warning(text)
    return {
        key: dict(recording=key, status="refused", error=message)
        for key, message in messages.items()
    }
