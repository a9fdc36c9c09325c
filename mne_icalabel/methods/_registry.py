"""The registry of labelling methods: one record per method.

Everything that depends on the method (``label_components``, the batch, the
report, the windows, the exclusion policy, the pre-flight of a cluster run)
asks the record of the method by its name instead of keeping its own table.
A network is its own subpackage plus one :class:`Method` given to
:func:`register_method`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from mne.utils import _check_option, _validate_type

from ..utils._backend import Backends

#: the data channels of a modality: the channel types an ICA is fitted on ...
_FIT_TYPES = {"EEG": ("eeg",), "MEG": ("mag", "grad")}
#: ... and the type given to ``inst.pick`` when a recording is prepared
_PICK_TYPE = {"EEG": "eeg", "MEG": "meg"}


@dataclass(frozen=True)
class Preparation:
    """How ``mne-icalabel bids`` prepares a recording and fits its ICA for a method.

    Attributes
    ----------
    modalities : tuple of str
        The data the method reads: ``"EEG"`` and/or ``"MEG"``. The EEG is
        average-referenced; EOG and ECG channels are kept beside them.
    sfreq : float | None
        The sampling frequency the data are resampled to (``None``: kept).
    raw_only : bool
        Whether the method needs continuous data (Epochs are refused).
    extended : bool
        Fit extended infomax (else infomax).
    picard : bool
        Fit Picard with ``ortho=False, extended=True`` (the same model as
        extended infomax, faster) when python-picard is installed.
    n_components : int
        Components fitted by default, capped by the rank of the data.
    """

    modalities: tuple[str, ...]
    sfreq: float | None = None
    raw_only: bool = False
    extended: bool = True
    picard: bool = False
    n_components: int = 20

    @property
    def pick_types(self) -> tuple[str, ...]:
        """The channel types kept (for ``inst.pick``)."""
        return tuple(_PICK_TYPE[m] for m in self.modalities) + ("eog", "ecg")

    @property
    def fit_types(self) -> tuple[str, ...]:
        """The channel types the ICA is fitted on."""
        return tuple(t for m in self.modalities for t in _FIT_TYPES[m])

    @property
    def reference(self) -> str:
        """``"average"`` when the data have EEG channels, else ``"none"``."""
        return "average" if "EEG" in self.modalities else "none"

    def missing(self, ch_types: Iterable[str]) -> list[str]:
        """Return the modalities of this method without a channel in ``ch_types``."""
        present = set(ch_types)
        return [m for m in self.modalities if not present & set(_FIT_TYPES[m])]


def modalities_of(ch_types: Iterable[str]) -> set[str]:
    """Return the modalities (``"EEG"``, ``"MEG"``) of channel types."""
    present = set(ch_types)
    return {m for m, types in _FIT_TYPES.items() if present & set(types)}


@dataclass(frozen=True)
class Method:
    """The record of one labelling method.

    Attributes
    ----------
    name : str
        The name users give (``method="iclabel"``) and written in files.
    display_name : str
        The name shown to people (``"ICLabel"``).
    classes : tuple of str
        The class names, in the order of the probability columns. Empty for
        a composite method.
    mne_keys : tuple of str
        The key of ``ICA.labels_`` of each class (MNE's, e.g. ``"eog"``).
    proba : callable
        ``proba(inst, ica, backend) -> ndarray (n_components, n_classes)``,
        ``ica`` unchanged; ``backend`` is a name of ``backends`` or None.
        For a composite method: a dict of its components' probabilities,
        ``backend`` one name or a dict of them (built from
        ``components`` when not given).
    preparation : Preparation | None
        How the batch prepares a recording and fits its ICA for this method.
    labels : tuple of str
        The classes as the windows' buttons name them (EEGLAB's names for
        ICLabel); ``()``: the class names title-cased.
    aliases : dict of str to str
        Other names accepted for a class (``"Eye"``, ``"eog"`` for ICLabel's
        ``"eye blink"``).
    include_aliases : dict of str to str
        Other names of a class accepted in an exclusion policy's ``include``
        (MEGNet's brain/other is ``"brain"`` and ``"other"`` there).
    default_include : tuple of str
        The classes an exclusion policy keeps by default; ``()``: those whose
        MNE key is ``"brain"``.
    dtype : numpy dtype
        The dtype of the probabilities (a TSV read back gets it again).
    stores_labels : bool
        Whether :func:`~mne_icalabel.label_components` stores the
        probabilities in ``ica.labels_scores_`` and the predicted classes in
        ``ica.labels_`` (ICLabel's upstream behaviour).
    backends : Backends | None
        The backends of the network (None: it has no choice of backend).
    function : callable | None
        The public labelling function, as upstream's
        ``mne_icalabel.config.ICALABEL_METHODS`` lists it.
    numerical_to_string : dict of int to str | None
        Upstream's public dictionary of the classes (column -> name), when
        the method has one; built from ``classes`` otherwise.
    components : tuple of str
        For a composite method, the methods it runs on the same ICA.
    """

    name: str
    display_name: str
    classes: tuple[str, ...] = ()
    mne_keys: tuple[str, ...] = ()
    proba: Callable[..., Any] | None = None
    preparation: Preparation | None = None
    labels: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    include_aliases: Mapping[str, str] = field(default_factory=dict)
    default_include: tuple[str, ...] = ()
    dtype: type = np.float64
    stores_labels: bool = False
    backends: Backends | None = None
    function: Callable[..., Any] | None = None
    numerical_to_string: Mapping[int, str] | None = None
    components: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _validate_type(self.name, str, "name")
        _validate_type(self.display_name, str, "display_name")
        fill = {}
        if self.components:
            if self.proba is None:
                fill["proba"] = _composite_proba(self.components)
        else:
            if not self.classes or len(self.mne_keys) != len(self.classes):
                raise ValueError(
                    f"Method {self.name!r} needs its classes and one MNE key per "
                    f"class, got {len(self.classes)} classes and "
                    f"{len(self.mne_keys)} keys."
                )
            if self.proba is None:
                raise ValueError(f"Method {self.name!r} needs its proba function.")
            if not self.labels:
                fill["labels"] = tuple(c.title() for c in self.classes)
            if not self.default_include:
                fill["default_include"] = self.argmax_include
            if self.numerical_to_string is None:
                fill["numerical_to_string"] = dict(enumerate(self.classes))
            elif tuple(self.numerical_to_string.values()) != self.classes:
                raise ValueError(
                    f"The numerical_to_string of method {self.name!r} does not "
                    "list its classes in order."
                )
        for name, value in fill.items():
            object.__setattr__(self, name, value)

    @property
    def networks(self) -> tuple[str, ...]:
        """The network methods it runs: its components, or itself."""
        return self.components or (self.name,)

    @property
    def string_to_numerical(self) -> dict[str, int]:
        """Class name -> column."""
        return {c: k for k, c in enumerate(self.classes)}

    @property
    def labels_to_mne(self) -> dict[str, str]:
        """Button name -> key of ``ICA.labels_``, in class order."""
        return dict(zip(self.labels, self.mne_keys, strict=True))

    @property
    def classes_to_mne(self) -> dict[str, str]:
        """Class name -> key of ``ICA.labels_``, in class order."""
        return dict(zip(self.classes, self.mne_keys, strict=True))

    @property
    def argmax_include(self) -> tuple[str, ...]:
        """The classes kept when only the most probable class decides.

        Those whose MNE key is ``"brain"``: a components file marks every
        other predicted class bad.
        """
        return tuple(
            c for c, k in zip(self.classes, self.mne_keys, strict=True) if k == "brain"
        )


_REGISTRY: dict[str, Method] = {}


def register_method(method: Method) -> Method:
    """Add a labelling method; every part of the package can then use it.

    Raises
    ------
    ValueError
        If a method of that name is registered already, or a composite names
        a method that is not registered.
    """
    _validate_type(method, Method, "method")
    if method.name in _REGISTRY:
        raise ValueError(
            f"A labelling method named {method.name!r} is registered already; "
            "unregister_method it first, or choose another name."
        )
    for name in method.components:
        _check_option("component of a composite method", name, network_names())
    _REGISTRY[method.name] = method
    return method


def unregister_method(name: str) -> Method:
    """Remove the method ``name`` and return its record."""
    _check_option("method", name, method_names())
    users = [m.name for m in _REGISTRY.values() if name in m.components]
    if users:
        raise ValueError(
            f"The method {name!r} is part of {users}; unregister those first."
        )
    return _REGISTRY.pop(name)


def get_method(name: str) -> Method:
    """Return the record of the method ``name`` (ValueError naming the valid ones)."""
    _validate_type(name, str, "method")
    _check_option("method", name, method_names())
    return _REGISTRY[name]


def method_names(*, composite: bool = True) -> tuple[str, ...]:
    """Return the registered methods, in order of registration.

    ``composite=False``: only those that run one network.
    """
    return tuple(n for n, m in _REGISTRY.items() if composite or not m.components)


def network_names() -> tuple[str, ...]:
    """Return the registered methods that run one network."""
    return method_names(composite=False)


def method_for(networks: Iterable[str]) -> str:
    """Return the method that runs exactly ``networks`` (one, or a composite's)."""
    networks = tuple(networks)
    for name, method in _REGISTRY.items():
        if set(method.networks) == set(networks):
            return name
    raise ValueError(f"No labelling method runs exactly {list(networks)}.")


def method_for_channels(ch_types: Iterable[str]) -> str:
    """Return the method that reads exactly the modalities of ``ch_types``.

    E.g. EEG and MEG channels give the composite of both networks. When none
    does, the first method registered (ICLabel).
    """
    present = modalities_of(ch_types)
    for name, method in _REGISTRY.items():
        if method.preparation and set(method.preparation.modalities) == present:
            return name
    return next(iter(_REGISTRY))


def mne_keys() -> tuple[str, ...]:
    """Return every key of ``ICA.labels_`` a network method uses, in order."""
    return tuple(
        dict.fromkeys(k for n in network_names() for k in _REGISTRY[n].mne_keys)
    )


def all_classes() -> tuple[str, ...]:
    """Return the class names of the network methods, in order, once each."""
    return tuple(
        dict.fromkeys(c for n in network_names() for c in _REGISTRY[n].classes)
    )


def _composite_proba(components: tuple[str, ...]) -> Callable[..., dict]:
    def proba(inst, ica, backend: str | Mapping[str, str] | None = None) -> dict:
        if not isinstance(backend, Mapping):
            backend = dict.fromkeys(components, backend)
        return {
            name: get_method(name).proba(inst, ica, backend.get(name))
            for name in components
        }

    proba.__doc__ = (
        f"The probabilities of {', '.join(components)} on one ICA (not changed)."
    )
    return proba


class _ClassTable(Mapping):
    """Network method -> its class names, for the methods registered now."""

    def __getitem__(self, name: str) -> tuple[str, ...]:
        method = _REGISTRY.get(name)
        if method is None or method.components:
            raise KeyError(name)
        return method.classes

    def __iter__(self) -> Iterator[str]:
        return iter(network_names())

    def __len__(self) -> int:
        return len(network_names())

    def __repr__(self) -> str:
        return repr(dict(self))


#: method -> class names, a live view of the registry
CLASSES: Mapping[str, tuple[str, ...]] = _ClassTable()
