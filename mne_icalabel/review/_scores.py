"""The probability sets a review shows: the one beside the buttons, the others."""

from __future__ import annotations

import numpy as np
from mne.utils import _validate_type, logger

from ..annotation._classes import CLASSES, infer_method
from ..methods import get_method, network_names


def primary_scores(ica, label_map, scores, n_components):
    """Return the probabilities shown beside the buttons and in the list.

    ``ica.labels_scores_`` if it has a known shape, else the set of ``scores``
    of the method whose classes are the buttons'.
    """
    names_of = {}
    for name in network_names():  # the first method of a number of classes
        names_of.setdefault(len(get_method(name).labels), list(get_method(name).labels))
    proba = getattr(ica, "labels_scores_", None)
    if proba is not None:
        proba = np.asarray(proba, float)
        if (
            proba.ndim == 2
            and proba.shape[0] == n_components
            and proba.shape[1] in names_of
        ):
            return proba, names_of[proba.shape[1]]
        logger.info(f"ica.labels_scores_ has shape {proba.shape}: not shown.")
    method = infer_method(len(label_map), None)
    if isinstance(scores, dict) and method in scores:
        proba = np.asarray(scores[method], float)
        if proba.shape == (n_components, len(label_map)):
            return proba, list(label_map)
    return None, None


def check_other_scores(scores, n_components, primary) -> dict:
    """Check the probability sets given besides ``ica.labels_scores_``.

    ``scores`` maps a method (``"iclabel"``, ``"megnet"``) to its
    (n_components, n_classes) probabilities, e.g. both sets of a combined
    EEG + MEG ICA read from its components TSV. Each set is shown in full,
    except the one equal to the primary set (shown beside the class buttons).
    """
    _validate_type(scores, (dict, None), "scores")
    out = {}
    for method, proba in (scores or {}).items():
        if method not in CLASSES:
            raise ValueError(
                f"scores has an unknown method {method!r}; use {sorted(CLASSES)}."
            )
        proba = np.asarray(proba, float)
        if proba.shape != (n_components, len(CLASSES[method])):
            raise ValueError(
                f"scores[{method!r}] must have shape ({n_components}, "
                f"{len(CLASSES[method])}), got {proba.shape}."
            )
        if primary is not None and np.array_equal(proba, primary):
            continue
        out[get_method(method).display_name] = (proba, list(CLASSES[method]))
    return out
