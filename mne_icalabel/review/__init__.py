"""The review of ICA component labels, without a display.

The state and the rules of a review live here once, in plain Python; the Qt
windows of :mod:`mne_icalabel.gui` (and any other front end: a browser page,
a notebook widget) are views that send intents and draw what the state says:

- :class:`ComponentsReview`: the labelling state of one recording (labels,
  manual decisions, probabilities, order, selection, excluded components,
  read-only reason) and its intents (:meth:`~ComponentsReview.select`,
  :meth:`~ComponentsReview.step`, :meth:`~ComponentsReview.set_label`,
  :meth:`~ComponentsReview.press`, :meth:`~ComponentsReview.labelling_task`
  and :meth:`~ComponentsReview.apply_labels`, ...); observers subscribe with
  :meth:`~ComponentsReview.subscribe` and get a :class:`ReviewEvent` after
  each change.
- :class:`ReviewQueue`: the labelled recordings of a BIDS dataset, their
  state and the doubtful-first order, read from their components TSVs;
  loading and saving one recording, refusing to overwrite a TSV changed on
  disk (:class:`TSVChangedError`).
- :class:`DatasetReview`: a queue, the recording shown, and the guard against
  a running ``mne-icalabel bids`` rewriting it; leaving a recording with
  decisions not saved is refused with :class:`UnsavedDecisionsError`.

Nothing here imports Qt or matplotlib.
"""

from ._automatic import LabellingTask
from ._dataset import DatasetReview, RewritingChange, UnsavedDecisionsError
from ._events import DATASET_EVENTS, EVENTS, ReviewEvent
from ._keys import LETTERS, key_intent
from ._queue import (
    DOUBTFUL,
    STATES,
    Fingerprint,
    LoadedRecording,
    RecordingEntry,
    ReviewQueue,
    TSVChangedError,
    component_doubt,
    kept_labels,
)
from ._recording import ComponentsReview, check_recording

__all__ = [
    "DATASET_EVENTS",
    "DOUBTFUL",
    "EVENTS",
    "LETTERS",
    "STATES",
    "ComponentsReview",
    "DatasetReview",
    "Fingerprint",
    "LabellingTask",
    "LoadedRecording",
    "RecordingEntry",
    "ReviewEvent",
    "ReviewQueue",
    "RewritingChange",
    "TSVChangedError",
    "UnsavedDecisionsError",
    "check_recording",
    "component_doubt",
    "kept_labels",
    "key_intent",
]
