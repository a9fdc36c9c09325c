"""The record of ICLabel (EEG, seven classes)."""

from __future__ import annotations

import numpy as np

from ..iclabel import iclabel_label_components
from ..iclabel._config import ICA_LABELS_TO_MNE, ICLABEL_NUMERICAL_TO_STRING, NAME
from ..iclabel.network._backends import BACKENDS
from ._registry import Method, Preparation


def _proba(inst, ica, backend: str | None = None) -> np.ndarray:
    """ICLabel's probabilities, float32 (n_components, 7); ``ica`` unchanged."""
    return iclabel_label_components(inst, ica, inplace=False, backend=backend)


_CLASSES = tuple(ICLABEL_NUMERICAL_TO_STRING.values())

ICLABEL = Method(
    name="iclabel",
    display_name=NAME,
    # the classes, their keys in ICA.labels_ and EEGLAB's names on the buttons
    classes=_CLASSES,
    numerical_to_string=ICLABEL_NUMERICAL_TO_STRING,
    mne_keys=tuple(ICA_LABELS_TO_MNE.values()),
    labels=tuple(ICA_LABELS_TO_MNE),
    # EEGLAB's names ("Eye") and MNE's keys ("eog") name the classes too
    aliases={
        **dict(zip(ICA_LABELS_TO_MNE, _CLASSES, strict=True)),
        **dict(zip(ICA_LABELS_TO_MNE.values(), _CLASSES, strict=True)),
    },
    default_include=("brain", "other"),
    # extended infomax as trained: Picard's equivalent model when installed
    preparation=Preparation(modalities=("EEG",), picard=True),
    # the network: float32, labels stored on the ICA by label_components
    proba=_proba,
    dtype=np.float32,
    stores_labels=True,
    backends=BACKENDS,
    function=iclabel_label_components,
)
