"""Class names of the labelling methods, and the probability matrices."""

from __future__ import annotations

import numpy as np
from mne.utils import _check_option, _validate_type

# CLASSES: method -> class names in the order of its probability columns (a
# live view of the registry of methods)
from ..derivatives import good_classes
from ..methods import CLASSES, get_method, network_names

# classes whose components are kept ("good") in a components file
GOOD_CLASSES = good_classes()


def infer_method(n_classes: int, method: str | None) -> str:
    """Return the labelling method of a probability matrix with ``n_classes``.

    Raises
    ------
    ValueError
        If ``method`` is invalid or does not match the number of columns.
    """
    _validate_type(method, (str, None), "method")
    if method is not None:
        _check_option("method", method, tuple(CLASSES))
        if len(CLASSES[method]) != n_classes:
            raise ValueError(
                f"The probabilities have {n_classes} columns but method '{method}' "
                f"has {len(CLASSES[method])} classes {list(CLASSES[method])}."
            )
        return method
    for name, classes in CLASSES.items():
        if len(classes) == n_classes:
            return name
    expected = " or ".join(
        f"{len(classes)} ({get_method(name).display_name})"
        for name, classes in CLASSES.items()
    )
    raise ValueError(
        f"The probabilities have {n_classes} columns, which matches no labelling "
        f"method: expected {expected}."
    )


def resolve_class(name: str, method: str, what: str = "class name") -> int:
    """Return the column index of the class ``name`` for ``method``."""
    _validate_type(name, str, what)
    aliases = get_method(method).aliases
    name = aliases.get(name, name)
    if name not in CLASSES[method]:
        accepted = list(CLASSES[method]) + list(aliases)
        raise ValueError(
            f"Unknown {what} {name!r} for method '{method}'. Use one of {accepted}."
        )
    return CLASSES[method].index(name)


def to_mne_key(label: str) -> str:
    """Return the key of ``ICA.labels_`` for a label written in a file.

    ICLabel class names ("eye blink"), EEGLAB names ("Eye") and MEGNet class
    names ("eye movement") become MNE's keys ("eog", "eye_movement"); MNE keys
    and any other label are returned unchanged.
    """
    networks = [get_method(name) for name in network_names()]
    for method in networks:
        if label in method.classes:
            return method.classes_to_mne[label]
    for method in networks:
        if label in method.aliases:
            return method.classes_to_mne[method.aliases[label]]
    return label


def add_to_labels(ica, labels) -> None:
    """Add component ``k`` to ``ica.labels_`` under the MNE key of ``labels[k]``.

    Entries already present are kept and nothing is removed, as for
    :meth:`~mne.preprocessing.ICA.find_bads_eog`.
    """
    for k, label in enumerate(labels):
        entries = ica.labels_.setdefault(to_mne_key(label), [])
        if k not in entries:
            entries.append(k)


def check_proba(proba, name: str = "probabilities") -> np.ndarray:
    """Check a probability matrix ``(n_components, n_classes)``.

    Returns a float32 copy for float32 input (ICLabel's output), so that the
    thresholds are compared in that precision (0.9 is float32(0.9)), else a
    float64 copy.
    """
    proba = np.asarray(proba)
    dtype = np.float32 if proba.dtype == np.float32 else np.float64
    proba = np.array(proba, dtype=dtype)
    if proba.ndim != 2:
        raise ValueError(
            f"The {name} must be a 2D array (n_components, n_classes), got shape "
            f"{proba.shape}."
        )
    if not np.isfinite(proba).all():
        raise ValueError(f"The {name} contain NaN or infinite values.")
    return proba
