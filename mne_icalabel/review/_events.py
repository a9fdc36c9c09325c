"""What a review tells its front ends: events, and the list of observers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: the kinds of :class:`ReviewEvent` of a :class:`~._recording.ComponentsReview`
EVENTS = (
    "selection",  # another component is selected (``component``)
    "label",  # a component's label changed (``component``, ``label``)
    "excluded",  # the set of excluded components changed
    "order",  # the list order changed
    "scores",  # new automatic probabilities (and labels where none was set)
    "read_only",  # read-only reason set or lifted
    "auto_advance",  # the automatic move after labelling toggled
    "saved",  # the labels were saved: not modified any more
    "reverted",  # labels, probabilities, exclusions back to those saved or loaded
)
#: those of a :class:`~._dataset.DatasetReview` (``component``: entry index)
DATASET_EVENTS = (
    "recording",  # another recording is shown
    "entry",  # an entry's state or counts changed (saved)
    "rewriting",  # a run started or finished rewriting recordings
)


@dataclass(frozen=True)
class ReviewEvent:
    """What changed in a review, as told to its observers.

    Attributes
    ----------
    kind : str
        One of :data:`EVENTS` or :data:`DATASET_EVENTS`.
    component : int | None
        The component concerned (``"selection"``, ``"label"``), or the entry
        index (``"recording"``, ``"entry"``).
    label : str | None
        The new class name (``"label"``; None: label removed).
    """

    kind: str
    component: int | None = None
    label: str | None = None


class Observable:
    """A list of callbacks told about each change (no Qt signal: plain calls)."""

    def __init__(self) -> None:
        self._observers: list[Callable[[ReviewEvent], None]] = []

    def subscribe(self, callback: Callable[[ReviewEvent], None]) -> Callable:
        """Call ``callback(event)`` after each change; return the unsubscriber.

        Parameters
        ----------
        callback : callable
            Called with a :class:`ReviewEvent`, in the thread of the intent,
            after the state changed.

        Returns
        -------
        unsubscribe : callable
            Call it to stop the notifications.
        """
        self._observers.append(callback)
        return lambda: self.unsubscribe(callback)

    def unsubscribe(self, callback: Callable) -> None:
        """Stop calling ``callback`` (nothing if it is not subscribed)."""
        if callback in self._observers:
            self._observers.remove(callback)

    def _notify(self, kind: str, component: int | None = None, label=None) -> None:
        event = ReviewEvent(kind, component, label)
        for callback in list(self._observers):
            callback(event)
