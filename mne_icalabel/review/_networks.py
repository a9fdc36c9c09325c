"""The networks a review runs: ICLabel and/or MEGNet on one recording (no Qt).

:func:`_compute_labels` changes nothing and may run in any thread; the review
model applies its result (:meth:`ComponentsReview.apply_labels
<mne_icalabel.review.ComponentsReview.apply_labels>`).
"""

from __future__ import annotations

import numpy as np

from ..megnet._config import MEGNET_LABELS_TO_MNE as _MEGNET_LABELS_TO_MNE

# MEGNet's four classes (button text) -> keys of ``ICA.labels_``
MEGNET_LABELS_TO_MNE = {
    name.title(): key for name, key in _MEGNET_LABELS_TO_MNE.items()
}


def _compute_labels(method: str, inst, ica) -> tuple[dict, list[str], list[str]]:
    """Run the network(s) of ``method``; nothing is changed (any thread).

    Returns the probabilities by method, the label of each component (the
    combined class for ``"both"``) and the warnings the networks gave.
    """
    import warnings

    from ..annotation._classes import CLASSES

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "both":
            from ..batch._both import label_both

            proba, labels = label_both(inst, ica.copy())
        else:
            proba = {method: _run_network(method, inst, ica)}
            names = CLASSES[method]
            labels = [names[i] for i in np.argmax(proba[method], axis=1)]
    return proba, labels, [str(w.message) for w in caught]


def _run_network(method: str, inst, ica) -> np.ndarray:
    """Return the (n_components, n_classes) probabilities; ``ica`` unchanged."""
    from ..iclabel import iclabel_label_components
    from ..megnet import megnet_label_components

    if method == "iclabel":
        return iclabel_label_components(inst, ica, inplace=False)
    return megnet_label_components(inst, ica)  # says that it needs a Raw
