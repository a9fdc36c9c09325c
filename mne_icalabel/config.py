"""Labelling methods and their class names (upstream's public tables).

Derived from the method registry (:mod:`mne_icalabel.methods`) as it stands
when the package is imported; the class dictionaries are those of the models
(``iclabel._config``, ``megnet._config``).
"""

from .iclabel._config import (  # noqa: F401 (upstream's names)
    ICA_LABELS_TO_MNE,
    ICLABEL_NUMERICAL_TO_STRING,
    ICLABEL_STRING_TO_NUMERICAL,
)
from .megnet._config import (  # noqa: F401 (upstream's names)
    MEGNET_LABELS_TO_MNE,
    MEGNET_NUMERICAL_TO_STRING,
    MEGNET_STRING_TO_NUMERICAL,
)
from .methods import get_method, network_names

ICALABEL_METHODS = {
    **{name: get_method(name).function for name in network_names()},
    "manual": None,
}
ICALABEL_METHODS_NUMERICAL_TO_STRING = {
    name: get_method(name).numerical_to_string for name in network_names()
}
ICALABEL_METHODS_STRING_TO_NUMERICAL = {
    name: get_method(name).string_to_numerical for name in network_names()
}

__all__ = [
    "ICALABEL_METHODS",
    "ICALABEL_METHODS_NUMERICAL_TO_STRING",
    "ICALABEL_METHODS_STRING_TO_NUMERICAL",
    "ICA_LABELS_TO_MNE",
    "MEGNET_LABELS_TO_MNE",
]
