"""Store a network's predictions on an ICA, as ICLabel does upstream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mne.preprocessing import ICA


def write_labels(ica: ICA, proba: np.ndarray, keys: Sequence[str]) -> None:
    """Store ``proba`` on ``ica`` and merge the argmax labels into ``labels_``.

    Parameters
    ----------
    ica : ICA
        Changed in place: ``labels_scores_`` becomes ``proba`` (the same
        object) and each component is appended to the list of its most
        probable class; entries already present are kept, nothing is removed,
        and every key of ``keys`` exists afterwards.
    proba : ndarray, shape (n_components, n_classes)
        The probabilities.
    keys : sequence of str
        The key of ``ica.labels_`` of each class (MNE's, e.g. ``"eog"``).
    """
    ica.labels_scores_ = proba
    predicted = np.argmax(proba, axis=1)
    for idx, key in enumerate(keys):
        components = list(np.flatnonzero(predicted == idx))
        current = ica.labels_.setdefault(key, [])
        current.extend(comp for comp in components if comp not in current)


def class_dicts(classes) -> tuple[dict[int, str], dict[str, int]]:
    """Return upstream's ``*_NUMERICAL_TO_STRING`` and ``*_STRING_TO_NUMERICAL``.

    Parameters
    ----------
    classes : iterable of str
        The class names, in the order of the network's output columns.

    Returns
    -------
    numerical_to_string : dict of int to str
        Column -> class name.
    string_to_numerical : dict of str to int
        Its inverse.
    """
    numerical_to_string = dict(enumerate(classes))
    return numerical_to_string, {c: k for k, c in numerical_to_string.items()}
