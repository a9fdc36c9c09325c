"""What a web front end needs of a review, over the review model.

Every rule lives in :mod:`mne_icalabel.review`, shared with the Qt windows:
which key means what, how a label changes ``ica.labels_``, the ``x`` marks
after a label, automatic labelling (:class:`~mne_icalabel.review.ComponentsReview`),
the manual rows, saving through the store, read-only while a ``bids`` run
rewrites a recording, the SHA-256 guard (:class:`~mne_icalabel.review.DatasetReview`
over a :class:`~mne_icalabel.review.ReviewQueue`). Here, only what a page adds:

- :class:`PageState`: a :class:`~mne_icalabel.review.ComponentsReview` as the
  JSON the page draws (:meth:`~PageState.to_dict`), a version that changes
  with it, and what a key press did (:meth:`~PageState.press`), so that the
  page can say why a label key changed nothing.
- :class:`RecordingSession`: one (inst, ica) pair, saved with the labelling
  window's writers.
- :class:`WebDataset` and its per-tab :class:`DatasetSession`: one queue and
  the recordings prepared in a thread pool (shared by the tabs); each tab has
  its own :class:`~mne_icalabel.review.DatasetReview` of that queue and its
  own copy of the recording it shows, so that two tabs never write over each
  other without the guard asking first.

What the API, the server and the widget use: ``kind``, ``lock``, ``state``
(a :class:`PageState`), ``to_dict()``, ``poll()``, ``save(force)``,
``data()``; one recording adds ``data_future``, ``saved_files``; a dataset
tab adds ``loaded``, ``show(index, discard)``, ``step_recording(step,
discard)``, ``wait()``.
"""

from __future__ import annotations

import copy
import string
import threading
from collections import OrderedDict
from concurrent.futures import CancelledError, Executor, Future
from pathlib import Path

import numpy as np

from ..review import (
    ComponentsReview,
    DatasetReview,
    LoadedRecording,
    ReviewQueue,
    TSVChangedError,
    UnsavedDecisionsError,
    key_intent,
)
from ..review._plot_data import ICAPlotData, compute_plot_data
from ..review._prepared import Prepared
from ..review._prepared import prepare_recording_plots as _prepare
from ..review._saving import default_author, save_ica_atomic, write_tsv_atomic

#: recordings prepared and kept per dataset: the shown, the next, the previous
_CACHE_SIZE = 4
#: times a tab asks again for a recording whose preparation was cancelled
_ASK_AGAIN = 3
#: the names a browser gives the keys the page forwards (``KeyboardEvent.key``)
_BROWSER_KEYS = (
    *string.ascii_letters,
    *string.digits,
    *("ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp", "Backspace", "Delete"),
)


class PageState:
    """A :class:`~mne_icalabel.review.ComponentsReview` as a page draws it.

    Any attribute not defined here is the review's (its state and intents:
    ``select``, ``step``, ``set_label``, ``set_auto_advance``,
    ``label_automatically``, ``labels``, ``manual_marks``, ...).

    Parameters
    ----------
    review : ComponentsReview
        The labelling state.
    """

    def __init__(self, review: ComponentsReview) -> None:
        self.review = review
        self.version = 0  # the page redraws when it changes
        # the keys that move in the list, which the page applies at once
        intents = {key: key_intent(key, review.class_names) for key in _BROWSER_KEYS}
        self.step_keys = {
            key: intent[1]
            for key, intent in intents.items()
            if intent is not None and intent[0] == "step"
        }
        review.subscribe(self._changed)

    def __getattr__(self, name: str):
        if name == "review":  # not set yet (copy, pickle)
            raise AttributeError(name)
        return getattr(self.review, name)

    def _changed(self, _event) -> None:
        self.version += 1

    @property
    def current(self) -> int:
        """The component selected."""
        return self.review.selected

    def press(self, key: str) -> str:
        """Give a key to the review; return what it asked for.

        Returns
        -------
        action : str
            The review's intent of the key (``"label"``, ``"reset"``,
            ``"step"``, ``"auto_advance"``), ``"read-only"`` for a label key
            the review refused to apply, ``""`` for a key that means nothing.
        """
        intent = key_intent(key, self.review.class_names)
        self.review.press(key)
        if intent is None:
            return ""
        if intent[0] in ("label", "reset") and self.review.read_only is not None:
            return "read-only"
        return intent[0]

    def to_dict(self) -> dict:
        """Return the state the page draws: JSON-able, one list per component."""
        snap = self.review.snapshot()
        n = snap["n_components"]
        labels, manual, excluded = snap["labels"], snap["manual"], snap["excluded"]
        return dict(
            version=self.version,
            n_components=n,
            classes=[
                dict(
                    name=name,
                    key=snap["label_map"][name],
                    digit=str(i + 1),
                    letter=letter,
                )
                for i, (name, letter) in enumerate(
                    zip(snap["class_names"], snap["class_letters"], strict=True)
                )
            ],
            labels=[labels.get(k) for k in range(n)],
            manual=[k in manual for k in range(n)],
            excluded=[k in excluded for k in range(n)],
            order=snap["order"],
            current=snap["selected"],
            auto_advance=snap["auto_advance"],
            step_keys=self.step_keys,
            read_only=snap["read_only"],
            modified=snap["modified"],
            scores=[
                dict(
                    title=title,
                    classes=scores["classes"],
                    proba=np.round(scores["values"], 4).tolist(),
                )
                for title, scores in snap["scores"].items()
            ],
        )


