"""Labelling methods and their class names.

The public face of the class tables: each table lives beside its model
(``iclabel._config``, ``megnet._config``), which import nothing of the package, so
that the package's modules can use them without importing this one.
"""

from .iclabel import iclabel_label_components
from .iclabel._config import (
    ICA_LABELS_TO_MNE,
    ICLABEL_NUMERICAL_TO_STRING,
    ICLABEL_STRING_TO_NUMERICAL,
)
from .megnet import megnet_label_components
from .megnet._config import (
    MEGNET_LABELS_TO_MNE,
    MEGNET_NUMERICAL_TO_STRING,
    MEGNET_STRING_TO_NUMERICAL,
)

ICALABEL_METHODS = {
    "iclabel": iclabel_label_components,
    "megnet": megnet_label_components,
    "manual": None,
}

ICALABEL_METHODS_NUMERICAL_TO_STRING = {
    "iclabel": ICLABEL_NUMERICAL_TO_STRING,
    "megnet": MEGNET_NUMERICAL_TO_STRING,
}
ICALABEL_METHODS_STRING_TO_NUMERICAL = {
    "iclabel": ICLABEL_STRING_TO_NUMERICAL,
    "megnet": MEGNET_STRING_TO_NUMERICAL,
}

__all__ = [
    "ICALABEL_METHODS",
    "ICALABEL_METHODS_NUMERICAL_TO_STRING",
    "ICALABEL_METHODS_STRING_TO_NUMERICAL",
    "ICA_LABELS_TO_MNE",
    "MEGNET_LABELS_TO_MNE",
]
