"""Select components to exclude from their class probabilities.

Two rules, both opt-in: nothing here changes ``ica.exclude`` unless asked with
``add_to_exclude=True``.

- :func:`flag_components`: EEGLAB's ``pop_icflag``, a probability range per class.
- :func:`flag_non_included`: mne-bids-pipeline's rule, a list of classes to keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type, logger, verbose

from ..utils._checks import _validate_ica
from ..utils._docs import fill_doc
from ._classes import CLASSES, check_proba, infer_method, resolve_class

if TYPE_CHECKING:
    from mne.preprocessing import ICA
    from numpy.typing import ArrayLike, NDArray


@verbose
@fill_doc
def flag_components(
    inst: ICA | ArrayLike,
    thresholds: Mapping[str, tuple[float, float]],
    *,
    method: str | None = None,
    inclusive: str = "both",
    add_to_exclude: bool = False,
    verbose=None,
) -> NDArray[np.int64]:
    """Flag the components with a class probability in a given range.

    In the spirit of EEGLAB's ``pop_icflag``: a component is flagged if, for
    at least one class of ``thresholds``, its probability lies in that class'
    range.

    Parameters
    ----------
    inst : ICA | array of shape (n_components, n_classes)
        An ICA whose ``labels_scores_`` hold the probabilities (set by
        :func:`~mne_icalabel.iclabel.iclabel_label_components` or
        :func:`~mne_icalabel.annotation.read_components_tsv`), or the
        probabilities themselves.
    thresholds : dict of str to (float, float)
        For each class to test, the range ``(min, max)`` of probabilities that
        flags a component, with ``0 <= min <= max <= 1``, e.g.
        ``{"muscle artifact": (0.9, 1), "eye blink": (0.9, 1)}`` (EEGLAB's
        suggested values). Classes not listed are not tested. Class names:
        for ICLabel, its class names (``"brain"``, ``"muscle artifact"``,
        ``"eye blink"``, ``"heart beat"``, ``"line noise"``,
        ``"channel noise"``, ``"other"``), EEGLAB's names (``"Brain"``,
        ``"Muscle"``, ``"Eye"``, ``"Heart"``, ``"Line Noise"``,
        ``"Channel Noise"``, ``"Other"``) or MNE's keys of ``ICA.labels_``
        (``"brain"``, ``"muscle"``, ``"eog"``, ``"ecg"``, ``"line_noise"``,
        ``"ch_noise"``, ``"other"``); for MEGNet, its class names
        (``"brain/other"``, ``"eye blink"``, ``"heart beat"``,
        ``"eye movement"``).
    method : ``"iclabel"`` | ``"megnet"`` | None
        The method that produced the probabilities. ``None`` infers it from
        the number of columns (7 for ICLabel, 4 for MEGNet).
    inclusive : ``"both"`` | ``"neither"`` | ``"left"`` | ``"right"``
        Which bounds of each range belong to it: ``"both"`` (default) tests
        ``min <= p <= max``, so that ``(0.9, 1)`` flags a probability of
        exactly 1; ``"neither"`` tests ``min < p < max`` as EEGLAB does;
        ``"left"`` tests ``min <= p < max``; ``"right"`` ``min < p <= max``.
    %(add_to_exclude)s
    %(verbose)s

    Returns
    -------
    %(flagged)s

    Notes
    -----
    EEGLAB's ``pop_icflag`` compares with strict inequalities on both sides
    (``inclusive="neither"``), so a component with a probability of exactly 1
    escapes the range ``[0.9 1]``; the default here includes both bounds.
    EEGLAB also *replaces* its rejection flags, whereas ``add_to_exclude``
    only adds to ``ica.exclude``.
    """
    proba, method, ica = _get_proba(inst, method, add_to_exclude)
    _validate_type(thresholds, Mapping, "thresholds", "dict")
    if len(thresholds) == 0:
        raise ValueError(
            "The argument 'thresholds' is empty; give at least one class and its "
            "(min, max) range, e.g. {'eye blink': (0.9, 1.0)}."
        )
    _check_option("inclusive", inclusive, ("both", "neither", "left", "right"))
    columns = _resolve_keys(thresholds, method, "thresholds")
    flagged = np.zeros(proba.shape[0], bool)
    for name, idx in columns.items():
        # compared in the precision of the probabilities: with float32 ones,
        # a threshold 0.9 means float32(0.9), which a probability can equal
        low, high = map(proba.dtype.type, _check_range(thresholds[name], name))
        p = proba[:, idx]
        above = p >= low if inclusive in ("both", "left") else p > low
        below = p <= high if inclusive in ("both", "right") else p < high
        flagged |= above & below
    return _finish(np.flatnonzero(flagged), ica, add_to_exclude)


@verbose
@fill_doc
def flag_non_included(
    inst: ICA | ArrayLike,
    include: Iterable[str] = ("brain", "other"),
    *,
    method: str | None = None,
    exclusion_threshold: float | Mapping[str, float] | None = None,
    keep_threshold: float | Mapping[str, float] | None = None,
    add_to_exclude: bool = False,
    verbose=None,
) -> NDArray[np.int64]:
    """Flag the components that do not belong to the classes to keep.

    The rule of mne-bids-pipeline: a component is flagged if a class that is
    not in ``include`` reaches its exclusion threshold and no class of
    ``include`` reaches its keep threshold.

    Parameters
    ----------
    inst : ICA | array of shape (n_components, n_classes)
        An ICA whose ``labels_scores_`` hold the probabilities, or the
        probabilities themselves.
    include : iterable of str
        The classes to keep, by default brain and other (ICLabel). Accepts the
        same class names as :func:`flag_components`.
    method : ``"iclabel"`` | ``"megnet"`` | None
        The method that produced the probabilities. ``None`` infers it from
        the number of columns (7 for ICLabel, 4 for MEGNet).
    exclusion_threshold : float | dict of str to float | None
        The probability a non-included class must reach (``>=``) to flag a
        component: one value for all of them, or a value per class (classes
        not listed never flag). ``None`` (default): the non-included class
        must be the most probable class of the component, which is
        mne-bids-pipeline's default rule "exclude when the predicted label is
        not in ``include``".
    keep_threshold : float | dict of str to float | None
        The probability an included class must reach (``>=``) to keep a
        component that would be flagged: one value for all of them, or a
        value per class (classes not listed never keep). ``None`` (default):
        no included class overrides.
    %(add_to_exclude)s
    %(verbose)s

    Returns
    -------
    %(flagged)s
    """
    proba, method, ica = _get_proba(inst, method, add_to_exclude)
    _validate_type(include, Iterable, "include", "list of str")
    if isinstance(include, str):
        include = [include]
    included = set(_resolve_keys(dict.fromkeys(include), method, "include").values())
    others = [k for k in range(len(CLASSES[method])) if k not in included]

    kept = np.isin(np.arange(len(CLASSES[method])), list(included))
    exclusion = (
        None
        if exclusion_threshold is None
        else _per_class(exclusion_threshold, "exclusion_threshold", method, others)
    )
    keep = (
        None
        if keep_threshold is None
        else _per_class(keep_threshold, "keep_threshold", method, included)
    )
    _, excluded = _non_included(proba, kept, exclusion, keep)
    return _finish(np.flatnonzero(excluded), ica, add_to_exclude)


def _non_included(
    proba: NDArray,
    kept: NDArray[np.bool_],
    exclusion: NDArray[np.float64] | None,
    keep: NDArray[np.float64] | None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Apply the rule of :func:`flag_non_included` to checked arrays.

    ``kept`` marks the classes to keep; ``exclusion`` and ``keep`` are one
    threshold per class (+inf where a class is not concerned), or None: no
    exclusion threshold means the most probable class decides, no keep
    threshold means no kept class overrides. Returns ``reached`` (n_components,
    n_classes), the classes not kept that reach their threshold (the most
    probable class, if not kept, without thresholds), and ``excluded``
    (n_components,). Thresholds are compared in the precision of the
    probabilities (see :func:`flag_components`).
    """
    if exclusion is None:
        top = np.argmax(proba, axis=1)
        reached = np.zeros(proba.shape, bool)
        reached[np.arange(proba.shape[0]), top] = ~kept[top]
    else:
        reached = (proba >= exclusion.astype(proba.dtype)) & ~kept
    excluded = reached.any(axis=1)
    if keep is not None:
        excluded &= ~((proba >= keep.astype(proba.dtype)) & kept).any(axis=1)
    return reached, excluded


