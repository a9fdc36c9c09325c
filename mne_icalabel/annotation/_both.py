"""Label one ICA with ICLabel and MEGNet, and combine their decisions.

Used for recordings with EEG and MEG labelled with ``method="both"``: each
network labels the same (combined) ICA from its own channels (the ``proba``
of the method ``"both"``, :mod:`mne_icalabel.methods`), and the
exclusion policy, applied to each network, turns the two predictions into the
component's ``status`` and ``ic_type`` (:meth:`ExclusionPolicy.decide` with
``method="both"`` combines the two decisions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..methods import get_method
from ._classes import add_to_labels
from .policy import Decision, ExclusionPolicy

if TYPE_CHECKING:
    from mne.preprocessing import ICA


def store_both(ica: ICA, proba: dict[str, np.ndarray], decision: Decision) -> None:
    """Store the combined labels on ``ica``.

    ``ica.labels_`` gets the combined class of each component (the class that
    decided it, :meth:`ExclusionPolicy.decide` with ``method="both"``) under
    MNE's keys, and ``ica.labels_scores_`` ICLabel's probabilities.
    """
    add_to_labels(ica, decision.labels)
    ica.labels_scores_ = proba["iclabel"]


def label_both(
    inst,
    ica: ICA,
    backend: str | dict[str, str] | None = None,
    policy: ExclusionPolicy | None = None,
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Label ``ica`` (changed in place) with both networks and combine them.

    See the ``proba`` of the method ``"both"`` and :func:`store_both`;
    ``policy`` decides the combined class (``None``: the default policy).
    Returns both probability sets and the combined class names.
    """
    proba = get_method("both").proba(inst, ica, backend)
    decision = (ExclusionPolicy() if policy is None else policy).decide(proba, "both")
    store_both(ica, proba, decision)
    return proba, list(decision.labels)
