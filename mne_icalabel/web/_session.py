"""What a web front end needs of a review, over the Qt-free review pieces.

This module is the only one of :mod:`mne_icalabel.web` that knows where the
review's rules live; the API, the server and the widget see three classes:

- :class:`LabellingState`: one recording's labels (``ica.labels_`` written at
  once, as the Qt view does), the components decided here, the list order,
  the selection, auto-advance, read-only; intents :meth:`~LabellingState.select`,
  :meth:`~LabellingState.step`, :meth:`~LabellingState.set_label`,
  :meth:`~LabellingState.press` and :meth:`~LabellingState.label_automatically`;
  observers (:meth:`~LabellingState.subscribe`); :meth:`~LabellingState.to_dict`.
- :class:`RecordingSession`: one (inst, ica) pair, saved with the labelling
  window's writers (:func:`~mne_icalabel.gui._io.write_tsv_atomic`,
  :func:`~mne_icalabel.gui._io.save_ica_atomic`).
- :class:`DatasetReview` and its per-tab :class:`DatasetSession`: a
  :class:`~mne_icalabel.gui._review_queue.ReviewQueue` (order, load, save with
  the SHA-256 guard, the recordings a ``bids`` run rewrites), each tab with its
  own copy of the recording it shows, so that two tabs never write over each
  other without the guard asking first.

The plots' arrays come from :func:`~mne_icalabel.gui._data.compute_plot_data`,
computed once per recording in a thread pool, the next recording in the
review order meanwhile.

What the API, the server and the widget use, and nothing else: ``kind``,
``lock``, ``state`` (a :class:`LabellingState`: the intents above,
``to_dict``, ``modified``, ``read_only``, ``labels``), ``to_dict()``,
``poll()``, ``save(force)``, ``data()``; one recording adds
``data_future``, ``saved_files``; a dataset tab adds ``loaded``,
``show(index, discard)``, ``step_recording(step, discard)``, ``wait()``.
When the review model without Qt (``mne_icalabel/review/``) lands,
:class:`LabellingState` becomes a thin wrapper of its recording state (or is
replaced by it) and :class:`DatasetReview` takes its queue from there; the
rules written here until then (the class/key table, ``set_label``'s update
of ``ica.labels_``, the ``x`` marks after a label, automatic labelling) are
the Qt view's, copied because they live in a Qt module today.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mne import BaseEpochs
from mne.io import BaseRaw
from mne.preprocessing import ICA
from mne.utils import _check_option, _validate_type, logger

from ..annotation._classes import CLASSES, to_mne_key
from ..gui._data import ICAPlotData, compute_plot_data, is_meg_ica
from ..gui._io import default_author, save_ica_atomic, write_tsv_atomic
from ..gui._review_queue import (
    LoadedRecording,
    ReviewQueue,
    TSVChangedError,
    kept_labels,
)
from ..iclabel._config import ICA_LABELS_TO_MNE
from ..megnet._config import MEGNET_LABELS_TO_MNE as _MEGNET_LABELS
from ..utils._checks import _check_ica_channels

# The labelling window's class names, keys and letters (gui/_component_view.py
# holds the same table inside a Qt module; the review model will own it).
MEGNET_LABELS_TO_MNE = {name.title(): key for name, key in _MEGNET_LABELS.items()}
LETTERS = {
    "Brain": "B",
    "Muscle": "M",
    "Eye": "E",
    "Heart": "H",
    "Line Noise": "L",
    "Channel Noise": "C",
    "Other": "O",
    "Brain/Other": "B",
    "Eye Blink": "E",
    "Heart Beat": "H",
    "Eye Movement": "M",
}
_CLASS_KEYS = tuple(
    dict.fromkeys([*ICA_LABELS_TO_MNE.values(), *MEGNET_LABELS_TO_MNE.values()])
)
_RESET_KEYS = ("0", "Backspace", "Delete")
_NEXT_KEYS = ("n", "N", "ArrowRight", "ArrowDown")
_PREVIOUS_KEYS = ("p", "P", "ArrowLeft", "ArrowUp")
_TITLES = {"iclabel": "ICLabel", "megnet": "MEGNet"}
#: how often the run state of the derivatives folder is read at most (s)
_RUN_POLL = 1.0
#: recordings prepared and kept per dataset: the shown, the next, the previous
_CACHE_SIZE = 4


def check_recording(inst, ica) -> None:
    """Check an (inst, ica) pair before it is shown; raise a clear error."""
    _validate_type(inst, (BaseRaw, BaseEpochs), "inst", "raw or epochs")
    _validate_type(ica, ICA, "ica", "ICA")
    if ica.current_fit == "unfitted":
        raise ValueError(
            "ICA instance should be fitted. Use ica.fit(inst) before labelling "
            "its components."
        )
    _check_ica_channels(inst, ica)


def _score_sets(ica, label_map, scores, n_components) -> list[tuple]:
    """Return the probability sets shown, ``(title, names, proba)``, primary first.

    The primary set is ``ica.labels_scores_`` when it has a known shape, else the
    set of ``scores`` whose classes are the buttons'; every other set of
    ``scores`` follows (the Qt view shows the same sets).
    """
    _validate_type(scores, (dict, None), "scores")
    names_of = {7: list(ICA_LABELS_TO_MNE), 4: list(MEGNET_LABELS_TO_MNE)}
    primary = None
    proba = getattr(ica, "labels_scores_", None)
    if proba is not None:
        proba = np.asarray(proba, float)
        if proba.ndim == 2 and proba.shape == (n_components, proba.shape[1]):
            if proba.shape[1] in names_of:
                title = "ICLabel" if proba.shape[1] == 7 else "MEGNet"
                primary = (title, names_of[proba.shape[1]], proba)
    method = "megnet" if len(label_map) == 4 else "iclabel"
    if primary is None and scores and method in scores:
        proba = np.asarray(scores[method], float)
        if proba.shape == (n_components, len(label_map)):
            primary = (_TITLES[method], list(label_map), proba)
    sets = [] if primary is None else [primary]
    for name, proba in (scores or {}).items():
        if name not in CLASSES:
            raise ValueError(
                f"scores has an unknown method {name!r}; use {sorted(CLASSES)}."
            )
        proba = np.asarray(proba, float)
        if proba.shape != (n_components, len(CLASSES[name])):
            raise ValueError(
                f"scores[{name!r}] must have shape ({n_components}, "
                f"{len(CLASSES[name])}), got {proba.shape}."
            )
        if primary is not None and np.array_equal(proba, primary[2]):
            continue
        sets.append((_TITLES[name], list(CLASSES[name]), proba))
    return sets


class LabellingState:
    """The labels of one recording's components, as a reviewer changes them.

    Labelling a component writes it at once to ``ica.labels_``, replacing any
    previous class label of that component (the Qt view's rule).

    Parameters
    ----------
    inst : Raw | Epochs
        The recording.
    ica : ICA
        Its fitted ICA; ``labels_`` is changed in place.
    scores : dict | None
        Probability sets besides ``ica.labels_scores_`` (method -> array).
    excluded : list of int | None
        The components the exclusion policy removes.
    order : list of int | None
        The list order (None: natural order).
    kept : tuple of str | None
        The ``ica.labels_`` keys the policy keeps: a component labelled with
        another key is marked excluded, one with these not (None: the marks
        do not follow the labels).
    """

    def __init__(
        self, inst, ica, *, scores=None, excluded=None, order=None, kept=None
    ) -> None:
        check_recording(inst, ica)
        self.inst, self.ica = inst, ica
        self.label_map = (
            dict(MEGNET_LABELS_TO_MNE) if is_meg_ica(ica) else dict(ICA_LABELS_TO_MNE)
        )
        n = self.n_components
        self.sets = _score_sets(ica, self.label_map, scores, n)
        self.order = list(range(n)) if order is None else [int(k) for k in order]
        if sorted(self.order) != list(range(n)):
            raise ValueError(f"order must be a permutation of range({n}).")
        self.excluded = {int(k) for k in (excluded or ())}
        self.kept = kept
        if getattr(ica, "labels_", None) is None:
            ica.labels_ = {}
        for key in self.label_map.values():
            ica.labels_.setdefault(key, [])
        self.labels = self._labels_from_ica()
        self.manual: set[int] = set()
        self.modified = False
        self.current = self.order[0] if self.order else -1
        self.auto_advance = False
        self.read_only: str | None = None
        self.version = 0
        self._observers: list = []

    # ------------------------------------------------------------ queries
    @property
    def n_components(self) -> int:
        """Number of components."""
        return int(self.ica.n_components_)

    @property
    def class_names(self) -> list[str]:
        """The class names, in button order."""
        return list(self.label_map)

    def manual_marks(self) -> dict[int, str | None]:
        """Return the components labelled here, mapped to their ``ica.labels_`` key."""
        return {
            k: self.label_map[self.labels[k]] if k in self.labels else None
            for k in sorted(self.manual)
        }

    def subscribe(self, callback) -> None:
        """Call ``callback(event)`` after every change (``"labels"``, ...)."""
        self._observers.append(callback)

    def _changed(self, event: str) -> None:
        self.version += 1
        for callback in list(self._observers):
            callback(event)

    def _labels_from_ica(self) -> dict[int, str]:
        out: dict[int, str] = {}
        for name, key in self.label_map.items():
            for comp in self.ica.labels_.get(key, []):
                out.setdefault(int(comp), name)
        return out

    # ------------------------------------------------------------ intents
    def select(self, component: int) -> None:
        """Show a component."""
        component = int(component)
        if not 0 <= component < self.n_components:
            raise ValueError(
                f"component must be between 0 and {self.n_components - 1}, got "
                f"{component}."
            )
        if component != self.current:
            self.current = component
            self._changed("select")

    def step(self, step: int) -> None:
        """Move ``step`` places in the list order (clipped to its ends)."""
        row = self.order.index(self.current) + int(step)
        self.select(self.order[int(np.clip(row, 0, len(self.order) - 1))])

    def set_label(self, component: int, label: str | None) -> None:
        """Label a component (None: remove its label); refused while read-only."""
        if self.read_only is not None:
            raise RuntimeError(f"The labels cannot be changed now: {self.read_only}")
        component = int(component)
        if not 0 <= component < self.n_components:
            raise ValueError(
                f"component must be between 0 and {self.n_components - 1}, got "
                f"{component}."
            )
        if label is not None and label not in self.label_map:
            raise ValueError(
                f"label must be one of {self.class_names} or None, got {label!r}."
            )
        if self.labels.get(component) == label:
            return
        labels_ = self.ica.labels_
        for key in _CLASS_KEYS:
            if key in labels_:
                labels_[key] = [c for c in labels_[key] if int(c) != component]
        self.manual.add(component)
        if label is None:
            self.labels.pop(component, None)
            logger.info(f"ICA{component:03d}: label removed")
        else:
            self.labels[component] = label
            key = self.label_map[label]
            labels_[key] = sorted([*labels_.get(key, []), component], key=int)
            logger.info(f"ICA{component:03d}: {label} ({key})")
        if self.kept is not None:  # the review window's rule for the x marks
            key = None if label is None else self.label_map[label]
            if key is None or key in self.kept:
                self.excluded.discard(component)
            else:
                self.excluded.add(component)
        self.modified = True
        self._changed("labels")

    def press(self, key: str) -> str:
        """Act on a key of the labelling window; return what it did.

        Digits ``1``… and the letters of the classes label the selected
        component (then move on with auto-advance), ``0``, ``Backspace`` and
        ``Delete`` reset it, ``N``/``P`` and the arrows move, ``A`` toggles
        auto-advance.

        Returns
        -------
        action : str
            ``"label"``, ``"reset"``, ``"step"``, ``"auto_advance"``,
            ``"read-only"`` (a label key while read-only) or ``""`` (no key of
            the window).
        """
        _validate_type(key, str, "key")
        names = self.class_names
        index = None
        if key.isdigit() and key != "0" and int(key) <= len(names):
            index = int(key) - 1
        else:
            letters = [LETTERS[name] for name in names]
            if len(key) == 1 and key.upper() in letters:
                index = letters.index(key.upper())
        if index is not None or key in _RESET_KEYS:
            if self.read_only is not None:
                logger.info(f"Not labelled: {self.read_only}")
                return "read-only"
            if index is None:
                self.set_label(self.current, None)
                return "reset"
            self.set_label(self.current, names[index])
            if self.auto_advance:
                self.step(1)
            return "label"
        if key in _NEXT_KEYS or key in _PREVIOUS_KEYS:
            self.step(1 if key in _NEXT_KEYS else -1)
            return "step"
        if key in ("a", "A"):
            self.auto_advance = not self.auto_advance
            self._changed("auto_advance")
            return "auto_advance"
        return ""

    def set_auto_advance(self, value: bool) -> None:
        """Move to the next component after labelling, or not."""
        self.auto_advance = bool(value)
        self._changed("auto_advance")

    def set_read_only(self, reason: str | None) -> None:
        """Refuse (``reason``) or allow again (None) changes of the labels."""
        if reason != self.read_only:
            self.read_only = reason
            self._changed("read_only")

    def set_saved(self) -> None:
        """Mark the labels as saved."""
        self.modified = False
        self._changed("saved")

    def label_automatically(self, method: str | None = None) -> list[str]:
        """Run ICLabel and/or MEGNet; label the components that have no label.

        The probabilities become ``ica.labels_scores_`` (ICLabel's for an ICA
        of EEG and MEG, MEGNet's shown beside them); labels already set stay.
        Returns the networks' warnings.
        """
        import warnings

        from ..utils._picks import default_method

        if self.read_only is not None:
            raise RuntimeError(f"The labels cannot be changed now: {self.read_only}")
        if method is None:
            method, _ = default_method(self.inst, self.ica)
        _check_option("method", method, ("iclabel", "megnet", "both"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if method == "both":
                from ..batch._both import label_both

                proba, labels = label_both(self.inst, self.ica.copy())
            else:
                from ..iclabel import iclabel_label_components
                from ..megnet import megnet_label_components

                if method == "iclabel":
                    p = iclabel_label_components(self.inst, self.ica, inplace=False)
                else:
                    p = megnet_label_components(self.inst, self.ica)
                proba = {method: p}
                labels = [CLASSES[method][i] for i in np.argmax(p, axis=1)]
        primary = proba["iclabel" if "iclabel" in proba else method]
        self.ica.labels_scores_ = primary
        for k, label in enumerate(labels):
            if k not in self.labels:
                entries = self.ica.labels_.setdefault(to_mne_key(label), [])
                if k not in entries:
                    entries.append(k)
        self.labels = {**self._labels_from_ica(), **self.labels}
        others = {m: p for m, p in proba.items() if p is not primary}
        self.sets = _score_sets(self.ica, self.label_map, others, self.n_components)
        self.modified = True
        self._changed("scores")
        return [str(w.message) for w in caught]

    # -------------------------------------------------------------- state
    def to_dict(self) -> dict:
        """Return the state a front end draws: JSON-able."""
        n = self.n_components
        return dict(
            version=self.version,
            n_components=n,
            classes=[
                dict(name=name, key=key, digit=str(i + 1), letter=LETTERS[name])
                for i, (name, key) in enumerate(self.label_map.items())
            ],
            labels=[self.labels.get(k) for k in range(n)],
            manual=[k in self.manual for k in range(n)],
            excluded=[k in self.excluded for k in range(n)],
            order=list(self.order),
            current=self.current,
            auto_advance=self.auto_advance,
            read_only=self.read_only,
            modified=self.modified,
            scores=[
                dict(title=title, classes=list(names), proba=np.round(p, 4).tolist())
                for title, names, p in self.sets
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
        The annotator (None: :func:`~mne_icalabel.gui._io.default_author`).
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
        self.state = LabellingState(inst, ica, scores=scores)
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
        state = self.state
        if self.tsv_fname is not None:
            marks = state.manual_marks()
            written.append(
                write_tsv_atomic(state.ica, self.tsv_fname, marks, self.author)
            )
        if self.ica_fname is not None:
            written.append(save_ica_atomic(state.ica, self.ica_fname))
        if not written:
            raise RuntimeError(
                "Nothing to save to: no TSV or ICA file was given (the labels "
                "are in ica.labels_)."
            )
        self.saved_files = written
        state.set_saved()
        self.message = "Saved " + ", ".join(p.name for p in written)
        return written

    def to_dict(self) -> dict:
        """Return the front end's state."""
        return dict(
            mode="recording",
            title="ICA Component Labeler",
            can_save=self.tsv_fname is not None or self.ica_fname is not None,
            message=self.message,
            recording=dict(
                key=None if self.ica_fname is None else self.ica_fname.name,
                header="",
            ),
            can_label_automatically=not self.state.sets,
            **self.state.to_dict(),
        )


@dataclass
class _Prepared:
    """A recording read for review, prepared, and its plots' arrays."""

    loaded: LoadedRecording
    data: ICAPlotData


def _prepare(queue: ReviewQueue, loaded: LoadedRecording) -> _Prepared:
    loaded = queue.prepare(loaded)
    start = time.perf_counter()
    data = compute_plot_data(loaded.inst, loaded.ica)
    loaded.seconds["plots"] = time.perf_counter() - start
    return _Prepared(loaded, data)


class DatasetReview:
    """A labelled BIDS dataset served to any number of tabs.

    The :class:`~mne_icalabel.gui._review_queue.ReviewQueue`, the recordings
    prepared (shared by the tabs: the arrays do not depend on the labels) and
    the run state are shared; each tab has a :class:`DatasetSession`.

    Parameters
    ----------
    bids_root, subjects, sessions, tasks, runs, datatype
        As :func:`mne_icalabel.gui.review_bids_dataset`.
    executor : Executor
        Where recordings are prepared.
    author : str | None
        The reviewer (None: :func:`~mne_icalabel.gui._io.default_author`).
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
        self.rows = self.queue.recording_order()
        self.executor = executor
        self.lock = threading.RLock()
        self._cache: OrderedDict[int, Future] = OrderedDict()
        self._run: tuple[str, frozenset[int]] = ("", frozenset())
        self._run_read = -np.inf
        self.prefetch(self.rows[0])

    @property
    def derivatives(self) -> Path:
        """The folder the review writes into."""
        from ..batch._layout import derivatives_root

        return derivatives_root(self.queue.bids_root)

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
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)[1].cancel()
            return job

    def forget(self, index: int) -> None:
        """Drop a prepared recording (read again when asked for)."""
        with self.lock:
            job = self._cache.pop(index, None)
            if job is not None:
                job.cancel()

    def rewriting(self) -> tuple[str, frozenset[int]]:
        """Return the running ``bids`` and the recordings it may rewrite (1/s)."""
        with self.lock:
            now = time.monotonic()
            if now - self._run_read >= _RUN_POLL:
                self._run_read = now
                try:
                    run = self.queue.rewriting()
                except Exception as error:  # never stops the review
                    logger.info(f"Could not read the run state: {error}")
                    run = self._run
                for index in self._run[1] - run[1]:  # finished: read again
                    self.queue.refresh(index)
                    self.forget(index)
                self._run = run
            return self._run

    def new_session(self) -> DatasetSession:
        """Open a new tab."""
        return DatasetSession(self)


class DatasetSession:
    """One tab of a dataset review: the recording it shows and its labels.

    Each tab has its own copy of the recording's ICA and the fingerprints of
    the files when it loaded them: saving checks them
    (:meth:`ReviewQueue.save <mne_icalabel.gui._review_queue.ReviewQueue.save>`),
    so a tab never writes over another's decisions without asking.
    """

    kind = "dataset"

    def __init__(self, review: DatasetReview) -> None:
        self.review = review
        self.queue = review.queue
        self.lock = threading.RLock()
        self.loaded: LoadedRecording | None = None
        self.state: LabellingState | None = None
        self._data: ICAPlotData | None = None
        self.loading = -1
        self.message = ""
        self.version = 0
        self._kept: tuple[str, ...] = ()
        self._rewritten = False  # whether a run rewrote it at the last poll
        self.show(review.rows[0])

    # ------------------------------------------------------------ intents
    def show(self, index: int, discard: bool = False) -> None:
        """Ask for a recording; it is shown once prepared (:meth:`wait`).

        Raises
        ------
        RuntimeError
            If the recording shown has unsaved decisions and ``discard`` is False.
        """
        index = int(index)
        if not 0 <= index < len(self.queue.entries):
            raise ValueError(
                f"recording must be between 0 and {len(self.queue.entries) - 1}, "
                f"got {index}."
            )
        if self.state is not None and self.state.modified and not discard:
            raise RuntimeError(
                f"{self.loaded.entry.key} has decisions that are not saved: save "
                "them, or discard them."
            )
        if self.loaded is not None and index == self.loaded.index:
            if discard and self.state.modified:
                self._install(self.review.prefetch(index).result(), index)
            self.loading = -1
            return
        self.loading = index
        self.review.prefetch(index)
        self.version += 1

    def step_recording(self, step: int, discard: bool = False) -> None:
        """Ask for the next (1) or previous (-1) recording of the review order."""
        rows = self.review.rows
        base = self.loading if self.loading >= 0 else self.loaded.index
        row = rows.index(base) + int(step)
        if not 0 <= row < len(rows):
            self.message = "This is the last recording." if step > 0 else "First."
            self.version += 1
            return
        self.show(rows[row], discard=discard)

    def wait(self) -> None:
        """Wait until the recording asked for is prepared; show it."""
        index = self.loading
        if index < 0:
            return
        job = self.review.prefetch(index)
        try:
            prepared = job.result()
        except Exception as error:
            with self.lock:
                self.review.forget(index)
                if self.loading == index:
                    self.loading = -1
                    self.message = (
                        f"Could not load {self.queue.entries[index].key}: {error}"
                    )
                    self.version += 1
            return
        with self.lock:
            if self.loading != index:  # another was asked for meanwhile
                return
            if self.queue.changed_on_disk(prepared.loaded):  # written since
                self.review.forget(index)
                prepared = self.review.prefetch(index).result()
            self._install(prepared, index)

    def _install(self, prepared: _Prepared, index: int) -> None:
        loaded = copy.copy(prepared.loaded)
        loaded.ica = prepared.loaded.ica.copy()  # this tab's labels only
        methods = list(loaded.entry.methods)
        self._kept = kept_labels(loaded.policy, methods) if methods else ()
        self.state = LabellingState(
            loaded.inst,
            loaded.ica,
            scores=loaded.probabilities,
            excluded=loaded.excluded,
            order=loaded.order,
            kept=self._kept or None,
        )
        self.loaded, self._data, self.loading = loaded, prepared.data, -1
        self.message = ""
        self.version += 1
        self._apply_read_only()
        rows = self.review.rows
        row = rows.index(index)
        for r in (row + 1, row - 1):  # the next ones while this one is looked at
            if 0 <= r < len(rows):
                self.review.prefetch(rows[r])

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
        if self.state.read_only is not None:
            raise RuntimeError(f"Not saved: {self.state.read_only}")
        entry = self.queue.save(
            self.loaded, self.state.manual_marks(), self.review.author, force=force
        )
        self.state.set_saved()
        self.review.forget(self.loaded.index)  # its labels changed on disk
        self.message = f"Saved {entry.recording.tsv.name}"
        self.version += 1

    def poll(self) -> None:
        """Follow a running ``bids``: read-only, shown again when it is done."""
        if self.loaded is None:
            return
        _, rewriting = self.review.rewriting()
        index = self.loaded.index
        was_rewritten, self._rewritten = self._rewritten, index in rewriting
        self._apply_read_only()
        if was_rewritten and index not in rewriting:
            if self.queue.changed_on_disk(self.loaded):
                if self.state.modified:
                    self.message = (
                        f"{self.loaded.entry.key} was rewritten; saving your "
                        "decisions will ask first."
                    )
                else:
                    self.loading = index
                    self.loaded = None
                    self.version += 1
                    self.wait()

    def _apply_read_only(self) -> None:
        run, rewriting = self.review._run
        reason = None
        if self.loaded.index in rewriting:
            reason = (
                f"{self.loaded.entry.key} is being rewritten by {run}: read-only "
                "until it is done."
            )
        self.state.set_read_only(reason)

    def data(self) -> ICAPlotData:
        """Return the plots' arrays of the recording shown."""
        return self._data

    # -------------------------------------------------------------- state
    def to_dict(self) -> dict:
        """Return the front end's state."""
        queue, review = self.queue, self.review
        run, rewriting = review._run
        current = -1 if self.loaded is None else self.loaded.index
        recordings = []
        for index in review.rows:
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
                    rewriting=index in rewriting,
                )
            )
        out = dict(
            mode="dataset",
            title=f"ICA Review - {queue.bids_root.name}",
            can_save=True,
            message=self.message,
            recordings=recordings,
            remaining=queue.n_remaining,
            loading=self.loading,
            run=run,
            can_label_automatically=False,
        )
        if self.loaded is None:
            return out
        entry = self.loaded.entry
        review_entry = entry.review
        methods = entry.methods
        out["recording"] = dict(
            index=current,
            key=entry.key,
            reviewed=(
                f"reviewed by {review_entry.get('Author', '?')} on "
                f"{review_entry.get('Date', '?')}"
                if review_entry
                else "not reviewed"
            ),
            n_doubtful=int(entry.doubtful.sum()),
            policy=self.loaded.policy.summary(methods) if methods else "n/a",
            policy_recorded=entry.has_policy,
        )
        out.update(self.state.to_dict())
        out["version"] = self.version * 100000 + self.state.version
        return out


__all__ = [
    "DatasetReview",
    "DatasetSession",
    "LabellingState",
    "RecordingSession",
    "TSVChangedError",
]