def _get_proba(
    inst, method: str | None, add_to_exclude: bool
) -> tuple[NDArray[np.float64], str, ICA | None]:
    """Probabilities, method and ICA (or None) of ``inst``."""
    from mne.preprocessing import ICA

    _validate_type(add_to_exclude, bool, "add_to_exclude")
    if isinstance(inst, ICA):
        _validate_ica(inst)
        scores = getattr(inst, "labels_scores_", None)
        if scores is None:
            raise ValueError(
                "The ICA has no class probabilities (ica.labels_scores_). Label it "
                "first, e.g. with mne_icalabel.label_components(inst, ica, "
                "method='iclabel'), or read them with "
                "mne_icalabel.annotation.read_components_tsv(fname, ica)."
            )
        ica = inst
        proba = check_proba(scores, "ica.labels_scores_")
        if proba.shape[0] != ica.n_components_:
            raise ValueError(
                f"ica.labels_scores_ has {proba.shape[0]} rows but the ICA has "
                f"{ica.n_components_} components."
            )
    else:
        if add_to_exclude:
            raise ValueError(
                "add_to_exclude=True needs an ICA instance; the probabilities were "
                "given as an array."
            )
        ica = None
        proba = check_proba(inst)
    method = infer_method(proba.shape[1], method)
    if (proba < -1e-6).any() or (proba > 1 + 1e-6).any():
        raise ValueError("The probabilities must be between 0 and 1.")
    return proba, method, ica


