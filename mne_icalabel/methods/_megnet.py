"""The record of MEGNet (MEG, four classes)."""

from __future__ import annotations

import numpy as np

from ..megnet import megnet_label_components
from ..megnet._config import (
    MEGNET_LABELS_TO_MNE,
    MEGNET_NUMERICAL_TO_STRING,
    MEGNET_STRING_TO_NUMERICAL,
)
from ..megnet.network import BACKENDS
from ._registry import Method, Preparation

MEGNET = Method(
    name="megnet",
    display_name="MEGNet",
    classes=tuple(MEGNET_NUMERICAL_TO_STRING.values()),
    mne_keys=tuple(MEGNET_LABELS_TO_MNE.values()),
    # its one class for ICLabel's two kept ones
    include_aliases={"brain": "brain/other", "other": "brain/other"},
    proba=megnet_label_components,
    dtype=np.float64,
    backends=BACKENDS,
    function=megnet_label_components,
    numerical_to_string=MEGNET_NUMERICAL_TO_STRING,
    string_to_numerical=MEGNET_STRING_TO_NUMERICAL,
    # 60 s chunks at 250 Hz, infomax as trained
    preparation=Preparation(
        modalities=("MEG",), sfreq=250.0, raw_only=True, extended=False
    ),
)