class RecordingSession:
    """One (inst, ica) pair reviewed in a browser or a notebook.

    Parameters
    ----------
    inst, ica, scores
        As :func:`mne_icalabel.gui.label_ica_components`.
    executor : Executor
        Where the plots' arrays are computed (started at once).
    tsv_fname, ica_fname : path-like | None
        Where :meth:`save` writes the components TSV and the ICA (None: not
        written); the only files this session writes.
    author : str | None
        The annotator (None: :func:`~mne_icalabel.review._saving.default_author`).
    """

    kind = "recording"

    def __init__(
        self,
        inst,
        ica,
        *,
        executor: Executor,
        scores=None,
        tsv_fname=None,
        ica_fname=None,
        author: str | None = None,
    ) -> None:
        self.state = PageState(ComponentsReview(inst, ica, scores=scores))
        self.tsv_fname = None if tsv_fname is None else Path(tsv_fname)
        self.ica_fname = None if ica_fname is None else Path(ica_fname)
        self.author = author if author is not None else default_author()
        self.saved_files: list[Path] = []
        self.message = ""
        self.lock = threading.RLock()
        self._data = executor.submit(compute_plot_data, inst, ica)

    def data(self) -> ICAPlotData:
        """Return the plots' arrays (waits until computed)."""
        return self._data.result()

    @property
    def data_future(self) -> Future:
        """The future of :meth:`data`."""
        return self._data

    def poll(self) -> None:
        """Nothing to follow on disk for one recording."""

    def save(self, force: bool = False) -> list[Path]:
        """Write the TSV and the ICA, as the labelling window's Save does."""
        written = []
        review = self.state.review
        if self.tsv_fname is not None:
            marks = review.manual_marks()
            written.append(
                write_tsv_atomic(review.ica, self.tsv_fname, marks, self.author)
            )
        if self.ica_fname is not None:
            written.append(save_ica_atomic(review.ica, self.ica_fname))
        if not written:
            raise RuntimeError(
                "Nothing to save to: no TSV or ICA file was given (the labels "
                "are in ica.labels_)."
            )
        self.saved_files = written
        review.mark_saved()
        self.message = "Saved " + ", ".join(p.name for p in written)
        return written

    def to_dict(self) -> dict:
        """Return the front end's state."""
        review = self.state.review
        return dict(
            mode="recording",
            title="ICA Component Labeler",
            can_save=self.tsv_fname is not None or self.ica_fname is not None,
            message=self.message,
            recording=dict(
                key=None if self.ica_fname is None else self.ica_fname.name,
                header="",
            ),
            can_label_automatically=not (review.has_scores or review.other_scores),
            **self.state.to_dict(),
        )