def _resolve_keys(names: Mapping[str, object], method: str, what: str) -> dict:
    """Map each class name of ``names`` to its column, rejecting duplicates."""
    columns: dict[str, int] = {}
    for name in names:
        idx = resolve_class(name, method, f"class name in '{what}'")
        if idx in columns.values():
            raise ValueError(
                f"The class {CLASSES[method][idx]!r} is given twice in '{what}' "
                f"(as {name!r} and another name)."
            )
        columns[name] = idx
    return columns


def _check_probability(value, name: str) -> float:
    """Check a threshold: a real number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number between 0 and 1, got {value!r}.")
    if not 0 <= value <= 1:  # False for NaN as well
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}.")
    return float(value)


def _check_range(value, name: str) -> tuple[float, float]:
    """Check a (min, max) probability range of the class ``name``."""
    what = f"The range of {name!r} in 'thresholds'"
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be a pair (min, max), got {value!r}.")
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"{what} must be a pair (min, max), got {value!r}.")
    low = _check_probability(value[0], f"{what}: min")
    high = _check_probability(value[1], f"{what}: max")
    if low > high:
        raise ValueError(f"{what} has min {low} > max {high}.")
    return low, high


def _per_class(
    threshold, what: str, method: str, allowed: Iterable[int]
) -> NDArray[np.float64]:
    """One threshold per column; columns not concerned get +inf (never reached)."""
    allowed = list(allowed)
    limits = np.full(len(CLASSES[method]), np.inf)
    if isinstance(threshold, Mapping):
        for name, idx in _resolve_keys(threshold, method, what).items():
            if idx not in allowed:
                raise ValueError(
                    f"The class {name!r} of '{what}' cannot be used here: "
                    f"{'it is' if what == 'exclusion_threshold' else 'it is not'} "
                    "in 'include'."
                )
            limits[idx] = _check_probability(threshold[name], f"{what}[{name!r}]")
    else:
        limits[allowed] = _check_probability(threshold, what)
    return limits


def _finish(
    flagged: NDArray[np.int64], ica: ICA | None, add_to_exclude: bool
) -> NDArray[np.int64]:
    """Log the result and add it to ``ica.exclude`` if asked."""
    flagged = flagged.astype(np.int64)
    logger.info("Flagged %d component(s): %s", flagged.size, flagged.tolist())
    if add_to_exclude:
        exclude = list(ica.exclude)
        ica.exclude = exclude + [k for k in flagged.tolist() if k not in exclude]
        logger.info("ica.exclude is now %s", ica.exclude)
    return flagged
