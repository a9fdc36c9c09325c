"""Label one ICA with ICLabel and MEGNet, and combine their decisions.

Used for recordings with EEG and MEG labelled with ``method="both"``: each
network labels the same (combined) ICA from its own channels, and one rule
turns the two predictions into the component's ``ic_type`` and ``status``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mne.preprocessing import ICA

#: the methods of ``method="both"``, in the order of the TSV columns
METHODS = ("iclabel", "megnet")


def combine_labels(proba: dict[str, np.ndarray]) -> list[str]:
    """Return the combined class of each component (a class name).

    The rule: a component is kept (``"brain"``) only when both networks
    predict a brain class (ICLabel ``"brain"``, MEGNet ``"brain/other"``); it
    is excluded when either predicts an artifact, with ICLabel's class when
    ICLabel predicts one (its classes are finer: muscle, line and channel
    noise, other), else MEGNet's.
    """
    from ..annotation._classes import CLASSES, GOOD_CLASSES

    predicted = {
        method: [CLASSES[method][k] for k in np.argmax(proba[method], axis=1)]
        for method in METHODS
    }
    out = []
    for iclabel, megnet in zip(*predicted.values(), strict=True):
        if iclabel not in GOOD_CLASSES:
            out.append(iclabel)
        elif megnet not in GOOD_CLASSES:
            out.append(megnet)
        else:
            out.append("brain")
    return out


def label_both(
    inst, ica: ICA, backend: str | dict[str, str] | None = None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Label ``ica`` (changed in place) with both networks and combine them.

    ``backend`` is the network backend of both, or one per method
    (``{"iclabel": ..., "megnet": ...}``, as the batch pre-flight resolves them).

    ``ica.labels_`` gets the combined class of each component under MNE's keys
    (one key per component) and ``ica.labels_scores_`` ICLabel's probabilities;
    both probability sets are returned, with the combined class names.
    """
    from ..annotation._classes import add_to_labels
    from ..iclabel import iclabel_label_components
    from ..megnet import megnet_label_components

    if not isinstance(backend, dict):
        backend = dict(iclabel=backend, megnet=backend)
    proba = {
        "iclabel": iclabel_label_components(
            inst, ica, inplace=False, backend=backend.get("iclabel")
        ),
        "megnet": megnet_label_components(inst, ica, backend.get("megnet")),
    }
    labels = combine_labels(proba)
    add_to_labels(ica, labels)
    ica.labels_scores_ = proba["iclabel"]
    return proba, labels