class WebDataset:
    """A labelled BIDS dataset served to any number of tabs.

    The :class:`~mne_icalabel.review.ReviewQueue` and the recordings prepared
    (the arrays do not depend on the labels) are shared; each tab has a
    :class:`DatasetSession`.

    Parameters
    ----------
    bids_root, subjects, sessions, tasks, runs, datatype
        As :func:`mne_icalabel.gui.review_bids_dataset`.
    executor : Executor
        Where recordings are prepared.
    author : str | None
        The reviewer (None: :func:`~mne_icalabel.review._saving.default_author`).
    """

    kind = "dataset"

    def __init__(
        self,
        bids_root,
        *,
        executor: Executor,
        subjects=None,
        sessions=None,
        tasks=None,
        runs=None,
        datatype: str = "eeg",
        author: str | None = None,
    ) -> None:
        self.queue = ReviewQueue(
            bids_root,
            subjects=subjects,
            sessions=sessions,
            tasks=tasks,
            runs=runs,
            datatype=datatype,
        )
        self.author = author if author is not None else default_author()
        self.executor = executor
        self.lock = threading.RLock()  # the queue's entries, the cache
        self._cache: OrderedDict[int, Future] = OrderedDict()
        #: the review order, the same in every tab
        self.recording_rows = self.queue.recording_order()
        self.prefetch(self.recording_rows[0])

    def prefetch(self, index: int) -> Future:
        """Start preparing a recording (the headers here, the data in the pool)."""
        with self.lock:
            job = self._cache.get(index)
            if job is not None and not job.cancelled():
                self._cache.move_to_end(index)
                return job
            try:
                loaded = self.queue.read(index)
            except Exception as error:
                job = Future()
                job.set_exception(error)
            else:
                job = self.executor.submit(_prepare, self.queue, loaded)
            self._cache[index] = job
            # dropped, not cancelled: another tab may be waiting for it
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return job

    def prepared(self, index: int) -> Prepared:
        """Wait for a recording prepared; ask again if it was cancelled meanwhile.

        Raises
        ------
        Exception
            What preparing it raised.
        """
        for _ in range(_ASK_AGAIN):
            try:
                return self.prefetch(index).result()
            except CancelledError:  # not a failure: a new job is started
                continue
        raise RuntimeError(f"preparing it was cancelled {_ASK_AGAIN} times.")

    def forget(self, index: int) -> None:
        """Drop a prepared recording (read again when asked for).

        A tab waiting for it still gets it: the job is dropped, not cancelled.
        """
        with self.lock:
            self._cache.pop(index, None)

    def new_session(self) -> DatasetSession:
        """Open a new tab."""
        return DatasetSession(self)


