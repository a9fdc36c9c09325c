"""The exclusion policy of a dataset: which components are removed, and why.

A policy turns one method's class probabilities into a decision per component
(excluded or kept) with a sentence saying why. It is what ``bids`` writes in
the ``status`` column, what ``review`` marks and sorts by doubt, and what is
recorded in the sidecar JSON and ``summary.tsv`` so that a later step knows
how the decisions were made.

Two rules:

- ``"threshold"`` (default), mne-bids-pipeline's: the classes of ``include``
  are kept; a component is excluded when a class that is not kept reaches its
  exclusion threshold (default 0.8) and no kept class reaches its class
  threshold (default 0.3). It is :func:`~.thresholds.flag_non_included` with
  one threshold per class.
- ``"argmax"``: excluded when the most probable class is not kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type

from ._classes import CLASSES, check_proba, resolve_class
from .thresholds import _check_probability, flag_non_included

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

RULES = ("threshold", "argmax")
#: classes kept when ``include`` is not given, per method
DEFAULT_INCLUDE = {"iclabel": ("brain", "other"), "megnet": ("brain/other",)}
#: classes the argmax rule keeps when ``include`` is not given: the components
#: file's historical rule, every component whose predicted class is not brain
#: is bad (``write_components_tsv``, and ``bids`` before the policy existed)
ARGMAX_INCLUDE = {"iclabel": ("brain",), "megnet": ("brain/other",)}
DEFAULT_EXCLUSION_THRESHOLD = 0.8
DEFAULT_CLASS_THRESHOLD = 0.3
# MEGNet has one class for ICLabel's two kept ones
_MEGNET_ALIASES = {"brain": "brain/other", "other": "brain/other"}


def _resolve(name: str, method: str) -> str | None:
    """Return the class of ``method`` that ``name`` designates, or None."""
    if method == "megnet":
        name = _MEGNET_ALIASES.get(name, name)
    try:
        return CLASSES[method][resolve_class(name, method)]
    except ValueError:
        return None


def _as_thresholds(value, what: str) -> dict[str, float] | float | None:
    """Check a threshold option: None, one probability, or class -> probability."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        out = {}
        for name, prob in value.items():
            _validate_type(name, str, f"class name in '{what}'")
            out[name] = _check_probability(prob, f"{what}[{name!r}]")
        return out
    if isinstance(value, Real) and not isinstance(value, bool):
        return _check_probability(value, what)
    raise TypeError(
        f"{what} must be a probability or a dict of class name to probability, "
        f"got {value!r}."
    )


