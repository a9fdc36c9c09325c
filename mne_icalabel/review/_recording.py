"""The labelling state of one recording's components, without a display.

A :class:`ComponentsReview` is what every front end (the Qt windows, a browser
page, a notebook widget) talks to: it sends intents (:meth:`~ComponentsReview.select`,
:meth:`~ComponentsReview.step`, :meth:`~ComponentsReview.set_label`,
:meth:`~ComponentsReview.press`, ...) and draws what the state says when an
observer callback tells it something changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mne import BaseEpochs
from mne.io import BaseRaw
from mne.preprocessing import ICA
from mne.utils import _validate_type, logger

from ..annotation._classes import infer_method
from ..methods import get_method, network_names
from ..utils._checks import _check_ica_channels
from ._automatic import AutomaticLabels
from ._events import Observable
from ._keys import CLASS_KEYS, LETTERS, key_intent
from ._scores import check_other_scores, primary_scores
from ._snapshot import snapshot

if TYPE_CHECKING:
    from numpy.typing import NDArray


def check_recording(inst, ica) -> None:
    """Check an (inst, ica) pair before it is reviewed; raise a clear error."""
    _validate_type(inst, (BaseRaw, BaseEpochs), "inst", "raw or epochs")
    _validate_type(ica, ICA, "ica", "ICA")
    if ica.current_fit == "unfitted":
        raise ValueError(
            "ICA instance should be fitted. Use ica.fit(inst) before labelling "
            "its components."
        )
    _check_ica_channels(inst, ica)


def is_meg_ica(ica: ICA) -> bool:
    """Whether the ICA was fitted on MEG channels only (MEGNet's classes)."""
    types = set(ica.get_channel_types())
    return bool(types) and types <= {"mag", "grad"}


class ComponentsReview(AutomaticLabels, Observable):
    """The labelling state of one (inst, ica) pair, and the rules that change it.

    Labelling a component (:meth:`set_label`, :meth:`label_selected`, a key
    given to :meth:`press`) writes its class at once to ``ica.labels_``,
    replacing any previous class label of that component. Every change is
    told to the observers (:meth:`subscribe`).

    Parameters
    ----------
    inst : Raw | Epochs
        The recording the ICA decomposition was fitted on.
    ica : ICA
        A fitted ICA. Its ``labels_`` are modified in place; those it holds
        are the current labels. EEG (and EEG + MEG) get ICLabel's seven
        classes, MEG MEGNet's four.
    scores : dict | None
        Probability sets besides ``ica.labels_scores_``, mapping a method
        (``"iclabel"``, ``"megnet"``) to its (n_components, n_classes) array.
    excluded : array-like of int | None
        The components an exclusion policy removes.
    order : array-like of int | None
        The order of the list (a permutation of the components), e.g. most
        doubtful first; None: the natural order.
    kept : collection of str | None
        The ``ica.labels_`` keys the exclusion policy keeps: a component
        labelled with another key becomes excluded, one labelled with these
        (or unlabelled) not. None: labels do not change :attr:`excluded`.
    auto_advance : bool
        Select the next component after labelling one with
        :meth:`label_selected` (a button or key).

    Attributes
    ----------
    inst : Raw | Epochs
        The recording.
    ica : ICA
        The ICA.
    label_map : dict of str to str
        The class names, in button order, mapped to their ``ica.labels_`` key.
    """

    def __init__(
        self,
        inst: BaseRaw | BaseEpochs,
        ica: ICA,
        *,
        scores: dict | None = None,
        excluded=None,
        order=None,
        kept=None,
        auto_advance: bool = False,
    ) -> None:
        check_recording(inst, ica)
        label_map = _label_map(ica, scores)
        n_components = int(ica.n_components_)
        primary, names = primary_scores(ica, label_map, scores, n_components)
        other = check_other_scores(scores, n_components, primary)
        excluded = check_components(excluded, n_components, "excluded")
        order = check_order(order, n_components)
        # checked: from here on the ICA changes
        self.inst, self.ica, self.label_map = inst, ica, label_map
        self._scores, self._score_names, self._other_scores = primary, names, other
        self._excluded = frozenset(excluded)
        self._order = order
        self._kept = None if kept is None else frozenset(kept)
        if getattr(ica, "labels_", None) is None:
            ica.labels_ = {}
        for key in label_map.values():
            ica.labels_.setdefault(key, [])
        self._labels = self._labels_from_ica()
        self._manual: set[int] = set()
        self._modified = False
        self._read_only: str | None = None
        self._auto_advance = bool(auto_advance)
        self._selected = order[0] if order else -1
        self._take_baseline()
        super().__init__()

    # ---------------------------------------------------------------- state
    @property
    def n_components(self) -> int:
        """Number of components."""
        return int(self.ica.n_components_)

    @property
    def class_names(self) -> list[str]:
        """Names of the classes, in button order."""
        return list(self.label_map)

    @property
    def class_letters(self) -> list[str]:
        """The letter key of each class (its digit is its position + 1)."""
        return [LETTERS[name] for name in self.label_map]

    @property
    def labels(self) -> dict[int, str]:
        """The class name of each labelled component (a copy)."""
        return dict(self._labels)

    @property
    def manual_components(self) -> list[int]:
        """The components labelled or reset here (the manual decisions)."""
        return sorted(self._manual)

    def manual_marks(self) -> dict[int, str | None]:
        """Return the manual decisions, mapped to their ``ICA.labels_`` key.

        Returns
        -------
        marks : dict of int to str | None
            None for a component whose label was removed.
        """
        return {
            k: self.label_map[self._labels[k]] if k in self._labels else None
            for k in sorted(self._manual)
        }

    def labels_for_ica(self) -> dict[str, list[int]]:
        """Return the components of each class key, as written to ``ica.labels_``."""
        out: dict[str, list[int]] = {key: [] for key in self.label_map.values()}
        for k, name in sorted(self._labels.items()):
            out[self.label_map[name]].append(k)
        return out

    @property
    def selected(self) -> int:
        """The component selected (-1 if there is none)."""
        return self._selected

    @property
    def position(self) -> int:
        """Position of the selected component in :attr:`order` (-1: none)."""
        return self._order.index(self._selected) if self._selected >= 0 else -1

    @property
    def order(self) -> list[int]:
        """The components in list order."""
        return list(self._order)

    @property
    def excluded(self) -> frozenset[int]:
        """The components the exclusion policy removes."""
        return self._excluded

    @property
    def modified(self) -> bool:
        """Whether labels or probabilities changed since creation or the last save."""
        return self._modified

    @property
    def read_only(self) -> str | None:
        """Why the labels cannot be changed now (None: they can)."""
        return self._read_only

    @property
    def auto_advance(self) -> bool:
        """Whether labelling with a button or key selects the next component."""
        return self._auto_advance

    @property
    def has_scores(self) -> bool:
        """Whether automatic probabilities are known."""
        return self._scores is not None

    @property
    def scores(self) -> NDArray[np.float64] | None:
        """The (n_components, n_classes) probabilities of :attr:`score_names`."""
        return self._scores

    @property
    def score_names(self) -> list[str] | None:
        """The classes of :attr:`scores`."""
        return self._score_names

    @property
    def score_title(self) -> str | None:
        """The network of :attr:`scores` (``"ICLabel"``, ``"MEGNet"``)."""
        if self._scores is None:
            return None
        return get_method(infer_method(self._scores.shape[1], None)).display_name

    @property
    def other_scores(self) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Other probability sets: network title -> (probabilities, classes)."""
        return dict(self._other_scores)

    def automatic(self, component: int) -> tuple[str, float] | None:
        """Return the most probable class of a component and its probability."""
        if self._scores is None:
            return None
        best = int(np.argmax(self._scores[component]))
        return self._score_names[best], float(self._scores[component, best])

    def snapshot(self) -> dict:
        """Return the state as plain Python values (:func:`._snapshot.snapshot`)."""
        return snapshot(self)

    # -------------------------------------------------------------- intents
    def select(self, component: int) -> None:
        """Select a component (clipped to the valid range)."""
        if not self._order:
            return
        component = int(np.clip(component, 0, self.n_components - 1))
        if component != self._selected:
            self._selected = component
            self._notify("selection", component)

    def step(self, step: int) -> None:
        """Select the component ``step`` places further in the list (clipped)."""
        if self._order:
            row = int(np.clip(self.position + int(step), 0, len(self._order) - 1))
            self.select(self._order[row])

    def set_label(self, component: int, label: str | None) -> None:
        """Label a component, replacing its previous label.

        Parameters
        ----------
        component : int
            The component index.
        label : str | None
            One of :attr:`class_names`, or None to remove the component's label.

        Raises
        ------
        RuntimeError
            If the review is read-only (:meth:`set_read_only`).
        """
        self._check_writable()
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
        if self._labels.get(component) == label:
            return
        labels_ = self.ica.labels_
        for key in CLASS_KEYS:
            if key in labels_:
                labels_[key] = [c for c in labels_[key] if int(c) != component]
        self._manual.add(component)
        if label is None:
            self._labels.pop(component, None)
            logger.info(f"ICA{component:03d}: label removed")
        else:
            self._labels[component] = label
            key = self.label_map[label]
            labels_[key] = sorted([*labels_.get(key, []), component], key=int)
            logger.info(f"ICA{component:03d}: {label} ({key})")
        self._modified = True
        excluded_before = self._excluded
        if self._kept is not None:
            key = None if label is None else self.label_map[label]
            excluded = set(self._excluded)
            if key is None or key in self._kept:
                excluded.discard(component)
            else:
                excluded.add(component)
            self._excluded = frozenset(excluded)
        self._notify("label", component, label)
        if self._excluded != excluded_before:
            self._notify("excluded")

    def label_selected(self, label: str) -> bool:
        """Label the selected component, as a class button or key does.

        Read-only, nothing happens (the reason is logged). With
        :attr:`auto_advance`, the next component is selected afterwards.

        Parameters
        ----------
        label : str
            One of :attr:`class_names`.

        Returns
        -------
        labelled : bool
            False if read-only or nothing is selected.
        """
        if self._selected < 0:
            return False
        if self._read_only is not None:
            logger.info(f"Not labelled: {self._read_only}")
            return False
        self.set_label(self._selected, label)
        if self._auto_advance:
            self.step(1)
        return True

    def reset_selected(self) -> bool:
        """Remove the label of the selected component (not when read-only)."""
        if self._read_only is not None or self._selected < 0:
            return False
        self.set_label(self._selected, None)
        return True

    def press(self, key: str) -> bool:
        """Do what a key pressed without modifier does (see :mod:`._keys`).

        Parameters
        ----------
        key : str
            The key's name, e.g. ``"3"``, ``"E"``, ``"0"``, ``"N"``,
            ``"Right"``, ``"Backspace"``, ``"A"``.

        Returns
        -------
        handled : bool
            Whether the key means something for this recording (a label key
            of a read-only review does, but changes nothing).
        """
        intent = key_intent(key, self.class_names)
        if intent is None:
            return False
        name, arg = intent
        if name == "label":
            self.label_selected(self.class_names[arg])
        elif name == "reset":
            self.reset_selected()
        elif name == "step":
            self.step(arg)
        else:
            self.set_auto_advance(not self._auto_advance)
        return True

    def set_auto_advance(self, enabled: bool) -> None:
        """Select the next component after labelling with a button or key, or not."""
        if bool(enabled) != self._auto_advance:
            self._auto_advance = bool(enabled)
            self._notify("auto_advance")

    def set_read_only(self, reason: str | None) -> None:
        """Refuse (``reason``, given by :meth:`set_label`'s error) or allow changes."""
        if reason != self._read_only:
            self._read_only = reason
            self._notify("read_only")

    def set_order(self, order) -> None:
        """Order the list (a permutation of the components; None: natural order)."""
        self._order = check_order(order, self.n_components)
        self._notify("order")

    def set_excluded(self, excluded) -> None:
        """Mark the components an exclusion policy removes (None: none)."""
        self._excluded = frozenset(
            check_components(excluded, self.n_components, "excluded")
        )
        self._notify("excluded")

    def mark_saved(self) -> None:
        """Mark the current labels as saved (:attr:`modified` becomes False).

        They become what :meth:`revert` goes back to.
        """
        self._modified = False
        self._take_baseline()
        self._notify("saved")

    def revert(self) -> None:
        """Undo every change since the recording was set or :meth:`mark_saved`.

        ``ica.labels_`` and ``ica.labels_scores_`` get back what they held
        then (``labels_`` stays the same dict), as do the probabilities shown
        and the excluded components; no component counts as labelled here
        any more (:meth:`manual_marks` is empty) and :attr:`modified` becomes
        False. The selection and the order stay. Observers get a
        ``"reverted"`` event.
        """
        ica, base = self.ica, self._baseline
        ica.labels_.clear()
        ica.labels_.update({key: list(comps) for key, comps in base.labels_.items()})
        if base.labels_scores_ is not None:
            ica.labels_scores_ = base.labels_scores_.copy()
        elif getattr(ica, "labels_scores_", None) is not None:
            ica.labels_scores_ = None
        self._scores, self._score_names, self._other_scores = base.scores
        self._excluded = base.excluded
        self._labels = self._labels_from_ica()
        self._manual = set()
        self._modified = False
        self._take_baseline()
        logger.info("Reverted the labels to those loaded or saved last.")
        self._notify("reverted")

    def _take_baseline(self) -> None:
        """Remember the labelling state :meth:`revert` goes back to."""
        scores_ = getattr(self.ica, "labels_scores_", None)
        self._baseline = _Baseline(
            labels_={key: list(comps) for key, comps in self.ica.labels_.items()},
            labels_scores_=None if scores_ is None else np.array(scores_),
            scores=(self._scores, self._score_names, self._other_scores),
            excluded=self._excluded,
        )

    def _check_writable(self) -> None:
        """Raise if the labels cannot be changed now (:meth:`set_read_only`)."""
        if self._read_only is not None:
            raise RuntimeError(f"The labels cannot be changed now: {self._read_only}")

    def _labels_from_ica(self) -> dict[int, str]:
        selected = {}
        for name, key in self.label_map.items():
            for comp in self.ica.labels_.get(key, []):
                selected.setdefault(int(comp), name)
        return selected


@dataclass(frozen=True)
class _Baseline:
    """What :meth:`ComponentsReview.revert` goes back to (copies)."""

    labels_: dict
    labels_scores_: np.ndarray | None
    scores: tuple
    excluded: frozenset


def check_order(order, n_components: int) -> list[int]:
    """Return ``order`` as a list, checked to be a permutation of the components."""
    if order is None:
        return list(range(n_components))
    order = [int(k) for k in np.asarray(order).ravel()]
    if sorted(order) != list(range(n_components)):
        raise ValueError(
            f"order must be a permutation of the {n_components} component "
            f"indices 0 to {n_components - 1}, got {order}."
        )
    return order


def check_components(components, n_components: int, name: str) -> list[int]:
    """Return ``components`` as a list of valid component indices."""
    if components is None:
        return []
    out = [int(k) for k in np.asarray(components).ravel()]
    bad = [k for k in out if not 0 <= k < n_components]
    if bad:
        raise ValueError(
            f"{name} must hold component indices between 0 and {n_components - 1}, "
            f"got {bad}."
        )
    return out


def _label_map(ica, scores) -> dict[str, str]:
    """Return the buttons (class name -> MNE key) of a recording.

    Those of the one network whose probabilities ``scores`` holds, else
    MEGNet's for an ICA of MEG alone, ICLabel's otherwise.
    """
    networks = [m for m in (scores or {}) if m in network_names()]
    if len(networks) == 1:
        return get_method(networks[0]).labels_to_mne
    return get_method("megnet" if is_meg_ica(ica) else "iclabel").labels_to_mne
