"""The exclusion policy of a dataset: which components are removed, and why.

A policy turns one method's class probabilities into one :class:`Decision`
per recording (:meth:`ExclusionPolicy.decide`): excluded or kept, the class
that decided and a sentence saying why, for every component. ``bids`` writes
it in the ``status`` column and ``ica.exclude``, the report shows it,
``review`` sorts by its margins; the policy itself is recorded in the sidecar
JSON and ``summary.tsv`` so that a later step knows how the decisions were
made.

Two rules:

- ``"threshold"`` (default), mne-bids-pipeline's: the classes of ``include``
  are kept; a component is excluded when a class that is not kept reaches its
  exclusion threshold (default 0.8) and no kept class reaches its class
  threshold (default 0.3): the rule of :func:`~.thresholds.flag_non_included`
  with one threshold per class.
- ``"argmax"``: excluded when the most probable class is not kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type

from ..methods import get_method, method_names
from ..utils._docs import fill_doc
from ._classes import CLASSES, check_proba, infer_method, resolve_class
from .thresholds import _check_probability, _non_included

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

RULES = ("threshold", "argmax")
# Without ``include``, each method keeps its ``default_include`` classes, and
# the argmax rule its ``argmax_include`` ones: the components file's historical
# rule, every component whose predicted class is not brain is bad
# (``write_components_tsv``, and ``bids`` before the policy existed).
DEFAULT_EXCLUSION_THRESHOLD = 0.8
DEFAULT_CLASS_THRESHOLD = 0.3


def _resolve(name: str, method: str) -> str | None:
    """Return the class of ``method`` that ``name`` designates, or None."""
    name = get_method(method).include_aliases.get(name, name)
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


@dataclass(frozen=True, eq=False)
class Decision:
    """The decision of an exclusion policy on the components of one recording.

    Made once by :meth:`ExclusionPolicy.decide`, then read by everything that
    shows or writes it, so that they cannot disagree.

    Attributes
    ----------
    method : str
        ``"iclabel"``, ``"megnet"`` or ``"both"``.
    excluded : ndarray of bool, shape (n_components,)
        Whether each component is excluded.
    labels : tuple of str
        The class that decided each component: for an excluded one, the most
        probable of the classes that excluded it (with a threshold lowered for
        eye blink, a component with eye blink p=0.35 and muscle artifact p=0.4
        is excluded for its eye blink); for a kept one, its most probable
        class. With ``"both"``, the class of the network that excluded it
        (ICLabel's when both do: its classes are finer), else ICLabel's.
    probability : ndarray of float, shape (n_components,)
        The probability of that class.
    descriptions : tuple of str
        Why, e.g. ``"Auto-detected eye blink (p=0.97) by iclabel"``, ``"Kept:
        brain (p=0.91) by iclabel"`` (the ``status_description`` of the TSV).
    margin : ndarray of float, shape (n_components,)
        How far each decision is from flipping (0: on the boundary): the
        smallest change of one probability that changes it. For the threshold
        rule, the distance of the deciding probability to its threshold; for
        the argmax rule, the gap between the best kept and the best other
        class. With ``"both"``: the smaller margin for a component both
        networks keep, that of the excluding network for one excluded by one
        network, and the larger for one excluded by both (one probability
        belongs to one network). A reviewer looks first at the smallest.
    per_method : mapping of str to Decision
        With ``"both"``, each network's own decision; else empty.
    """

    method: str
    excluded: NDArray[np.bool_]
    labels: tuple[str, ...]
    probability: NDArray[np.float64]
    descriptions: tuple[str, ...]
    margin: NDArray[np.float64]
    per_method: Mapping[str, Decision] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def __post_init__(self) -> None:
        for name in ("excluded", "probability", "margin"):
            getattr(self, name).flags.writeable = False

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def exclude(self) -> list[int]:
        """The excluded components, as ``ica.exclude`` takes them."""
        return [int(k) for k in np.flatnonzero(self.excluded)]


def _combine(decisions: Mapping[str, Decision], method: str) -> Decision:
    """Combine the decisions of ICLabel and MEGNet on one ICA (``"both"``).

    ``decisions`` holds them in the order of the composite's components.
    """
    first, second = decisions.values()
    excluded = first.excluded | second.excluded
    # ICLabel's class when it excludes, or keeps and MEGNet does not exclude
    use_first = first.excluded | ~second.excluded
    both = first.excluded & second.excluded
    margin = np.where(
        both,
        np.maximum(first.margin, second.margin),
        np.where(
            excluded,
            np.where(first.excluded, first.margin, second.margin),
            np.minimum(first.margin, second.margin),
        ),
    )
    descriptions = tuple(
        (a if e1 else b if e2 else f"{a}; {b}")
        for a, b, e1, e2 in zip(
            first.descriptions,
            second.descriptions,
            first.excluded,
            second.excluded,
            strict=True,
        )
    )
    return Decision(
        method=method,
        excluded=excluded,
        labels=tuple(
            a if u else b
            for a, b, u in zip(first.labels, second.labels, use_first, strict=True)
        ),
        probability=np.where(use_first, first.probability, second.probability),
        descriptions=descriptions,
        margin=margin,
        per_method=MappingProxyType(dict(decisions)),
    )


@fill_doc
@dataclass(frozen=True)
class ExclusionPolicy:
    """Which components to exclude, from their class probabilities.

    Parameters
    ----------
    %(include)s
    %(exclusion_threshold)s
    %(class_threshold)s
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
            entry = get_method(method)
            defaults = (
                entry.default_include
                if self.rule == "threshold"
                else entry.argmax_include
            )
            include = list(defaults)
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

    def decide(
        self, proba: ArrayLike | Mapping[str, ArrayLike], method: str
    ) -> Decision:
        """Decide on every component of one recording, once.

        Parameters
        ----------
        proba : array of shape (n_components, n_classes) | dict
            The probabilities of ``method``; for ``method="both"``, a dict of
            ICLabel's and MEGNet's (``{"iclabel": ..., "megnet": ...}``).
        method : ``"iclabel"`` | ``"megnet"`` | ``"both"``
            The method that produced them. With ``"both"``, a component is
            excluded when the policy excludes it for either network.

        Returns
        -------
        decision : Decision
            The excluded components, the class that decided each one, why,
            and how far each decision is from flipping. The TSV writer, the
            report, ``ica.exclude`` and the review queue all read it.
        """
        known = method in method_names()
        components = get_method(method).components if known else ()
        if components:
            _validate_type(proba, Mapping, "proba", f"dict for method={method!r}")
            missing = [m for m in components if m not in proba]
            if missing:
                raise ValueError(
                    f"proba misses the probabilities of {missing} for "
                    f"method={method!r}."
                )
            return _combine({m: self.decide(proba[m], m) for m in components}, method)
        _check_option("method", method, tuple(CLASSES))
        proba = check_proba(proba)
        infer_method(proba.shape[1], method)
        include, exclusion, keep = self._resolved(method)
        classes = CLASSES[method]
        kept = np.array([c in include for c in classes])
        t_excl = np.array([exclusion.get(c, np.inf) for c in classes])
        t_keep = np.array([keep.get(c, np.inf) for c in classes])
        if self.rule == "argmax":
            reached, excluded = _non_included(proba, kept, None, None)
        else:
            reached, excluded = _non_included(proba, kept, t_excl, t_keep)
        # the deciding class: the most probable of those that exclude the
        # component, else the most probable class
        top = np.argmax(proba, axis=1)
        cause = np.where(excluded, np.argmax(np.where(reached, proba, -np.inf), 1), top)
        rows = np.arange(proba.shape[0])
        p_cause = proba[rows, cause].astype(np.float64)
        proba = proba.astype(np.float64)
        if self.rule == "argmax":
            best_kept = proba[:, kept].max(axis=1)
            best_other = proba[:, ~kept].max(axis=1, initial=0.0)
            margin = np.abs(best_kept - best_other)
        else:
            # a >= 0: a non-kept class reaches its threshold; b >= 0: a kept one
            a = (proba - t_excl)[:, ~kept].max(axis=1, initial=-np.inf)
            b = (proba - t_keep)[:, kept].max(axis=1)
            margin = np.where(excluded, np.minimum(a, -b), np.maximum(-a, b))
        descriptions = []
        for k in rows:
            cls, p = classes[cause[k]], p_cause[k]
            if excluded[k]:
                descriptions.append(f"Auto-detected {cls} (p={p:.2f}) by {method}")
            elif cls in include or self.rule == "argmax":
                descriptions.append(f"Kept: {cls} (p={p:.2f}) by {method}")
            else:
                best = max(np.flatnonzero(kept), key=lambda j: proba[k, j])
                why = (
                    f"{classes[best]} p={proba[k, best]:.2f} >= {keep[classes[best]]:g}"
                    if proba[k, best] >= keep[classes[best]]
                    else f"below the exclusion threshold {exclusion[cls]:g}"
                )
                descriptions.append(f"Kept: {cls} (p={p:.2f}) by {method}, {why}")
        return Decision(
            method=method,
            excluded=excluded,
            labels=tuple(classes[c] for c in cause),
            probability=p_cause,
            descriptions=tuple(descriptions),
            margin=margin,
        )

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