@dataclass(frozen=True)
class ExclusionPolicy:
    """Which components to exclude, from their class probabilities.

    Parameters
    ----------
    include : iterable of str | None
        The classes to keep (mne-bids-pipeline's ``ica_icalabel_include``).
        ``None``: brain and other for ICLabel with the threshold rule, brain
        only with the argmax rule (so that ``rule="argmax"`` alone gives the
        status ``write_components_tsv`` writes: bad unless predicted brain);
        brain/other for MEGNet. For
        MEGNet, ``"brain"`` and ``"other"`` name its class brain/other; a name
        that is not a class of a method is ignored for that method (e.g.
        ``"muscle artifact"`` for MEGNet), as long as it is a class of one of
        the methods used.
    exclusion_threshold : float | dict of str to float | None
        The probability (``>=``) at which a class that is not kept excludes a
        component (mne-bids-pipeline's ``ica_exclusion_thresholds``): one
        value for all such classes, or a value per class, the others keeping
        the default 0.8.
    class_threshold : float | dict of str to float | None
        The probability (``>=``) at which a kept class keeps a component that
        would be excluded (mne-bids-pipeline's ``ica_class_thresholds``): one
        value for all kept classes, or a value per class, the others keeping
        the default 0.3.
    rule : ``"threshold"`` | ``"argmax"``
        ``"threshold"`` (default) uses the thresholds; ``"argmax"`` excludes a
        component whose most probable class is not kept (then no threshold
        may be given).
    """

    include: tuple[str, ...] | None = None
    exclusion_threshold: dict[str, float] | float | None = None
    class_threshold: dict[str, float] | float | None = None
    rule: str = "threshold"
    _limits: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_option("rule", self.rule, RULES)
        include = self.include
        if include is not None:
            _validate_type(include, Iterable, "include", "list of class names")
            include = (include,) if isinstance(include, str) else tuple(include)
            if not include:
                raise ValueError(
                    "include must name at least one class to keep, e.g. "
                    "include=['brain', 'other']."
                )
            for name in include:
                _validate_type(name, str, "class name in 'include'")
        object.__setattr__(self, "include", include)
        for what in ("exclusion_threshold", "class_threshold"):
            value = _as_thresholds(getattr(self, what), what)
            if value is not None and self.rule == "argmax":
                raise ValueError(
                    f"{what} cannot be used with rule='argmax' (--policy argmax), "
                    "which uses no threshold; drop one of them."
                )
            object.__setattr__(self, what, value)

    def check(self, methods: Iterable[str]) -> ExclusionPolicy:
        """Check every class name against ``methods``; return the policy.

        Raises
        ------
        ValueError
            If a class name belongs to none of ``methods``, if a method keeps no
            class, or if a threshold names a class on the wrong side (an
            exclusion threshold for a kept class, a class threshold for one that
            is not kept).
        """
        methods = list(methods)
        names = list(self.include or ())
        for what in ("exclusion_threshold", "class_threshold"):
            if isinstance(getattr(self, what), dict):
                names += list(getattr(self, what))
        for name in names:
            if all(_resolve(name, method) is None for method in methods):
                valid = sorted({c for m in methods for c in CLASSES[m]})
                raise ValueError(
                    f"Unknown class name {name!r} in the exclusion policy for "
                    f"{' and '.join(methods)}. Use one of {valid}."
                )
        for method in methods:
            self._resolved(method)
        return self

    def _resolved(self, method: str) -> tuple[list[str], dict, dict]:
        """Kept classes, exclusion and class thresholds of ``method``."""
        _check_option("method", method, tuple(CLASSES))
        if method in self._limits:
            return self._limits[method]
        if self.include is None:
            defaults = DEFAULT_INCLUDE if self.rule == "threshold" else ARGMAX_INCLUDE
            include = list(defaults[method])
        else:
            include = [_resolve(name, method) for name in self.include]
            include = list(dict.fromkeys(c for c in include if c is not None))
        if not include:
            raise ValueError(
                f"None of the classes of include={list(self.include)} is a class of "
                f"{method} ({list(CLASSES[method])}); add one to keep."
            )
        others = [c for c in CLASSES[method] if c not in include]
        exclusion = self._per_class(
            self.exclusion_threshold,
            DEFAULT_EXCLUSION_THRESHOLD,
            others,
            method,
            "kept",
        )
        keep = self._per_class(
            self.class_threshold, DEFAULT_CLASS_THRESHOLD, include, method, "not kept"
        )
        self._limits[method] = (include, exclusion, keep)
        return self._limits[method]

    @staticmethod
    def _per_class(
        value, default: float, allowed: list[str], method: str, side: str
    ) -> dict:
        """One threshold per class of ``allowed``; ``side``: what the others are."""
        if not isinstance(value, dict):
            return dict.fromkeys(allowed, default if value is None else value)
        out = dict.fromkeys(allowed, default)
        for name, prob in value.items():
            cls = _resolve(name, method)
            if cls is None:
                continue  # a class of another method used with this one
            if cls not in allowed:
                raise ValueError(
                    f"The class {name!r} is {side} by the policy, so its threshold "
                    "cannot apply: exclusion thresholds are for the classes not in "
                    "include, class thresholds for those in include."
                )
            out[cls] = prob
        return out

    def excluded(self, proba: ArrayLike, method: str) -> NDArray[np.bool_]:
        """Return whether each component is excluded (one bool per row)."""
        proba = check_proba(proba)
        include, exclusion, keep = self._resolved(method)
        if self.rule == "argmax":
            flagged = flag_non_included(proba, include, method=method, verbose=False)
        else:
            flagged = flag_non_included(
                proba,
                include,
                method=method,
                exclusion_threshold=exclusion,
                keep_threshold=keep,
                verbose=False,
            )
        out = np.zeros(proba.shape[0], bool)
        out[flagged] = True
        return out

    def excluding_class(self, proba: ArrayLike, method: str) -> NDArray[np.int64]:
        """Return the class that excludes each component (-1 for a kept one).

        The column index of the most probable class that is not kept and, for
        the threshold rule, reaches its exclusion threshold: with a threshold
        lowered for one class (``{"eye blink": 0.3}``), a component with eye
        blink p=0.35 and muscle artifact p=0.4 is excluded for its eye blink.
        """
        proba = check_proba(proba)
        include, exclusion, _ = self._resolved(method)
        classes = CLASSES[method]
        if self.rule == "argmax":
            limits = np.zeros(len(classes))
        else:
            limits = np.array([exclusion.get(c, np.inf) for c in classes])
        kept = np.array([c in include for c in classes])
        # compared in the precision of the probabilities, as flag_non_included
        reached = (proba >= limits.astype(proba.dtype)) & ~kept
        candidate = np.where(reached, proba, -np.inf)
        best = np.argmax(candidate, axis=1)
        return np.where(self.excluded(proba, method), best, -1)

    def margin(self, proba: ArrayLike, method: str) -> NDArray[np.float64]:
        """How far each decision is from flipping (0: on the boundary).

        For the threshold rule, the smallest change of one probability that
        would change the decision: for an excluded component, the distance of
        the excluding class above its threshold or of the best kept class
        below its own; for a kept one, how far it is from being excluded. For
        the argmax rule, the gap between the best kept and the best other
        class. A reviewer looks first at the components with the smallest
        margins.
        """
        proba = check_proba(proba)
        include, exclusion, keep = self._resolved(method)
        classes = CLASSES[method]
        excluded = self.excluded(proba, method)
        proba = proba.astype(np.float64)
        kept = np.array([c in include for c in classes])
        if self.rule == "argmax":
            best_kept = proba[:, kept].max(axis=1)
            best_other = proba[:, ~kept].max(axis=1, initial=0.0)
            return np.abs(best_kept - best_other)
        t_excl = np.array([exclusion.get(c, np.inf) for c in classes])
        t_keep = np.array([keep.get(c, np.inf) for c in classes])
        # a >= 0: a non-kept class reaches its threshold; b >= 0: a kept one does
        a = (proba - t_excl)[:, ~kept].max(axis=1, initial=-np.inf)
        b = (proba - t_keep)[:, kept].max(axis=1)
        return np.where(excluded, np.minimum(a, -b), np.maximum(-a, b))

    def describe(self, proba: ArrayLike, method: str) -> list[str]:
        """Return the ``status_description`` of each component.

        E.g. ``"Auto-detected eye blink (p=0.97) by iclabel"`` for an excluded
        component, ``"Kept: brain (p=0.91) by iclabel"`` for a kept one (with
        the reason when its most probable class is not kept).
        """
        proba = check_proba(proba)
        include, exclusion, keep = self._resolved(method)
        classes = CLASSES[method]
        out = []
        for row, k in zip(proba, self.excluding_class(proba, method), strict=True):
            top = int(np.argmax(row))
            if k >= 0:
                out.append(f"Auto-detected {classes[k]} (p={row[k]:.2f}) by {method}")
            elif classes[top] in include or self.rule == "argmax":
                out.append(f"Kept: {classes[top]} (p={row[top]:.2f}) by {method}")
            else:
                best = max(
                    (k for k, c in enumerate(classes) if c in include),
                    key=lambda j: row[j],
                )
                why = (
                    f"{classes[best]} p={row[best]:.2f} >= {keep[classes[best]]:g}"
                    if row[best] >= keep[classes[best]]
                    else f"below the exclusion threshold {exclusion[classes[top]]:g}"
                )
                out.append(
                    f"Kept: {classes[top]} (p={row[top]:.2f}) by {method}, {why}"
                )
        return out

    def to_dict(self, methods: Iterable[str]) -> dict:
        """Return the policy as resolved for ``methods``, for a sidecar JSON."""
        out: dict = {"Rule": self.rule}
        for method in methods:
            include, exclusion, keep = self._resolved(method)
            entry: dict = {"Include": include}
            if self.rule == "threshold":
                entry["ExclusionThresholds"] = exclusion
                entry["ClassThresholds"] = keep
            out[method] = entry
        return out

    @classmethod
    def from_dict(cls, content: Mapping) -> ExclusionPolicy:
        """Rebuild a policy written by :meth:`to_dict` (for one of its methods).

        The policy keeps, per method, the classes and thresholds recorded; a
        method absent from ``content`` gets the defaults.
        """
        _validate_type(content, Mapping, "policy", "dict")
        rule = content.get("Rule", "threshold")
        include: list[str] = []
        exclusion: dict[str, float] = {}
        keep: dict[str, float] = {}
        for method in CLASSES:
            entry = content.get(method)
            if not isinstance(entry, Mapping):
                continue
            include += [c for c in entry.get("Include", ()) if c not in include]
            exclusion.update(entry.get("ExclusionThresholds", {}))
            keep.update(entry.get("ClassThresholds", {}))
        threshold = rule == "threshold"
        return cls(
            include=tuple(include) or None,
            exclusion_threshold=(exclusion or None) if threshold else None,
            class_threshold=(keep or None) if threshold else None,
            rule=rule,
        )

    def summary(self, methods: Iterable[str]) -> str:
        """One line for ``summary.tsv``, e.g. ``threshold: keep brain, other ...``."""
        parts = []
        for method in methods:
            include, exclusion, keep = self._resolved(method)
            text = f"{method} keeps {', '.join(include)}"
            if self.rule == "threshold":
                ex = sorted(set(exclusion.values()))
                kp = sorted(set(keep.values()))
                text += (
                    f", excludes at p >= {'/'.join(f'{v:g}' for v in ex)} unless a "
                    f"kept class has p >= {'/'.join(f'{v:g}' for v in kp)}"
                )
            parts.append(text)
        return f"{self.rule}: " + "; ".join(parts)
