"""Automatic labelling of a review: the networks' task, and its result applied.

:class:`LabellingTask` runs the network(s) and changes nothing, so that a front
end can run it in another thread; :class:`AutomaticLabels`, a part of
:class:`~mne_icalabel.review.ComponentsReview`, applies its result in the front
end's thread, keeping every decision taken by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from mne import BaseEpochs
from mne.io import BaseRaw
from mne.preprocessing import ICA
from mne.utils import _check_option

from ..annotation._classes import to_mne_key
from ..methods import method_names
from ..utils._picks import default_method
from . import _networks
from ._scores import check_other_scores, primary_scores


@dataclass(frozen=True)
class LabellingTask:
    """An automatic labelling to run, possibly in another thread.

    :meth:`run` changes nothing (neither the ICA nor the review); give its
    result to :meth:`ComponentsReview.apply_labels`, in the thread of the
    front end.

    Attributes
    ----------
    method : str
        ``"iclabel"``, ``"megnet"`` or ``"both"``.
    inst : Raw | Epochs
        The recording.
    ica : ICA
        The ICA.
    """

    method: str
    inst: BaseRaw | BaseEpochs
    ica: ICA

    def run(self) -> tuple[dict, list[str], list[str]]:
        """Run the network(s); return probabilities, labels and warnings."""
        return _networks._compute_labels(self.method, self.inst, self.ica)


class AutomaticLabels:
    """The automatic labelling of :class:`~mne_icalabel.review.ComponentsReview`.

    A part of that class (its state: ``inst``, ``ica``, the labels, the
    decisions taken by hand, the probabilities shown), written apart.
    """

    def labelling_task(self, method: str | None = None) -> LabellingTask:
        """Return the automatic labelling to run (:meth:`LabellingTask.run`).

        Parameters
        ----------
        method : ``"iclabel"`` | ``"megnet"`` | ``"both"`` | None
            The network(s); None chooses from the ICA's channel types as
            ``mne-icalabel label`` does (EEG: ICLabel, MEG: MEGNet, both:
            both).

        Raises
        ------
        RuntimeError
            If the review is read-only (:meth:`set_read_only`).
        """
        self._check_writable()
        if method is None:
            method, _ = default_method(self.inst, self.ica)
        _check_option("method", method, method_names())
        return LabellingTask(method, self.inst, self.ica)

    def apply_labels(self, task: LabellingTask, result) -> list[str]:
        """Apply the result of a :class:`LabellingTask`; keep the labels set.

        The probabilities become ``ica.labels_scores_`` (ICLabel's for an
        ICA of EEG and MEG, whose MEGNet probabilities become
        :attr:`other_scores`); each component without a label gets its most
        probable class in ``ica.labels_``; a component labelled before (by
        hand, here or earlier) keeps its label, and one whose label was
        removed by hand here stays without one.

        Parameters
        ----------
        task : LabellingTask
            The task, from :meth:`labelling_task` of this review.
        result : tuple
            What ``task.run()`` returned.

        Returns
        -------
        messages : list of str
            The warnings the networks gave.

        Raises
        ------
        RuntimeError
            If the review became read-only (:meth:`set_read_only`) while the
            task ran: nothing changes, the result is dropped.
        """
        if task.ica is not self.ica:
            raise ValueError("The labelling task is of another recording.")
        if self._read_only is not None:
            raise RuntimeError(f"The automatic labels were dropped: {self._read_only}")
        proba, labels, messages = result
        ica = self.ica
        primary = proba["iclabel" if "iclabel" in proba else task.method]
        # only now that every network ran: change the ICA
        ica.labels_scores_ = primary
        for k, label in enumerate(labels):
            # a label removed by hand is a decision too: kept unlabelled
            if k not in self._labels and k not in self._manual:
                entries = ica.labels_.setdefault(to_mne_key(label), [])
                if k not in entries:
                    entries.append(k)
        self._labels = {**self._labels_from_ica(), **self._labels}
        self._scores, self._score_names = primary_scores(
            ica, self.label_map, None, self.n_components
        )
        self._other_scores = check_other_scores(
            {m: p for m, p in proba.items() if p is not primary},
            self.n_components,
            self._scores,
        )
        self._modified = True
        self._notify("scores")
        return messages

    def label_automatically(self, method: str | None = None) -> list[str]:
        """Run the network(s) here and apply the result (see :meth:`apply_labels`).

        Returns
        -------
        messages : list of str
            The warnings the networks gave.
        """
        task = self.labelling_task(method)
        return self.apply_labels(task, task.run())