class DatasetSession:
    """One tab of a dataset review: a :class:`~mne_icalabel.review.DatasetReview`.

    The tab's review shows its own copy of a recording's ICA, with the
    fingerprints of the files when it was read: saving checks them, so a
    tab never writes over another's decisions without asking.
    """

    kind = "dataset"

    def __init__(self, dataset: WebDataset) -> None:
        self.shared = dataset
        self.queue = dataset.queue
        self.dataset = DatasetReview.of_queue(
            dataset.queue, author=dataset.author, recording_rows=dataset.recording_rows
        )
        self.lock = threading.RLock()
        self.state: PageState | None = None
        self._data: ICAPlotData | None = None
        self.loading = -1
        self.message = ""
        self.version = 0
        with dataset.lock:
            self.dataset.poll_rewriting()
        self.show(self.dataset.recording_rows[0])

    @property
    def loaded(self) -> LoadedRecording | None:
        """The recording shown (None: none yet)."""
        return self.dataset.loaded

    # ------------------------------------------------------------ intents
    def show(self, index: int, discard: bool = False) -> None:
        """Ask for a recording; it is shown once prepared (:meth:`wait`).

        Asking for the recording shown keeps it as it is (its unsaved
        decisions too), unless ``discard``.

        Raises
        ------
        UnsavedDecisionsError
            If another recording is asked for, the one shown has unsaved
            decisions and ``discard`` is False.
        """
        index = int(index)
        if not 0 <= index < len(self.queue.entries):
            raise ValueError(
                f"recording must be between 0 and {len(self.queue.entries) - 1}, "
                f"got {index}."
            )
        if index == self.dataset.current_index:
            if discard and self.dataset.modified:  # its ICA holds them: again
                self.dataset.discard()
                self._install(self.shared.prepared(index))
            self.loading = -1
            return
        if self.dataset.modified and not discard:
            raise UnsavedDecisionsError(
                f"{self.loaded.entry.key} has decisions that are not saved: save "
                "them, or discard them."
            )
        # another recording: its review replaces this one once it is read (if
        # it cannot be read, this one stays, its decisions still unsaved)
        self.loading = index
        self.shared.prefetch(index)
        self.version += 1

    def step_recording(self, step: int, discard: bool = False) -> None:
        """Ask for the next (1) or previous (-1) recording of the review order."""
        base = self.loading if self.loading >= 0 else self.dataset.current_index
        index = self.dataset.neighbour(base, int(step))
        if index is None:
            self.message = "This is the last recording." if step > 0 else "First."
            self.version += 1
            return
        self.show(index, discard=discard)

    def wait(self) -> None:
        """Wait until the recording asked for is prepared; show it."""
        index = self.loading
        if index < 0:
            return
        try:
            prepared = self.shared.prepared(index)
        except Exception as error:
            with self.lock:
                self.shared.forget(index)
                if self.loading == index:
                    self.loading = -1
                    key = self.queue.entries[index].key
                    self.message = f"Could not load {key}: {error}"
                    self.version += 1
            return
        with self.lock:
            if self.loading != index:  # another was asked for meanwhile
                return
            if self.queue.changed_on_disk(prepared.loaded):  # written since
                self.shared.forget(index)
                prepared = self.shared.prepared(index)
            self._install(prepared)

    def _install(self, prepared: Prepared) -> None:
        loaded = copy.copy(prepared.loaded)
        loaded.ica = prepared.loaded.ica.copy()  # this tab's labels only
        auto_advance = self.state is not None and self.state.auto_advance
        self.state = PageState(self.dataset.open(loaded, auto_advance=auto_advance))
        self._data, self.loading = prepared.data, -1
        self.message = ""
        self.version += 1
        for index in self.dataset.around(loaded.index)[1:]:  # while it is looked at
            self.shared.prefetch(index)

    def save(self, force: bool = False) -> None:
        """Save the decisions on the recording shown (TSV and sidecar).

        Raises
        ------
        TSVChangedError
            If the TSV or its sidecar changed on disk since this tab loaded
            it, and ``force`` is False.
        RuntimeError
            If a running ``bids`` may rewrite the recording.
        """
        self.poll()
        with self.shared.lock:
            entry = self.dataset.save(force=force)
        self.shared.forget(self.loaded.index)  # its labels changed on disk
        self.message = f"Saved {entry.recording.tsv.name}"
        self.version += 1

    def poll(self) -> None:
        """Follow a running ``bids``: read-only, shown again when it is done."""
        with self.shared.lock:
            change = self.dataset.poll_rewriting()
        if change is None:
            return
        for index in change.finished:  # read before the rewrite
            self.shared.forget(index)
        self.version += 1
        if change.reload:
            if self.dataset.modified:
                self.message = (
                    f"{self.loaded.entry.key} was rewritten; saving your "
                    "decisions will ask first."
                )
            else:
                self.loading = self.dataset.current_index
                self.wait()

    def data(self) -> ICAPlotData | None:
        """Return the plots' arrays of the recording shown."""
        return self._data

    # -------------------------------------------------------------- state
    def to_dict(self) -> dict:
        """Return the front end's state."""
        dataset, queue = self.dataset, self.queue
        recordings = []
        for index in dataset.recording_rows:
            entry = queue.entries[index]
            recordings.append(
                dict(
                    index=index,
                    name=Path(entry.key).name.rsplit("_", 1)[0],
                    key=entry.key,
                    state=entry.state,
                    n_components=entry.n_components,
                    n_excluded=entry.n_excluded,
                    n_manual=entry.n_manual,
                    rewriting=index in dataset.rewriting,
                )
            )
        out = dict(
            mode="dataset",
            title=f"ICA Review - {queue.bids_root.name}",
            can_save=True,
            message=self.message,
            recordings=recordings,
            remaining=dataset.n_remaining,
            loading=self.loading,
            run=dataset.run,
            can_label_automatically=False,
        )
        if self.loaded is None:
            return out
        entry = self.loaded.entry
        review = entry.review
        out["recording"] = dict(
            index=dataset.current_index,
            key=entry.key,
            reviewed=(
                f"reviewed by {review.get('Author', '?')} on {review.get('Date', '?')}"
                if review
                else "not reviewed"
            ),
            n_doubtful=int(entry.doubtful.sum()),
            policy=self.loaded.policy.summary(entry.methods)
            if entry.methods
            else "n/a",
            policy_recorded=entry.has_policy,
        )
        out.update(self.state.to_dict())
        out["version"] = self.version * 100000 + self.state.version
        return out


__all__ = [
    "DatasetSession",
    "PageState",
    "RecordingSession",
    "TSVChangedError",
    "UnsavedDecisionsError",
    "WebDataset",
]
