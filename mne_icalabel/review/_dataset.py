"""The review of a labelled BIDS dataset: the queue, the recording shown, the guards.

No Qt here. A :class:`DatasetReview` holds the :class:`~._queue.ReviewQueue`
(the recordings, their state, the doubtful-first order), the recording shown
as a :class:`~._recording.ComponentsReview`, and what a running
``mne-icalabel bids`` may rewrite: such a recording is read-only, and its save
refused naming the run. Reading the recordings (slow) is the front end's:
:meth:`ReviewQueue.read` and :meth:`ReviewQueue.prepare`, possibly in a
worker, then :meth:`DatasetReview.open`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mne.utils import _validate_type, logger

from ..utils._docs import fill_doc
from ._events import Observable
from ._queue import LoadedRecording, RecordingEntry, ReviewQueue
from ._recording import ComponentsReview


class UnsavedDecisionsError(RuntimeError):
    """The recording shown has decisions not saved: save or discard them first."""


@dataclass(frozen=True)
class RewritingChange:
    """What :meth:`DatasetReview.poll_rewriting` found changed.

    Attributes
    ----------
    finished : frozenset of int
        The entries the run is done with (read again).
    changed : frozenset of int
        The entries that became or stopped being rewritten.
    reload : bool
        Whether the recording shown was rewritten on disk: show it again
        (unless it has unsaved decisions, which a save then guards).
    """

    finished: frozenset[int]
    changed: frozenset[int]
    reload: bool


@fill_doc
class DatasetReview(Observable):
    """The review of the labelled recordings of a BIDS dataset.

    Parameters
    ----------
    %(bids_root_labelled)s
    author : str
        The reviewer, written with the decisions.
    **selection
        The recordings reviewed: ``subjects``, ``sessions``, ``tasks``,
        ``runs`` and ``datatype`` of :class:`ReviewQueue`.

    Attributes
    ----------
    queue : ReviewQueue
        The recordings.
    author : str
        The reviewer.
    recording_rows : list of int
        The entry index of each recording, in review order (not reviewed
        first, most doubtful first).
    loaded : LoadedRecording | None
        The recording shown.
    review : ComponentsReview | None
        Its labelling state.
    run : str
        The running ``mne-icalabel bids`` (empty: none).
    rewriting : frozenset of int
        The entries it may rewrite.
    """

    def __init__(
        self,
        bids_root,
        *,
        author: str = "n/a",
        **selection,
    ) -> None:
        queue = ReviewQueue(bids_root, **selection)
        self._setup(queue, author)

    @classmethod
    def of_queue(
        cls, queue: ReviewQueue, *, author: str = "n/a", recording_rows=None
    ) -> DatasetReview:
        """Review the recordings of a queue read before, shared with other reviews.

        Each review has its own recording shown, labels and run state; the
        queue's entries (read again after a save or a run) are common, e.g.
        to the tabs of a browser.

        Parameters
        ----------
        queue : ReviewQueue
            The recordings.
        author : str
            The reviewer, written with the decisions.
        recording_rows : list of int | None
            The review order (see :attr:`recording_rows`), e.g. that of the
            first review of the queue, so that every tab lists the recordings
            alike; None: the queue's order now.

        Returns
        -------
        review : DatasetReview
            A review of ``queue``.
        """
        _validate_type(queue, ReviewQueue, "queue", "ReviewQueue")
        if recording_rows is not None:
            recording_rows = [int(i) for i in recording_rows]
            if sorted(recording_rows) != list(range(len(queue.entries))):
                raise ValueError(
                    "recording_rows must be a permutation of the queue's "
                    f"{len(queue.entries)} entries, got {recording_rows}."
                )
        review = cls.__new__(cls)
        review._setup(queue, author, recording_rows)
        return review

    def _setup(self, queue: ReviewQueue, author: str, recording_rows=None) -> None:
        self.queue = queue
        self.author = author
        self.recording_rows: list[int] = (
            queue.recording_order() if recording_rows is None else recording_rows
        )
        self.loaded: LoadedRecording | None = None
        self.review: ComponentsReview | None = None
        self.run = ""
        self.rewriting: frozenset[int] = frozenset()
        super().__init__()

    # ---------------------------------------------------------------- state
    @property
    def current_index(self) -> int:
        """Entry index of the recording shown (-1: none)."""
        return -1 if self.loaded is None else self.loaded.index

    def row_of(self, index: int) -> int:
        """Return the row of an entry in :attr:`recording_rows` (-1 for -1)."""
        return self.recording_rows.index(index) if index >= 0 else -1

    def neighbour(self, index: int, step: int) -> int | None:
        """Return the entry ``step`` rows from ``index`` (None: beyond the list)."""
        row = self.row_of(index) + step
        return self.recording_rows[row] if 0 <= row < len(self.recording_rows) else None

    def around(self, index: int) -> list[int]:
        """Return ``index`` and its next and previous entries (to keep read)."""
        steps = (index, self.neighbour(index, 1), self.neighbour(index, -1))
        return [i for i in steps if i is not None]

    @property
    def modified(self) -> bool:
        """Whether the recording shown has decisions not saved yet."""
        return self.review is not None and self.review.modified

    @property
    def n_remaining(self) -> int:
        """Doubtful components of the recordings not reviewed yet."""
        return self.queue.n_remaining

    def read_only_reason(self, index: int) -> str | None:
        """Why an entry cannot be changed now (None: it can)."""
        if index not in self.rewriting:
            return None
        key = self.queue.entries[index].key
        return f"{key} is being rewritten by {self.run}: read-only until it is done."

    # -------------------------------------------------------------- intents
    def open(self, loaded: LoadedRecording, *, auto_advance: bool = False):
        """Show a recording read by the queue; return its labelling state.

        Its components are listed most doubtful first, those the TSV's
        ``status`` excludes marked; a label of a class the recorded policy
        does not keep excludes the component, one it keeps does not.

        Parameters
        ----------
        loaded : LoadedRecording
            The recording, prepared (:meth:`ReviewQueue.load`).
        auto_advance : bool
            See :class:`ComponentsReview`.

        Returns
        -------
        review : ComponentsReview
            The recording's state, also :attr:`review`.
        """
        review = ComponentsReview(
            loaded.inst,
            loaded.ica,
            scores=loaded.probabilities,
            excluded=loaded.excluded,
            order=loaded.order,
            kept=loaded.kept,  # the rule a save writes the status with
            auto_advance=auto_advance,
        )
        review.set_read_only(self.read_only_reason(loaded.index))
        self.loaded, self.review = loaded, review
        self._notify("recording", loaded.index)
        return review

    def save(self, *, force: bool = False) -> RecordingEntry:
        """Save the decisions on the recording shown (TSV and sidecar).

        Parameters
        ----------
        force : bool
            Write even if the TSV changed on disk since it was loaded.

        Returns
        -------
        entry : RecordingEntry
            The recording's entry, read back.

        Raises
        ------
        TSVChangedError
            If the TSV or its sidecar changed on disk and ``force`` is False.
        RuntimeError
            If nothing is shown, or a running ``mne-icalabel bids`` may
            rewrite the recording (the message names the run).
        """
        if self.review is None:
            raise RuntimeError("Not saved: no recording is shown.")
        if self.review.read_only is not None:
            raise RuntimeError(f"Not saved: {self.review.read_only}")
        entry = self.queue.save(
            self.loaded, self.review.manual_marks(), self.author, force=force
        )
        self.review.mark_saved()
        self._notify("entry", self.loaded.index)
        return entry

    def discard(self) -> None:
        """Undo the unsaved decisions on the recording shown.

        Its labels, probabilities and exclusions go back to those loaded (or
        saved last), in its ICA too, and no decision is left for a later save
        (:meth:`ComponentsReview.revert`).
        """
        if self.review is not None:
            self.review.revert()

    def poll_rewriting(self) -> RewritingChange | None:
        """Follow a running ``bids``: its recordings read-only, read again when done.

        Reads the run state (:meth:`ReviewQueue.rewriting`: two small files).
        The entries the run is done with are read again; the recording shown
        becomes read-only while the run may rewrite it.

        Returns
        -------
        change : RewritingChange | None
            None if nothing changed (or the run state could not be read).
        """
        try:
            run, rewriting = self.queue.rewriting()
        except Exception as error:  # never stops the review
            logger.info(f"Could not read the run state: {error}")
            return None
        if (run, rewriting) == (self.run, self.rewriting):
            return None
        finished = self.rewriting - rewriting
        changed = self.rewriting ^ rewriting
        self.run, self.rewriting = run, rewriting
        for index in finished:
            self.queue.refresh(index)
        current = self.current_index
        reload = False
        if current >= 0:
            self.review.set_read_only(self.read_only_reason(current))
            reload = current in finished and bool(
                self.queue.changed_on_disk(self.loaded)
            )
        self._notify("rewriting")
        return RewritingChange(frozenset(finished), frozenset(changed), reload)
