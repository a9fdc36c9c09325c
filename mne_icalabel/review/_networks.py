"""The networks a review runs on one recording, through the registry (no Qt).

:func:`_compute_labels` changes nothing and may run in any thread; the review
model applies its result (:meth:`ComponentsReview.apply_labels
<mne_icalabel.review.ComponentsReview.apply_labels>`).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..annotation._both import label_both
from ..methods import CLASSES, get_method

# MEGNet's four classes (button text) -> keys of ``ICA.labels_``
MEGNET_LABELS_TO_MNE = get_method("megnet").labels_to_mne


def _compute_labels(method: str, inst, ica) -> tuple[dict, list[str], list[str]]:
    """Run the network(s) of ``method``; nothing is changed (any thread).

    Returns the probabilities by method, the label of each component (the
    combined class for a composite method) and the warnings the networks gave.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if get_method(method).components:
            proba, labels = label_both(inst, ica.copy())
        else:
            proba = {method: _run_network(method, inst, ica)}
            names = CLASSES[method]
            labels = [names[i] for i in np.argmax(proba[method], axis=1)]
    return proba, labels, [str(w.message) for w in caught]


def _run_network(method: str, inst, ica) -> np.ndarray:
    """Return the (n_components, n_classes) probabilities; ``ica`` unchanged."""
    return get_method(method).proba(inst, ica, None)  # MEGNet: says it needs a Raw
