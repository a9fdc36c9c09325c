"""Label one ICA with ICLabel and MEGNet, and combine their decisions.

Used for recordings with EEG and MEG labelled with ``method="both"``: each
network labels the same (combined) ICA from its own channels, and the
exclusion policy, applied to each network, turns the two predictions into the
component's ``status`` and ``ic_type``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mne.preprocessing import ICA

    from ..annotation.policy import ExclusionPolicy

#: the methods of ``method="both"``, in the order of the TSV columns
METHODS = ("iclabel", "megnet")


def combine_decisions(
    proba: dict[str, np.ndarray], policy: ExclusionPolicy | None = None
) -> tuple[np.ndarray, list[str], list[str]]:
    """Apply ``policy`` to each network and combine the two decisions.

    A component is excluded when the policy excludes it for either network.
    Its class is then the class that excluded it, ICLabel's when both do (its
    classes are finer: muscle, line and channel noise), else MEGNet's; a kept
    component gets ICLabel's most probable class. The description is that of
    the excluding network, or both networks' for a kept component.

    Returns
    -------
    excluded : ndarray of bool, shape (n_components,)
    labels : list of str
        The combined class of each component.
    descriptions : list of str
        The ``status_description`` of each component.
    """
    from ..annotation._classes import CLASSES
    from ..annotation.policy import ExclusionPolicy

    policy = ExclusionPolicy() if policy is None else policy
    cause = {m: policy.excluding_class(proba[m], m) for m in METHODS}
    text = {m: policy.describe(proba[m], m) for m in METHODS}
    top = np.argmax(proba["iclabel"], axis=1)
    labels, descriptions = [], []
    for k in range(len(top)):
        excluding = [m for m in METHODS if cause[m][k] >= 0]
        if excluding:
            method = excluding[0]
            labels.append(CLASSES[method][cause[method][k]])
            descriptions.append(text[method][k])
        else:
            labels.append(CLASSES["iclabel"][top[k]])
            descriptions.append(text["iclabel"][k] + "; " + text["megnet"][k])
    excluded = (cause["iclabel"] >= 0) | (cause["megnet"] >= 0)
    return excluded, labels, descriptions


def combine_labels(
    proba: dict[str, np.ndarray], policy: ExclusionPolicy | None = None
) -> list[str]:
    """Return the combined class of each component (see :func:`combine_decisions`)."""
    return combine_decisions(proba, policy)[1]


def label_both(
    inst,
    ica: ICA,
    backend: str | dict[str, str] | None = None,
    policy: ExclusionPolicy | None = None,
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Label ``ica`` (changed in place) with both networks and combine them.

    ``backend`` is the network backend of both, or one per method
    (``{"iclabel": ..., "megnet": ...}``, as the batch pre-flight resolves them).
    ``policy`` decides the combined class (:func:`combine_decisions`; ``None``:
    the default policy).

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
    labels = combine_labels(proba, policy)
    add_to_labels(ica, labels)
    ica.labels_scores_ = proba["iclabel"]
    return proba, labels
